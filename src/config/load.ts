// Loads `.distill/config.json` (found upward from a directory), validated, with errors that name the file and field.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DistillError } from '../errors.ts';
import { CONFIG_SCHEMA_VERSION, DistillConfigSchema, defaultConfig, type DistillConfig } from '../../schemas/config.ts';

export const CONFIG_PATH = join('.distill', 'config.json');

/** The nearest directory at or above `dir` that holds `.distill/config.json`, or null. */
export function findConfigRoot(dir: string): string | null {
  let current = dir;
  for (;;) {
    if (existsSync(join(current, CONFIG_PATH))) return current;
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/** Parse config text; `where` names the file in errors. */
export function parseConfig(text: string, where: string): DistillConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DistillError('E_CONFIG_INVALID', `${where} is not valid JSON: ${(error as Error).message}`, {
      hint: `fix the JSON in ${where}, or delete it and run git distill init`,
      details: { path: where },
    });
  }
  const version = (raw as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version === 'number' && version > CONFIG_SCHEMA_VERSION) {
    throw new DistillError('E_SCHEMA_VERSION_NEWER', `${where} has schema_version ${version}, newer than this git-distill understands (${CONFIG_SCHEMA_VERSION})`, {
      hint: 'upgrade git-distill',
      details: { path: where },
    });
  }
  const parsed = DistillConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DistillError('E_CONFIG_INVALID', `${where} is invalid: ${issues}`, {
      hint: `fix ${where} (see README "Configuration")`,
      details: { path: where, issues: parsed.error.issues },
    });
  }
  return parsed.data;
}

/** Load the config that applies to `dir`: an explicit file, the nearest `.distill/config.json`, or the defaults. */
export function loadConfig(dir: string, explicit: string | null = null): { config: DistillConfig; path: string | null } {
  const path = explicit ?? (() => {
    const root = findConfigRoot(dir);
    return root === null ? null : join(root, CONFIG_PATH);
  })();
  if (path === null) return { config: defaultConfig(), path: null };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DistillError('E_CONFIG_UNREADABLE', `cannot read ${path}: ${(error as Error).message}`, {
      hint: 'check the path and its permissions',
      details: { path },
    });
  }
  return { config: parseConfig(text, path), path };
}

/**
 * The config of a repository: `<repoRoot>/.distill/config.json` or the defaults. Never a file above the
 * repository — a config in a parent directory (a home folder, a monorepo root) must not steer this one.
 */
export function loadRepoConfig(repoRoot: string): { config: DistillConfig; path: string | null } {
  const path = join(repoRoot, CONFIG_PATH);
  return existsSync(path) ? loadConfig(repoRoot, path) : { config: defaultConfig(), path: null };
}

// Where a check's policy comes from: on a PR, the base commit's config and baseline (the PR cannot excuse itself), else the working tree.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaselineSchema } from '../../schemas/baseline.ts';
import { defaultConfig, type ChecksConfig, type DistillConfig } from '../../schemas/config.ts';
import { CONFIG_PATH, parseConfig } from '../config/load.ts';
import { DistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import { buildPolicy, type Policy } from './policy.ts';

/** Parse a baseline file's text into its fingerprints; `where` names it in errors. */
export function parseBaseline(text: string, where: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DistillError('E_CONFIG_INVALID', `${where} is not valid JSON: ${(error as Error).message}`, {
      hint: `fix the JSON in ${where}`,
      details: { path: where },
    });
  }
  const parsed = BaselineSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DistillError('E_CONFIG_INVALID', `${where} is not a baseline: ${issues}`, {
      hint: `fix ${where} (schemas/json/baseline.schema.json), or remove it`,
      details: { path: where },
    });
  }
  return parsed.data.fingerprints.map((e) => e.fingerprint);
}

/** The file at `<oid>:<path>`, or null when the commit has no such file. */
async function readAtCommit(git: Git, oid: string, path: string): Promise<string | null> {
  const r = await git.run(['cat-file', 'blob', `${oid}:${path}`], { allowExit: [128] });
  return r.exitCode === 0 ? r.stdoutText : null;
}

export interface LoadedPolicy {
  policy: Policy;
  checks: ChecksConfig;
  /** The whole config the checks run with: the base commit's on a PR (defaults when it has none), else `fallback`. */
  config: DistillConfig;
  /** Where the config and baseline were read: `<oid>:<path>` or a working-tree path; null when absent. */
  config_from: string | null;
  baseline_from: string | null;
}

/**
 * With a base commit (a PR), the config the checks run with, the policy and the baseline are read from that
 * commit: a PR that edits `.distill/config.json` (the policy, the drift docs, the test globs) or the baseline to
 * silence its own findings changes nothing until it is merged. Without one, the working tree's files apply
 * (`fallback` is the config already loaded from it).
 */
export async function loadCheckPolicy(git: Git, repoRoot: string, baseOid: string | null, fallback: DistillConfig): Promise<LoadedPolicy> {
  let config = fallback;
  let configFrom: string | null = existsSync(join(repoRoot, CONFIG_PATH)) ? CONFIG_PATH : null;
  if (baseOid !== null) {
    const text = await readAtCommit(git, baseOid, CONFIG_PATH);
    configFrom = text === null ? null : `${baseOid}:${CONFIG_PATH}`;
    config = text === null ? defaultConfig() : parseConfig(text, `${baseOid.slice(0, 12)}:${CONFIG_PATH}`);
  }
  const checks = config.checks;
  let baselineText: string | null;
  let baselineFrom: string | null;
  if (baseOid !== null) {
    baselineText = await readAtCommit(git, baseOid, checks.baseline);
    baselineFrom = baselineText === null ? null : `${baseOid}:${checks.baseline}`;
  } else {
    const path = join(repoRoot, checks.baseline);
    baselineText = existsSync(path) ? readFileSync(path, 'utf8') : null;
    baselineFrom = baselineText === null ? null : checks.baseline;
  }
  const fingerprints = baselineText === null ? [] : parseBaseline(baselineText, baselineFrom ?? checks.baseline);
  return { policy: buildPolicy(checks, fingerprints), checks, config, config_from: configFrom, baseline_from: baselineFrom };
}

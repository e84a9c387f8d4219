// What `git distill init` writes: the config text from the discovered sources and the .gitignore update; pure.
import { CONFIG_SCHEMA_VERSION, DistillConfigSchema, type SourceConfig } from '../../schemas/config.ts';

/** The line init adds to .gitignore: the cache is local and rebuildable (DESIGN section 10). */
export const CACHE_IGNORE_LINE = '.distill/cache/';

/** Lines that already keep the cache out of git. */
const CACHE_IGNORED_BY = new Set(['.distill/cache/', '.distill/cache', '/.distill/cache/', '/.distill/cache', '.distill/cache/*', '/.distill/cache/*', '.distill/cache/**', '/.distill/cache/**']);

/**
 * The config file: only what init decided (schema_version, ref, sources); every other setting keeps its
 * default, so a later git-distill's better defaults apply. Pretty-printed: people edit this file.
 */
export function renderInitConfig(ref: string, sources: readonly SourceConfig[]): string {
  const config = { schema_version: CONFIG_SCHEMA_VERSION, ref, sources: [...sources] };
  DistillConfigSchema.parse(config);
  return JSON.stringify(config, null, 2) + '\n';
}

export type GitignoreAction = 'created' | 'appended' | 'unchanged';

/** The .gitignore after init: `existing` (null when there is none) with the cache line added once. */
export function planGitignore(existing: string | null): { text: string; action: GitignoreAction } {
  if (existing === null) return { text: `${CACHE_IGNORE_LINE}\n`, action: 'created' };
  const covered = existing.split(/\r?\n/).some((line) => CACHE_IGNORED_BY.has(line.trim()));
  if (covered) return { text: existing, action: 'unchanged' };
  const sep = existing === '' || existing.endsWith('\n') ? '' : existing.includes('\r\n') ? '\r\n' : '\n';
  return { text: `${existing}${sep}${CACHE_IGNORE_LINE}\n`, action: 'appended' };
}

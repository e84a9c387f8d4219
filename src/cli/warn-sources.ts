// What run and backfill say when nothing would be read: a fresh clone without .distill/config.json distills empty folders.
import type { DistillConfig } from '../../schemas/config.ts';
import type { CliEnv } from './command.ts';

/** One stderr note, with the next command, when the config names no enabled source (or there is no config at all). */
export function warnWithoutSources(env: CliEnv, config: DistillConfig, path: string | null): void {
  if (config.sources.some((s) => s.enabled)) return;
  const where = path === null ? 'there is no .distill/config.json' : `${path} names no enabled source`;
  env.stderr(`git-distill: ${where}, so no agent logs are read (commits get empty folders)\n  next: git distill init\n`);
}

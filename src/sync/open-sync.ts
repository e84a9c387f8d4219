// What push, pull and the pre-push hook share: open the repository's store and run a sync with real time and jitter.
import { loadRepoConfig } from '../config/load.ts';
import { createGit } from '../io/git.ts';
import { readRepoRoot } from '../read/read-distilled.ts';
import { createGitStore } from '../store/git-store.ts';
import { computeDerivedFiles, derivedOptions } from '../derived/derived-files.ts';
import { openDistillCache } from '../distill/cache.ts';
import { assertRemote, type SyncOptions, type SyncVerb } from './sync.ts';

export const DEFAULT_REMOTE = 'origin';
export const DEFAULT_ATTEMPTS = 5;

/** Open the repository at `cwd` for a `verb` with `remote`; `close` releases the store and the cache. */
export async function openSync(cwd: string, verb: SyncVerb, remote: string, toolVersion: string, attempts: number): Promise<{ opts: SyncOptions; close(): Promise<void> }> {
  const root = await readRepoRoot(createGit({ cwd }));
  const git = createGit({ cwd: root });
  await assertRemote(git, remote, verb);
  const { config } = loadRepoConfig(root);
  const store = createGitStore({ git, ref: config.ref, tool_version: toolVersion });
  const cache = openDistillCache(root);
  return {
    opts: {
      git,
      store,
      remote,
      tool_version: toolVersion,
      // A merged tree's playbooks and ledger are recounted over every folder it holds: each manifest is read, and a
      // folder whose manifest sha256 the cache knows is not read again (only the other side's new folders are).
      derive: (view) => computeDerivedFiles(view, { ...derivedOptions(config), cache: cache.derived }),
      attempts,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
    },
    close: async () => {
      try {
        await store.close();
      } finally {
        cache.close();
      }
    },
  };
}

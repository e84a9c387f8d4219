// `git distill log`: the user's history, like git log, with each commit's distilled figures; reads only.
import { DistillError, EXIT } from '../../errors.ts';
import { listCommits, openRepoStore, readVerifiedFolder } from '../../read/read-distilled.ts';
import { buildLogEntry, buildLogJson, renderLogBlocks, renderLogOneline, type LogEntry } from '../../read/render-log.ts';
import { readCommitPlaybooks } from '../../playbooks/commit-playbooks.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill log [-n <N>] [--oneline] [--json] [<revision-range>...]

Walk your history as git log does (default HEAD; ranges such as main..HEAD, ^base tip) and show for each
commit whether it is distilled, with its evidence, runs by category, quarantined lines, redactions, and
whether its files and receipts verify. Reads only: nothing in your checkout or branches changes.

--oneline reads like git log --oneline with the figures appended:

  a1b2c3d Fix parser  ✓ 42 ev · 5 runs (3✓ 1~ 1✗ 0?) · 2 q · 1 redacted
  9f8e7d6 Bump deps  ·  not distilled

  first mark    ✓ every hash and receipt verifies, ✗ they do not (then: git distill verify <rev>),
                · the commit is not distilled (git distill run <rev>)
  ev            evidence records        runs (a✓ p~ r✗ h?)  accepted, partially accepted, rejected,
  q             quarantined lines                           needs human review
  redacted      secrets redacted
  playbooks     playbooks this commit's runs created or updated (shown only when there are some)

options:
  -n, --max-count <N>  show at most N commits
  --oneline            one line per commit
  --json               print a JSON array of {oid, subject, distilled, counts, receipts_valid, playbooks}
                       (counts and receipts_valid are null for a commit that is not distilled)
  -h, --help           this help
`;

function parseMaxCount(values: ParsedValues): number | null {
  const raw = values['max-count'];
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) {
    throw new DistillError('E_USAGE', `-n expects a whole number, got ${JSON.stringify(raw)}`, { hint: 'git distill log -n 10' });
  }
  return Number(raw);
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const maxCount = parseMaxCount(values);
  const { git, store } = await openRepoStore(env.cwd, env.version);
  try {
    const commits = await listCommits(git, positionals, maxCount);
    const distilled = new Set(await store.listSources());
    const entries: LogEntry[] = [];
    for (const commit of commits) {
      const folder = distilled.has(commit.oid) ? await readVerifiedFolder(store, commit.oid) : null;
      entries.push(buildLogEntry(commit, folder, folder === null ? [] : await readCommitPlaybooks(store, commit.oid, folder.files)));
    }
    if (values.json === true) env.stdout(JSON.stringify(buildLogJson(entries)) + '\n');
    else env.stdout(values.oneline === true ? renderLogOneline(entries) : renderLogBlocks(entries));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const logCommand: Command = {
  name: 'log',
  summary: 'your history with each commit’s distilled evidence, runs and receipt status',
  help: HELP,
  options: {
    'max-count': { type: 'string', short: 'n' },
    oneline: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};

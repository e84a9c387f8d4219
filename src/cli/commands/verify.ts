// `git distill verify`: recompute every stored file's sha256, the receipt chain, every record's schema and the counts; exit 1 on the first mismatch.
import { DistillError, EXIT } from '../../errors.ts';
import { openRepoStore, readVerifiedFolder, resolveCommit, verifyBranchFormat, type VerifiedFolder } from '../../read/read-distilled.ts';
import { renderProblem, type Problem } from '../../read/verify-folder.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill verify [<rev> | --all] [--json]

Check a distilled commit (default HEAD), or every one on the distill branch with --all:
  - each file's sha256 against manifest.json and against every receipt that lists it as an output;
  - the receipt chain: the first stage's prev_receipt_sha256 is null, each later one is the sha256
    of the stored bytes of the receipt before it, in the manifest's stage order;
  - every record against its schema (manifest, evidence, scored runs, quarantine, receipts), stored
    as canonical JSON;
  - the counts: the manifest's and each receipt's record_counts against the lines of the files.
Exits 0 when everything matches, 1 naming the first file that does not (the file most likely changed).

options:
  --all       verify every distilled commit on the branch
  --json      print {ok, ref, head, folders: [{source_oid, path, ok, files, problems: [{path, line, code,
              message}]}], problems} (top-level problems concern the branch, e.g. its FORMAT file)
  -h, --help  this help
`;

interface FolderResult {
  source_oid: string;
  path: string;
  ok: boolean;
  files: number;
  problems: Problem[];
}

function toResult(f: VerifiedFolder): FolderResult {
  return { source_oid: f.source_oid, path: f.path, ok: f.problems.length === 0, files: f.files.size, problems: f.problems };
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const all = values.all === true;
  if (positionals.length > 1 || (all && positionals.length > 0)) {
    throw new DistillError('E_USAGE', 'verify takes one revision or --all', { hint: 'git distill verify --all' });
  }
  const json = values.json === true;
  const { git, store } = await openRepoStore(env.cwd, env.version);
  try {
    const head = await store.head();
    const branchProblems = await verifyBranchFormat(store);
    const results: FolderResult[] = [];
    let rev: string | null = null;
    if (all) {
      for (const oid of await store.listSources()) {
        const folder = await readVerifiedFolder(store, oid);
        if (folder !== null) results.push(toResult(folder));
      }
    } else {
      rev = positionals[0] ?? 'HEAD';
      const commit = await resolveCommit(git, rev);
      const folder = await readVerifiedFolder(store, commit.oid);
      if (folder === null) {
        if (json) env.stdout(JSON.stringify({ ok: false, ref: store.ref, head, folders: [], problems: branchProblems, distilled: false, source_oid: commit.oid }) + '\n');
        env.stderr(`git-distill: ${commit.short} ${commit.subject} is not distilled: nothing to verify on ${store.ref}\n  next: git distill run ${rev}\n`);
        return EXIT.findings;
      }
      results.push(toResult(folder));
    }

    const ok = branchProblems.length === 0 && results.every((r) => r.ok);
    if (json) {
      env.stdout(JSON.stringify({ ok, ref: store.ref, head, folders: results, problems: branchProblems }) + '\n');
    } else {
      for (const p of branchProblems) env.stdout(`FAIL  ${store.ref}:${p.path}: ${p.message}\n`);
      for (const r of results) {
        const first = r.problems[0];
        env.stdout(first === undefined ? `ok    ${r.path} (${r.files} files)\n` : `FAIL  ${renderProblem(r.path, first)}${r.problems.length > 1 ? ` (+${r.problems.length - 1} more)` : ''}\n`);
      }
      if (all && results.length === 0) env.stdout(`nothing to verify: ${store.ref} has no distilled commits\n`);
    }
    if (ok) return EXIT.ok;

    const firstBranch = branchProblems[0];
    const firstFolder = results.find((r) => !r.ok);
    const message = firstBranch !== undefined ? `${store.ref}:${firstBranch.path}: ${firstBranch.message}` : renderProblem(firstFolder!.path, firstFolder!.problems[0]!);
    const hint =
      firstFolder === undefined
        ? `the distill branch was changed outside git-distill; inspect it with: git log ${store.ref}`
        : `the distill branch was changed outside git-distill; inspect with: git log -p ${store.ref} -- ${firstFolder.path} (re-distill with: git distill run ${firstFolder.source_oid.slice(0, 12)})`;
    const error = new DistillError('E_VERIFY_FAILED', message, { hint, details: { ref: store.ref, head, source_oid: firstFolder?.source_oid ?? null } });
    if (!json) throw error;
    // JSON mode already printed its one document; the diagnostic goes to stderr only.
    env.stderr(`git-distill: ${error.message}\n  next: ${hint}\n`);
    return error.exitCode;
  } finally {
    await store.close();
  }
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'recompute hashes, the receipt chain and record schemas; exit 1 on any changed byte',
  help: HELP,
  options: {
    all: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};

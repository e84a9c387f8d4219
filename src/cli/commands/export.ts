// `git distill export <rag|sft|preference|kto|all>`: datasets from the scored runs on the distill branch, written to a folder a trainer loads.
import { isAbsolute, join, resolve } from 'node:path';
import { canonicalJson, sha256Hex } from '../../canonical.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { buildExport, EXPORT_KINDS, type ExportKind } from '../../datasets/build-export.ts';
import type { ExportFormat } from '../../datasets/build-rows.ts';
import { readExportHistory } from '../../datasets/read-history.ts';
import { assertExportTarget, writeExportFolder } from '../../datasets/write-export.ts';
import { DistillError, EXIT } from '../../errors.ts';
import { openRepoStore, resolveCommit } from '../../read/read-distilled.ts';
import { buildRedactor } from '../../wiring.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill export <rag|sft|preference|kto|all> [--out DIR] [--format trl|openai] [--since <rev>] [--json]

Write datasets from the scored runs on the distill branch: every distilled commit reachable from
HEAD, or with --since only those not reachable from <rev>. Reads only; never touches the checkout.

  sft         sft/instruction_response.jsonl: runs scored accepted only (TRL prompt-completion)
  preference  preference/dpo.jsonl: chosen/rejected pairs from overrides, consensus splits, retries
  kto         kto/kto.jsonl: prompt, completion, label (accepted true, rejected false)
  rag         rag/chunks.jsonl (accepted and partially accepted knowledge, playbooks) and
              rag/eval.jsonl (Ragas: user_input, retrieved_contexts, response, reference)
  all         every kind above

Validation and test splits go to <stem>.validation.jsonl and <stem>.test.jsonl beside each file.
Each folder gets a dataset card README.md (Hugging Face configs), receipts/<kind>.json and
refused.jsonl (rows a validator refused, and why).

options:
  --out DIR        where to write (default: <git-dir>/distill/export); replaced whole, and only
                   when it is new, empty or a previous export, never over tracked files
  --format F       trl (default) or openai (chat and preference JSONL with only OpenAI's keys,
                   provenance in line-matched *.provenance.jsonl sidecars); kto is always trl
  --since REV      only source commits reachable from HEAD but not from REV
  --json           print {out, head, since, commits, kinds, refused, files}
  -h, --help       this help
`;

function parseKinds(positionals: string[]): ExportKind[] {
  if (positionals.length !== 1) {
    throw new DistillError('E_USAGE', `export takes one kind (${[...EXPORT_KINDS, 'all'].join(', ')}), got ${positionals.length}`, { hint: 'git distill export sft' });
  }
  const kind = positionals[0]!;
  if (kind === 'all') return [...EXPORT_KINDS];
  if ((EXPORT_KINDS as readonly string[]).includes(kind)) return [kind as ExportKind];
  throw new DistillError('E_USAGE', `unknown export kind ${JSON.stringify(kind)}; expected one of ${[...EXPORT_KINDS, 'all'].join(', ')}`, { hint: 'git distill export all' });
}

function parseFormat(value: ParsedValues[string]): ExportFormat {
  if (value === undefined) return 'trl';
  if (value === 'trl' || value === 'openai') return value;
  throw new DistillError('E_USAGE', `--format must be trl or openai, got ${JSON.stringify(value)}`, { hint: 'git distill export sft --format openai' });
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const kinds = parseKinds(positionals);
  const format = parseFormat(values.format);
  const { git, root, store } = await openRepoStore(env.cwd, env.version);
  try {
    const { config } = loadRepoConfig(root);
    const sinceRev = typeof values.since === 'string' ? values.since : null;
    const since = sinceRev === null ? null : { rev: sinceRev, oid: (await resolveCommit(git, sinceRev)).oid };
    await resolveCommit(git, 'HEAD');
    const out = typeof values.out === 'string' ? (isAbsolute(values.out) ? values.out : resolve(env.cwd, values.out)) : join(await git.gitDir(), 'distill', 'export');
    await assertExportTarget(git, root, out, 'datasets');

    const history = await readExportHistory(git, store, since);
    if (history.commits.length === 0) {
      throw new DistillError('E_INPUT_NOT_FOUND', `no distilled commit ${since === null ? 'in HEAD\'s history' : `between ${since.rev} and HEAD`} on ${store.ref}`, {
        hint: since === null ? 'git distill backfill' : `git distill run ${since.rev}..HEAD`,
      });
    }
    const command = ['git-distill', 'export', ...positionals, '--format', format, ...(sinceRev === null ? [] : ['--since', sinceRev])].join(' ');
    const built = buildExport(history.runs, history.playbooks, {
      kinds,
      format,
      config: config.export,
      redact: buildRedactor(config),
      command,
      tool_version: env.version,
      config_sha256: sha256Hex(canonicalJson(config)),
      head: history.head,
      since,
      commits: history.commits.length,
      input_files: history.input_files,
    });
    writeExportFolder(out, 'datasets', built.files, process.pid);

    if (values.json === true) {
      env.stdout(
        JSON.stringify({
          out,
          head: history.head.oid,
          since,
          commits: history.commits.length,
          kinds: built.kinds,
          refused: built.refusals,
          files: [...built.files.entries()].map(([path, text]) => ({ path, sha256: sha256Hex(text) })),
        }) + '\n',
      );
    } else {
      for (const k of built.kinds) {
        for (const d of k.datasets) {
          env.stdout(`${d.config_name}: ${d.rows} rows (train ${d.splits.train}, validation ${d.splits.validation}, test ${d.splits.test})\n`);
        }
        const c = k.runs_by_category;
        env.stdout(`  from runs: accepted ${c.accepted}, partially_accepted ${c.partially_accepted}, rejected ${c.rejected}, needs_human_review ${c.needs_human_review}; refused ${k.refused}, duplicates ${k.exact_duplicates} exact + ${k.near_duplicates} near, skipped ${k.skipped}${k.skipped === 0 ? '' : ` (${Object.entries(k.skipped_by_code).map(([code, n]) => `${code} ${n}`).join(', ')})`}\n`);
        if (k.labels !== null) env.stdout(`  labels: ${k.labels.true} desirable, ${k.labels.false} undesirable\n`);
      }
      env.stdout(`wrote ${out} (${history.commits.length} distilled commits)\n`);
    }
    if (format === 'openai' && kinds.includes('kto')) env.stderr('git-distill: OpenAI has no KTO format; kto/kto.jsonl is in TRL\'s shape\n');
    if (built.refusals.length > 0) env.stderr(`git-distill: ${built.refusals.length} rows refused by their validator; see ${join(out, 'refused.jsonl')}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'datasets (sft, preference, kto, rag) from the scored runs, for trainers',
  help: HELP,
  options: { out: { type: 'string' }, format: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  run,
};

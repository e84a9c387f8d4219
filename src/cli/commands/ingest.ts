// `git distill ingest`: collect, redact and score agent logs from files, directories or globs; no git writes.
import { resolve } from 'node:path';
import { DistillError, EXIT } from '../../errors.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';
import { loadConfig } from '../../config/load.ts';
import { expandSources } from '../../io/fs.ts';
import { runIngest, type IngestRequestBase, type IngestSummary } from '../../ingest/ingest.ts';
import { runIngestParallel } from '../../ingest/parallel.ts';
import { buildIngestSetup, collectIo } from '../../wiring.ts';
import { createGit } from '../../io/git.ts';
import type { SourceSummary } from '../../collect/collect.ts';

const HELP = `usage: git distill ingest <path|dir|glob>... [options]

Read agent logs (JSONL sessions, the auditor loop's streams, ...), turn every line into a validated,
redacted EvidenceRecord or a quarantine entry, and score every run. Writes nothing to git.

options:
  --format <id>        read every file with this adapter instead of detecting (see --list-formats)
  --out <dir>          write evidence.jsonl, scored.jsonl, quarantine.jsonl and receipts/ there
  --json               print one JSON object: {lines, evidence, quarantined, blank, runs,
                       runs_by_category, redactions_by_rule, formats, ...}
  --strict             exit 3 when any line was quarantined
  --recorded-at <iso>  the time recorded in provenance (default: now); fix it for byte-identical reruns
  --config <file>      use this config instead of the nearest .distill/config.json
  --jobs <n>           read and score on n worker threads (default 1). Outputs are byte-identical
                       whatever n. Faster when n cores are free (slower when they are busy), and
                       its peak memory at 1 GB is about 1.5x that at 100 MB (one thread: ~1.3x)
  --list-formats       print the known formats and exit
  -h, --help           this help
      --version        print the version
`;

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

export function renderIngestText(s: IngestSummary): string {
  const lines: string[] = [];
  const read = s.sources.filter((x) => x.skipped === null);
  const formats = Object.entries(s.formats)
    .map(([f, n]) => `${f} ×${n}`)
    .join(', ');
  lines.push(`read ${plural(read.length, 'file')}${formats === '' ? '' : ` (${formats})`}`);
  lines.push(
    `${plural(s.lines, 'line')} → ${plural(s.evidence, 'evidence record')}, ${s.quarantined.toLocaleString('en-US')} quarantined, ${s.blank.toLocaleString('en-US')} blank`,
  );
  const cats = Object.entries(s.runs_by_category)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  lines.push(`${plural(s.runs, 'run')} scored: ${cats}`);
  const red = Object.entries(s.redactions_by_rule);
  const redTotal = red.reduce((a, [, n]) => a + n, 0);
  lines.push(`${plural(redTotal, 'secret')} redacted${red.length === 0 ? '' : ': ' + red.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (s.quarantined > 0) {
    const reasons = Object.entries(s.quarantined_by_reason)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    lines.push(`quarantined by reason: ${reasons}${s.out_dir === null ? ' (rerun with --out DIR to see each line in quarantine.jsonl)' : ''}`);
  }
  for (const skip of s.skipped) lines.push(`skipped ${skip.source_file}: ${skip.reason} (${skip.hint})`);
  if (s.out_dir !== null) lines.push(`wrote ${s.out_dir}/{evidence,scored,quarantine}.jsonl and receipts/`);
  return lines.join('\n') + '\n';
}

export function ingestJson(s: IngestSummary): Record<string, unknown> {
  return {
    lines: s.lines,
    evidence: s.evidence,
    quarantined: s.quarantined,
    blank: s.blank,
    runs: s.runs,
    runs_by_category: s.runs_by_category,
    redactions_by_rule: s.redactions_by_rule,
    formats: s.formats,
    quarantined_by_reason: s.quarantined_by_reason,
    skipped: s.skipped,
    sources: s.sources.map((x: SourceSummary) => ({
      source_file: x.source_file,
      format: x.format,
      format_by: x.format_by,
      lines: x.lines,
      evidence: x.evidence,
      quarantined: x.quarantined,
      blank: x.blank,
    })),
    out_dir: s.out_dir,
  };
}

/** HEAD of the repository around `cwd`, for the receipts; null outside a repository or before the first commit. */
async function readHeadOid(cwd: string): Promise<string | null> {
  try {
    const r = await createGit({ cwd }).run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { allowExit: [1, 128] });
    const oid = r.stdoutText.trim();
    return r.exitCode === 0 && /^[0-9a-f]{40}$/.test(oid) ? oid : null;
  } catch {
    return null;
  }
}

function parseJobs(value: ParsedValues[string]): number {
  // One thread by default: its peak memory grows far less with the input than the pool's
  // (docs/benchmarks.md), and on a busy machine the pool is slower than one thread.
  if (value === undefined) return 1;
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new DistillError('E_USAGE', `--jobs '${String(value)}' is not a whole number of at least 1`, { hint: 'use e.g. --jobs 2, or --jobs 1 for one thread' });
  }
  return n;
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const setup = buildIngestSetup();
  if (values['list-formats'] === true) {
    for (const a of setup.adapters) env.stdout(`${a.id.padEnd(36)} ${a.description}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) {
    throw new DistillError('E_USAGE', 'ingest needs at least one file, directory or glob', { hint: 'git distill ingest data/_kb' });
  }
  const format = typeof values.format === 'string' ? values.format : null;
  if (format !== null && !setup.adapters.some((a) => a.id === format)) {
    throw new DistillError('E_USAGE', `unknown format '${format}'`, { hint: 'git distill ingest --list-formats' });
  }
  const jobs = parseJobs(values.jobs);
  const recordedAt = typeof values['recorded-at'] === 'string' ? values['recorded-at'] : env.now().toISOString();
  if (Number.isNaN(Date.parse(recordedAt))) {
    throw new DistillError('E_USAGE', `--recorded-at '${recordedAt}' is not an ISO date`, { hint: 'use e.g. --recorded-at 2026-01-01T00:00:00Z' });
  }
  const { config } = loadConfig(env.cwd, typeof values.config === 'string' ? resolve(env.cwd, values.config) : null);
  const sources = expandSources(positionals, env.cwd).map((s) => ({ ...s, format }));
  const out = typeof values.out === 'string' ? resolve(env.cwd, values.out) : null;
  const tty = env.stderrIsTTY && values.json !== true;
  let done = 0;
  const base: IngestRequestBase = {
    sources,
    config,
    ...setup.scoring(config),
    recorded_at: new Date(recordedAt).toISOString(),
    out_dir: out,
    command: ['git-distill', 'ingest', ...positionals].join(' '),
    git_sha: out === null ? null : await readHeadOid(env.cwd),
    tool_version: env.version,
    now: env.now,
    onSource: (s) => {
      done++;
      if (tty) env.stderr(`\r\x1b[2K[${done}/${sources.length}] ${s.source_file}`);
    },
  };
  const summary =
    jobs === 1
      ? await runIngest(collectIo(), { ...base, adapters: setup.adapters, redact: setup.redactor(config) })
      : await runIngestParallel(base, { jobs });
  if (tty) env.stderr('\r\x1b[2K');
  env.stdout(values.json === true ? JSON.stringify(ingestJson(summary)) + '\n' : renderIngestText(summary));
  if (values.strict === true && summary.quarantined > 0) {
    env.stderr(`git-distill: ${summary.quarantined} line(s) quarantined (--strict)\n`);
    return EXIT.invalid_input;
  }
  return EXIT.ok;
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'collect, redact and score agent logs (no git writes)',
  help: HELP,
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    strict: { type: 'boolean' },
    'recorded-at': { type: 'string' },
    config: { type: 'string' },
    jobs: { type: 'string' },
    'list-formats': { type: 'boolean' },
  },
  allowPositionals: true,
  run,
};

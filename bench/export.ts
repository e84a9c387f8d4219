// bench/export: `git distill export all` throughput over a large distilled history vs `git distill ingest` on the same records, side by side.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../src/canonical.ts';
import { buildFolderFiles, emptyFolderContent } from '../src/distill/build-folder.ts';
import { createGit } from '../src/io/git.ts';
import { createGitStore } from '../src/store/git-store.ts';
import { DEFAULT_DISTILL_REF } from '../src/store/layout.ts';
import { buildScoring } from '../src/wiring.ts';
import { defaultConfig } from '../schemas/config.ts';
import type { EvidenceRecord } from '../schemas/evidence-record.ts';
import { makeSessionRun, type Outcome } from '../src/datasets/export.fixture.ts';
import { measureCommand, median, readMachineInfo, renderTable, type Measurement } from './lib.ts';

interface Flags {
  mb: number;
  commits: number;
  rounds: number;
  json: boolean;
}

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { mb: 50, commits: 100, rounds: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => Number(argv[++i]);
    if (a === '--mb') f.mb = next();
    else if (a === '--commits') f.commits = next();
    else if (a === '--rounds') f.rounds = next();
    else if (a === '--quick') Object.assign(f, { mb: 10, commits: 30, rounds: 1 });
    else if (a === '--json') f.json = true;
    else {
      process.stderr.write(`usage: bun bench/export.ts [--mb N] [--commits N] [--rounds N] [--quick] [--json]\n`);
      process.exit(2);
    }
  }
  return f;
}

const progress = (msg: string) => process.stderr.write(`bench/export: ${msg}\n`);

function run(argv: string[], cwd?: string): string {
  const r = Bun.spawnSync(argv, { ...(cwd === undefined ? {} : { cwd }), stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (${r.exitCode}): ${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString();
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  const root = join(import.meta.dir, '..');
  const bin = join(root, 'bin', 'git-distill');
  const work = mkdtempSync(join(tmpdir(), 'bench-export-'));
  try {
    progress(`generating ${f.mb} MB of auditor-loop logs`);
    const logs = join(work, 'logs');
    run([process.execPath, join(root, 'bench', 'gen-auditor-logs.ts'), '--out', logs, '--mb', String(f.mb)]);
    const files = run(['sh', '-c', `ls ${logs}/*.jsonl`]).trim().split('\n');
    const ingested = join(work, 'ingested');
    run([bin, 'ingest', ...files, '--out', ingested, '--recorded-at', '2024-01-01T00:00:00Z']);
    const ingestedEvidence = readFileSync(join(ingested, 'evidence.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as EvidenceRecord);
    // The generated auditor logs carry no prompts (mode_experiments has responses only), so they give RAG
    // chunks and consensus-split DPO pairs but no SFT or KTO rows; session-shaped runs (prompt, tool call,
    // answer) as many again exercise SFT, run-pair DPO and KTO.
    const outcomes: Outcome[] = ['accept', 'accept', 'partial', 'reject', 'review', 'override_accept', 'override_reject'];
    const vocab = 'parser cache token branch commit schema index retry lock queue hook store export split seed chunk card receipt redact verify'.split(' ');
    const pick = (i: number, n: number) => Array.from({ length: n }, (_, j) => vocab[(i * 7 + j * 13 + ((i * j) % 5)) % vocab.length]).join(' ');
    const sessions: EvidenceRecord[] = [];
    const tasks = Math.max(1, Math.floor(ingestedEvidence.length / 12));
    for (let i = 0; sessions.length < ingestedEvidence.length; i++) {
      // The attempts at one task answer the same request, as retries do: DPO pairs need a prompt both runs saw.
      const task = i % tasks;
      sessions.push(
        ...makeSessionRun({
          run_id: `session-${i}`,
          task_id: `task-${task}`,
          outcome: outcomes[i % outcomes.length]!,
          prompt: `${pick(task, 24)} request ${task}`,
          answer: `${pick(i + 3, 60)} answer ${i}`,
          minute: i % 1000,
          ...(i % 3 === 0 ? { tool: { name: 'Bash', input_summary: `{"command":"bun test ${i}"}`, result: `${i} pass` } } : {}),
          ...(i % 4 === 0 ? { fact: `lesson ${i}: ${pick(i + 1, 30)}` } : {}),
        }),
      );
    }
    const evidence = [...ingestedEvidence, ...sessions];

    progress(`distilling ${evidence.length} records into ${f.commits} commit folders`);
    const repo = join(work, 'repo');
    mkdirSync(repo);
    run(['git', 'init', '-q', '-b', 'main'], repo);
    const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' };
    const oids: string[] = [];
    for (let i = 0; i < f.commits; i++) {
      Bun.spawnSync(['git', '-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', `c${i}`], { cwd: repo, env });
      oids.push(run(['git', 'rev-parse', 'HEAD'], repo).trim());
    }
    const byCommit = new Map<number, EvidenceRecord[]>();
    for (const e of evidence) {
      const k = Number.parseInt(sha256Hex(e.run_id).slice(0, 8), 16) % f.commits;
      const list = byCommit.get(k) ?? [];
      list.push({ ...e, links: [{ oid: oids[k]!, by: 'oid', detail: 'bench' }] });
      byCommit.set(k, list);
    }
    const { rules, rules_sha256, scorer_version } = buildScoring(defaultConfig());
    const git = createGit({ cwd: repo });
    const store = createGitStore({ git, ref: DEFAULT_DISTILL_REF, tool_version: 'bench' });
    let head: string | null = null;
    for (const [k, recs] of [...byCommit.entries()].sort(([a], [b]) => a - b)) {
      const oid = oids[k]!;
      const content = { ...emptyFolderContent(), evidence: recs, read_counts: { lines: recs.length, evidence: recs.length, quarantined: 0, blank: 0 } };
      const folder = buildFolderFiles(content, { oid, subject: `c${k}`, committed_at: '2024-01-01T00:00:00.000Z' }, { config_sha256: sha256Hex('bench'), rules, rules_sha256, scorer_version, tool_version: 'bench' });
      head = await store.write({ source_oid: oid, subject: `c${k}`, files: folder, derived: new Map(), expected_head: head, date: '2024-01-01T00:00:00Z' });
    }
    await store.close();

    const columns = [
      { id: 'ingest', label: 'git-distill ingest (same logs)', argv: [bin, 'ingest', ...files, '--json', '--recorded-at', '2024-01-01T00:00:00Z'], cwd: work },
      { id: 'export', label: `git-distill export all (${f.commits} distilled commits)`, argv: [bin, 'export', 'all', '--out', join(work, 'out'), '--json'], cwd: repo },
    ];
    const walls = new Map<string, number[]>(columns.map((c) => [c.id, []]));
    const cpus = new Map<string, number[]>(columns.map((c) => [c.id, []]));
    let last: Measurement | null = null;
    for (let r = 0; r < f.rounds; r++) {
      for (const c of columns) {
        progress(`round ${r + 1}/${f.rounds}: ${c.id}`);
        const m = await measureCommand(c.argv, { cwd: c.cwd, stdout: 'capture' });
        if (m.exit_code !== 0) throw new Error(`${c.id} exited ${m.exit_code}: ${m.stderr_tail}`);
        walls.get(c.id)!.push(m.wall_ms);
        cpus.get(c.id)!.push(m.cpu_ms);
        if (c.id === 'export') last = m;
      }
    }
    const exported = JSON.parse(last!.stdout!) as { kinds: Array<{ kind: string; datasets: Array<{ config_name: string; rows: number }> }> };
    const rows = exported.kinds.flatMap((k) => k.datasets.map((d) => `${d.config_name}=${d.rows}`)).join(' ');
    // Each column over the records it processes: ingest reads the auditor logs, export reads every stored record.
    const rate = (id: string) => (id === 'ingest' ? ingestedEvidence.length : evidence.length) / (median(walls.get(id)!) / 1000);
    const report = {
      date: new Date().toISOString(),
      machine: readMachineInfo(),
      mb: f.mb,
      records: evidence.length,
      commits: f.commits,
      rounds: f.rounds,
      ingest_records: ingestedEvidence.length,
      columns: columns.map((c) => ({ id: c.id, label: c.label, wall_ms: median(walls.get(c.id)!), cpu_ms: median(cpus.get(c.id)!), records_per_s: Math.round(rate(c.id)) })),
      export_over_ingest: rate('export') / rate('ingest'),
      rows,
    };
    if (f.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return;
    }
    process.stdout.write(
      [
        `bench/export: ingest ${report.ingest_records} records (${f.mb} MB of auditor logs); export ${report.records} stored records (those + session runs) over ${f.commits} distilled commits; ${f.rounds} rounds, medians`,
        `machine: ${report.machine.cpu_model}, ${report.machine.cpus} cpus, bun ${report.machine.bun}`,
        '',
        renderTable(
          ['column', '>wall s', '>cpu s', '>records/s'],
          report.columns.map((c) => [c.label, (c.wall_ms / 1000).toFixed(2), (c.cpu_ms / 1000).toFixed(2), String(c.records_per_s)]),
        ),
        '',
        `export / ingest throughput (records/s): ${report.export_over_ingest.toFixed(2)}x`,
        `rows written: ${rows}`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

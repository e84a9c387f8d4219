// Reads what an export draws on: the distilled folders of HEAD's history (or HEAD ^since) and the playbooks, through an injected git and store.
import { sha256Hex } from '../canonical.ts';
import { isEvidenceRecord } from '../collect/finalize.ts';
import { DistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';
import type { DistillStore } from '../store/store.ts';
import { commitDir, COMMIT_FILES, PLAYBOOKS_DIR } from '../store/layout.ts';
import { EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import { PlaybookSchema, type Playbook } from '../../schemas/playbook.ts';
import type { Receipt } from '../../schemas/receipt.ts';
import { ScoredRunSchema, type ScoredRun } from '../../schemas/scored-run.ts';
import { safeParseRecord } from '../../schemas/versioned.ts';
import type { ExportRun } from './build-rows.ts';

export interface ExportHistory {
  head: { oid: string; committed_at: string };
  since: { rev: string; oid: string } | null;
  /** Source commits of the range that have a folder on the distill branch, newest first. */
  commits: string[];
  runs: ExportRun[];
  playbooks: Playbook[];
  input_files: Receipt['input_files'];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function corrupt(path: string, line: number | null, why: string): DistillError {
  return new DistillError('E_STORE_CORRUPT', `${path}${line === null ? '' : `:${line}`} on the distill branch is not valid: ${why}`, {
    hint: 'git distill verify',
    details: { path, line },
  });
}

function parseLines<T>(path: string, bytes: Uint8Array, parse: (value: unknown) => { ok: true; value: T } | { ok: false; error: Error }): { records: T[]; lines: number } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw corrupt(path, null, 'not UTF-8');
  }
  const records: T[] = [];
  let lines = 0;
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    lines++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw corrupt(path, i + 1, (error as Error).message);
    }
    const r = parse(value);
    if (!r.ok) throw corrupt(path, i + 1, r.error.message);
    records.push(r.value);
  }
  return { records, lines };
}

async function committedAt(git: Git, oid: string): Promise<string> {
  const ct = (await git.run(['show', '-s', '--no-show-signature', '--format=%ct', oid, '--'])).stdoutText.trim();
  return new Date(Number(ct) * 1000).toISOString();
}

/**
 * Every distilled commit reachable from HEAD (and not from `since`), read at one distill head with
 * pipelined reads. A run stored in several folders (a commit carried by a rewrite) is one run: its
 * newest folder's score, the union of its evidence by evidence_id.
 */
export async function readExportHistory(git: Git, store: DistillStore, since: { rev: string; oid: string } | null): Promise<ExportHistory> {
  const headOid = await git.revParse('HEAD^{commit}');
  const head = { oid: headOid, committed_at: await committedAt(git, headOid) };
  const revs = since === null ? [headOid] : [headOid, `^${since.oid}`];
  const reachable: string[] = [];
  for await (const rec of git.records(['rev-list', ...revs, '--'], 10)) if (rec !== '') reachable.push(rec.trim());
  const distilled = new Set(await store.listSources());
  const commits = reachable.filter((oid) => distilled.has(oid));

  const paths = commits.flatMap((oid) => [`${commitDir(oid)}/${COMMIT_FILES.scored}`, `${commitDir(oid)}/${COMMIT_FILES.evidence}`]);
  const input_files: Receipt['input_files'] = [];
  const scoredByCommit = new Map<string, ScoredRun[]>();
  const evidenceByCommit = new Map<string, EvidenceRecord[]>();
  for await (const [path, bytes] of store.readPaths(paths)) {
    if (bytes === null) continue;
    const oid = path.split('/')[2]!;
    if (path.endsWith(COMMIT_FILES.scored)) {
      const { records, lines } = parseLines(path, bytes, (v) => safeParseRecord(ScoredRunSchema, 'scored-run', v));
      scoredByCommit.set(oid, records);
      input_files.push({ path, sha256: sha256Hex(bytes), bytes: bytes.length, lines });
    } else {
      // The predicate ingest compiles from the schema accepts exactly what zod would, at a fifth of the cost;
      // zod runs only for a record it refuses, to say why.
      const { records, lines } = parseLines(path, bytes, (v) => (isEvidenceRecord(v) ? { ok: true as const, value: v } : safeParseRecord(EvidenceRecordSchema, 'evidence-record', v)));
      evidenceByCommit.set(oid, records);
      input_files.push({ path, sha256: sha256Hex(bytes), bytes: bytes.length, lines });
    }
  }

  const runs = new Map<string, { run: ScoredRun; source_oid: string; evidence: Map<string, EvidenceRecord> }>();
  for (const oid of commits) {
    for (const run of scoredByCommit.get(oid) ?? []) if (!runs.has(run.run_id)) runs.set(run.run_id, { run, source_oid: oid, evidence: new Map() });
    for (const e of evidenceByCommit.get(oid) ?? []) {
      const r = runs.get(e.run_id);
      if (r !== undefined && !r.evidence.has(e.evidence_id)) r.evidence.set(e.evidence_id, e);
    }
  }

  const playbookPaths = (await store.listPaths(PLAYBOOKS_DIR)).filter((p) => p.endsWith('.json'));
  const playbooks: Playbook[] = [];
  for await (const [path, bytes] of store.readPaths(playbookPaths)) {
    if (bytes === null) continue;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch (error) {
      throw corrupt(path, null, (error as Error).message);
    }
    const r = safeParseRecord(PlaybookSchema, 'playbook', value);
    if (!r.ok) throw corrupt(path, null, r.error.message);
    playbooks.push(r.value);
    input_files.push({ path, sha256: sha256Hex(bytes), bytes: bytes.length, lines: 1 });
  }
  input_files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  return {
    head,
    since,
    commits,
    runs: [...runs.values()].map((r) => ({ run: r.run, source_oid: r.source_oid, evidence: [...r.evidence.values()] })),
    playbooks,
    input_files,
  };
}

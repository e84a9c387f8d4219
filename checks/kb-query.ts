// The auditor's kb_query check (DESIGN 12, 15), pure: what the team's agents already learned about the files a change touches.
import type { Finding, FindingEvidence } from '../schemas/finding.ts';
import { makeFinding, type Check, type CheckRule } from '../src/checks/check.ts';

export const KB_QUERY_CHECK_ID = 'kb_query';

export const KB_QUERY_RULES = [
  {
    id: 'rejected_same_change',
    title: 'A rejected run made this kind of change to this file',
    default_severity: 'medium',
    description: 'A past run that touched the same file was rejected, and the identifiers or error strings this change adds appear in that run (its patch, review or rejection reason).',
  },
  {
    id: 'past_rejection',
    title: 'A past run on this file was rejected',
    default_severity: 'info',
    description: 'A past run that touched the same file was rejected; its reasons say why.',
  },
  {
    id: 'past_failure',
    title: 'A past run on this file failed along the way',
    default_severity: 'info',
    description: 'A past run that touched the same file was not rejected but recorded failures (failed validations, failure markers) or was left for a human.',
  },
  {
    id: 'recurring_failure',
    title: 'A failure mode recurs on the files this change touches',
    default_severity: 'low',
    description: 'The same failure marker was recorded by two or more runs on the touched files.',
  },
  {
    id: 'playbook_applies',
    title: 'A playbook covers these files',
    default_severity: 'info',
    description: 'A distilled playbook touched these files (or their directory): its validation steps, known failure modes and acceptance criteria apply.',
  },
  {
    id: 'weak_model',
    title: 'A model does poorly on this task type',
    default_severity: 'low',
    description: 'Among runs of a task type seen on the touched files, a model with at least 3 runs was accepted in fewer than half.',
  },
] as const satisfies readonly CheckRule[];

export type KbQueryRuleId = (typeof KB_QUERY_RULES)[number]['id'];

export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted';
  /** Identifiers on added lines, most frequent first. */
  added_identifiers: string[];
  /** String literals on added lines that read as errors (thrown, logged, or saying error/fail). */
  error_strings: string[];
}

export interface PastRun {
  run_id: string;
  /** The commit it was distilled under. */
  source_oid: string;
  committed_at: string | null;
  category: string;
  task_type: string | null;
  models: string[];
  files: string[];
  reasons: string[];
  failure_markers: string[];
  failed_validations: string[];
  override_reason: string | null;
  /** Rank of its best document in the hybrid search for the diff's query (1 = best); null when outside the list. */
  relevance_rank: number | null;
  /** Per touched path: the change's identifiers and error strings (lower-cased) that also appear in this run's records. */
  shared_terms: Record<string, string[]>;
}

export interface PlaybookRef {
  playbook_id: string;
  title: string;
  status: string;
  task_type: string;
  files: string[];
  relevance_rank: number | null;
}

export interface ModelStat {
  task_type: string;
  model: string;
  runs: number;
  accepted: number;
  rejected: number;
}

export interface KbQuerySnapshot {
  base_oid: string | null;
  head_oid: string;
  changes: ChangedFile[];
  /** Runs that touched a changed file (or, for a deleted file, that file). */
  past_runs: PastRun[];
  playbooks: PlaybookRef[];
  model_stats: ModelStat[];
}

// ---- the query a diff makes -------------------------------------------------------------------------

const STOP = new Set(
  ('abstract any as async await boolean break case catch class const constructor continue debugger default delete do else enum export extends ' +
    'false finally for from function get if implements import in instanceof interface let new null number object of package private protected ' +
    'public readonly return set static string super switch this throw true try type typeof undefined var void while with yield ' +
    'def elif except lambda none pass raise self fn impl mut pub struct use mod match err nil func go chan defer range map the and not error')
    .split(' '),
);
const IDENT = /[A-Za-z_$][A-Za-z0-9_$]{2,}/g;
const LITERAL = /(["'`])((?:\\.|(?!\1).){4,200})\1/g;
const ERRORISH = /\b(throw|Error\(|reject|console\.error|logger\.error|log\.error|panic|raise)\b|error|fail|invalid|cannot|denied|timeout/i;
const MAX_IDENTIFIERS = 30;
const MAX_ERROR_STRINGS = 10;

/** Changed files of a unified diff (`git diff --no-renames -U0`), with identifiers and error strings on their added lines. */
export function parseUnifiedDiff(diff: string): ChangedFile[] {
  const files: Array<{ path: string; status: ChangedFile['status']; added: string[] }> = [];
  let current: (typeof files)[number] | null = null;
  let oldPath: string | null = null;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = null;
      oldPath = null;
      continue;
    }
    if (line.startsWith('--- ')) {
      oldPath = line === '--- /dev/null' ? null : line.slice(4).replace(/^a\//, '');
      continue;
    }
    if (line.startsWith('+++ ')) {
      const newPath = line === '+++ /dev/null' ? null : line.slice(4).replace(/^b\//, '');
      const path = newPath ?? oldPath;
      if (path === null) continue;
      current = { path, status: newPath === null ? 'deleted' : oldPath === null ? 'added' : 'modified', added: [] };
      files.push(current);
      continue;
    }
    if (current !== null && line.startsWith('+')) current.added.push(line.slice(1));
  }
  return files
    .map((f) => {
      const counts = new Map<string, number>();
      const errors: string[] = [];
      for (const text of f.added) {
        // Words inside string literals are the error strings' business, not identifiers.
        for (const m of text.replace(LITERAL, ' ').matchAll(IDENT)) {
          if (STOP.has(m[0].toLowerCase())) continue;
          counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
        }
        if (!ERRORISH.test(text)) continue;
        for (const m of text.matchAll(LITERAL)) {
          const s = (m[2] ?? '').trim();
          if (s !== '' && !errors.includes(s) && (ERRORISH.test(s) || /\b(throw|Error\(|console\.error|logger\.error|raise|panic)/.test(text))) errors.push(s);
        }
      }
      const identifiers = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([id]) => id);
      return { path: f.path, status: f.status, added_identifiers: identifiers.slice(0, MAX_IDENTIFIERS), error_strings: errors.slice(0, MAX_ERROR_STRINGS) };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The directories of a path, innermost first (`src/a/b.ts` → `src/a`, `src`). */
export function parentDirs(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = parts.length - 1; i > 0; i--) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** The search text for a change: changed paths and their directories, added identifiers, error strings. */
export function buildDiffQuery(changes: readonly ChangedFile[]): string {
  const parts = new Set<string>();
  for (const c of changes) {
    parts.add(c.path);
    for (const d of parentDirs(c.path)) parts.add(d);
  }
  for (const c of changes) for (const id of c.added_identifiers) parts.add(id);
  for (const c of changes) for (const e of c.error_strings) parts.add(e);
  return [...parts].join(' ');
}

/** The terms of a change that say what kind of change it is (identifiers and error-string words), lower-cased. */
export function changeTerms(change: ChangedFile): string[] {
  const terms = new Set<string>();
  for (const id of change.added_identifiers) {
    terms.add(id.toLowerCase());
    // fetchWithRetry, MAX_RETRIES: the parts are words a review or a rejection reason uses.
    for (const part of id.split(/_|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)) if (part.length >= 4 && !STOP.has(part.toLowerCase())) terms.add(part.toLowerCase());
  }
  for (const e of change.error_strings) for (const m of e.matchAll(/[A-Za-z_][A-Za-z0-9_]{3,}/g)) if (!STOP.has(m[0].toLowerCase())) terms.add(m[0].toLowerCase());
  return [...terms].sort();
}

// ---- the check ----------------------------------------------------------------------------------------

const short = (oid: string) => oid.slice(0, 12);
const day = (iso: string | null) => (iso === null ? '' : ` (${iso.slice(0, 10)})`);
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Past runs per touched file shown as findings; more are summarized in the last one's message. */
export const MAX_RUNS_PER_FILE = 5;

function touches(run: { files: readonly string[] }, path: string): boolean {
  return run.files.includes(path);
}

function why(run: PastRun): string {
  if (run.override_reason !== null && run.override_reason !== '') return run.override_reason;
  return run.reasons[0] ?? run.failure_markers[0] ?? 'no reason recorded';
}

function runEvidence(run: PastRun): FindingEvidence[] {
  const ev: FindingEvidence[] = [
    { lookup: `run ${run.run_id}`, found: true, detail: `${run.category}${run.task_type === null ? '' : ` ${run.task_type}`}${run.models.length === 0 ? '' : ` by ${run.models.join(', ')}`}` },
    { lookup: `commit ${run.source_oid}`, found: true, detail: `distilled under ${short(run.source_oid)}${day(run.committed_at)}; git distill show ${short(run.source_oid)}` },
  ];
  for (const r of run.reasons.slice(0, 3)) ev.push({ lookup: 'reason', found: true, detail: clip(r, 300) });
  for (const m of run.failure_markers.slice(0, 3)) ev.push({ lookup: 'failure marker', found: true, detail: clip(m, 200) });
  for (const v of run.failed_validations.slice(0, 3)) ev.push({ lookup: 'failed validation', found: true, detail: clip(v, 200) });
  return ev;
}

interface RunOnFile {
  path: string;
  run: PastRun;
}

/** Relevance order of (file, past run) pairs: the same kind of change first, then rejected, then shared terms, search rank, newest. */
function compareRunsOnFiles(a: RunOnFile, b: RunOnFile): number {
  const shared = (x: RunOnFile) => (x.run.shared_terms[x.path] ?? []).length;
  const rej = (x: RunOnFile) => (x.run.category === 'rejected' ? 1 : 0);
  const same = (x: RunOnFile) => Number(shared(x) > 0 && rej(x) === 1);
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    same(b) - same(a) ||
    rej(b) - rej(a) ||
    shared(b) - shared(a) ||
    (a.run.relevance_rank ?? Infinity) - (b.run.relevance_rank ?? Infinity) ||
    cmp(b.run.committed_at ?? '', a.run.committed_at ?? '') ||
    cmp(a.run.run_id, b.run.run_id) ||
    cmp(a.run.source_oid, b.run.source_oid) ||
    cmp(a.path, b.path)
  );
}

const isFailure = (r: PastRun) => r.category !== 'rejected' && (r.failure_markers.length > 0 || r.failed_validations.length > 0 || r.category === 'needs_human_review');

/** Findings in relevance order (most useful first); `sortFindings` gives the report's order. */
export function runKbQuery(snapshot: KbQuerySnapshot): Finding[] {
  const out: Finding[] = [];
  const check = KB_QUERY_CHECK_ID;
  // Past runs per file (at most MAX_RUNS_PER_FILE each), then all of them in one relevance order.
  const picked: Array<RunOnFile & { more: number; last: boolean }> = [];
  for (const change of snapshot.changes) {
    const path = change.path;
    const runs = snapshot.past_runs
      .filter((r) => touches(r, path) && (r.category === 'rejected' || isFailure(r)))
      .map((run) => ({ path, run }))
      .sort(compareRunsOnFiles);
    const shown = runs.slice(0, MAX_RUNS_PER_FILE);
    shown.forEach((x, i) => picked.push({ ...x, more: runs.length - shown.length, last: i === shown.length - 1 }));
  }
  for (const { path, run, more: moreCount, last } of picked.sort(compareRunsOnFiles)) {
    {
      const shared = run.shared_terms[path] ?? [];
      const more = last && moreCount > 0 ? ` (${moreCount} more past runs on this file: git distill query --file ${path} "${path}")` : '';
      const location = { path, start_line: null, end_line: null };
      const subject = `${run.run_id}@${run.source_oid}:${path}`;
      if (run.category === 'rejected') {
        const same = shared.length > 0;
        out.push(
          makeFinding({
            check,
            rule_id: same ? 'rejected_same_change' : 'past_rejection',
            title: same ? `${path}: a rejected run made this kind of change` : `${path}: a past run on this file was rejected`,
            message: `Run ${run.run_id} touched ${path} and was rejected under commit ${short(run.source_oid)}${day(run.committed_at)}: ${clip(why(run), 400)}${same ? `. This change adds ${shared.slice(0, 6).join(', ')}, which that run also has.` : '.'}${more}`,
            severity: same ? 'medium' : 'info',
            location,
            evidence: [...runEvidence(run), ...(same ? [{ lookup: `terms shared with ${run.run_id}`, found: true, detail: shared.join(', ') }] : [])],
            subject,
            introduced_by: 'pr',
          }),
        );
      } else {
        out.push(
          makeFinding({
            check,
            rule_id: 'past_failure',
            title: `${path}: a past run on this file hit failures`,
            message: `Run ${run.run_id} touched ${path} (${run.category}, commit ${short(run.source_oid)}${day(run.committed_at)}) and recorded: ${clip([...run.failed_validations, ...run.failure_markers][0] ?? 'left for a human to review', 300)}.${more}`,
            severity: 'info',
            location,
            evidence: runEvidence(run),
            subject,
            introduced_by: 'pr',
          }),
        );
      }
    }
  }
  // Recurring failure modes across the touched files.
  const touched = new Set(snapshot.changes.map((c) => c.path));
  const byMarker = new Map<string, PastRun[]>();
  for (const run of snapshot.past_runs) {
    if (!run.files.some((f) => touched.has(f))) continue;
    for (const m of new Set([...run.failure_markers, ...run.failed_validations].map((x) => x.trim().toLowerCase()))) {
      const list = byMarker.get(m) ?? [];
      if (!list.some((r) => r.run_id === run.run_id)) list.push(run);
      byMarker.set(m, list);
    }
  }
  for (const [marker, runs] of [...byMarker].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))) {
    if (runs.length < 2) continue;
    const ids = runs.map((r) => r.run_id).sort();
    const files = [...new Set(runs.flatMap((r) => r.files.filter((f) => touched.has(f))))].sort();
    out.push(
      makeFinding({
        check,
        rule_id: 'recurring_failure',
        title: `Recurring failure on ${files.join(', ')}`,
        message: `${runs.length} runs on ${files.join(', ')} recorded "${clip(marker, 200)}": ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}.`,
        severity: 'low',
        location: files.length === 1 ? { path: files[0] as string, start_line: null, end_line: null } : null,
        evidence: runs.slice(0, 8).map((r) => ({ lookup: `run ${r.run_id}`, found: true, detail: `${r.category}, commit ${short(r.source_oid)}${day(r.committed_at)}` })),
        subject: `marker:${marker}`,
        introduced_by: 'pr',
      }),
    );
  }
  // Playbooks that cover the touched files or their directories.
  const dirs = new Set(snapshot.changes.flatMap((c) => parentDirs(c.path)));
  for (const p of [...snapshot.playbooks].sort((a, b) => (a.relevance_rank ?? Infinity) - (b.relevance_rank ?? Infinity) || (a.playbook_id < b.playbook_id ? -1 : 1))) {
    if (p.status === 'retired') continue;
    const hits = p.files.filter((f) => touched.has(f) || dirs.has(f) || [...touched].some((t) => t.startsWith(`${f.replace(/\/+$/, '')}/`)));
    if (hits.length === 0) continue;
    out.push(
      makeFinding({
        check,
        rule_id: 'playbook_applies',
        title: `Playbook ${p.playbook_id} covers ${hits.join(', ')}`,
        message: `Playbook ${p.playbook_id} (${p.status}, ${p.task_type}) was distilled from runs on ${hits.join(', ')}: ${clip(p.title, 200)}. Its validation steps and acceptance criteria apply (distill branch: playbooks/${p.playbook_id}.json).`,
        severity: 'info',
        location: hits.length === 1 && touched.has(hits[0] as string) ? { path: hits[0] as string, start_line: null, end_line: null } : null,
        evidence: [{ lookup: `playbooks/${p.playbook_id}.json`, found: true, detail: `${p.status}; files ${p.files.join(', ')}` }],
        subject: `playbook:${p.playbook_id}`,
        introduced_by: 'pr',
      }),
    );
  }
  // Models that do poorly on the task types seen on these files.
  const taskTypes = new Set(snapshot.past_runs.filter((r) => r.files.some((f) => touched.has(f))).flatMap((r) => (r.task_type === null ? [] : [r.task_type])));
  for (const s of [...snapshot.model_stats].sort((a, b) => (a.task_type < b.task_type ? -1 : a.task_type > b.task_type ? 1 : a.model < b.model ? -1 : 1))) {
    if (!taskTypes.has(s.task_type) || s.runs < 3 || s.accepted / s.runs >= 0.5) continue;
    out.push(
      makeFinding({
        check,
        rule_id: 'weak_model',
        title: `${s.model} is accepted in ${s.accepted} of ${s.runs} ${s.task_type} runs`,
        message: `On task type ${s.task_type}, ${s.model} was accepted in ${s.accepted} of ${s.runs} runs (${s.rejected} rejected); this change touches files where ${s.task_type} runs happened.`,
        severity: 'low',
        location: null,
        evidence: [{ lookup: `model ${s.model} on ${s.task_type}`, found: true, detail: `${s.accepted}/${s.runs} accepted, ${s.rejected} rejected` }],
        subject: `model:${s.task_type}/${s.model}`,
        introduced_by: 'pr',
      }),
    );
  }
  return out;
}

export const kbQueryCheck: Check<KbQuerySnapshot> = {
  id: KB_QUERY_CHECK_ID,
  title: 'What the agents already learned about these files',
  rules: KB_QUERY_RULES,
  run: runKbQuery,
};

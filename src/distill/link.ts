// The linker (DESIGN 7.3), pure: decide which pending runs a commit explains (oid, files + window, session) and stamp their links.
import type { EvidenceRecord, Link } from '../../schemas/evidence-record.ts';

/** Seconds of slack before the parent's commit time and after this commit's time. */
export const DEFAULT_LINK_SLACK_SECONDS = 900;

/** What the linker knows of one source commit. */
export interface CommitFacts {
  oid: string;
  parents: string[];
  /** ISO 8601 committer date. */
  committed_at: string;
  /** The first parent's committer date; null for a root commit. */
  parent_committed_at: string | null;
  /** Repository-relative paths the commit changed against its first parent. */
  changed_paths: string[];
  /** Absolute path of the working tree's top level, `/`-separated. */
  repo_root: string;
  /** The branch the commit was made on, when known. */
  branch: string | null;
}

export interface LinkOptions {
  slack_seconds: number;
  /** `run --attach`: every pending run links to this commit, by 'manual'. */
  attach: boolean;
}

/** How one run was linked. */
export interface RunLink {
  run_id: string;
  oid: string;
  by: Link['by'];
  detail: string;
}

export interface LinkResult {
  /** Records linked to the commit, each with the run's link appended; sorted like the folder. */
  linked: EvidenceRecord[];
  /** Records still pending, unchanged; sorted like the folder. */
  pending: EvidenceRecord[];
  /** One entry per linked run, sorted by run_id. */
  runs: RunLink[];
}

const RULES = ['oid', 'files', 'session'] as const;
type Rule = (typeof RULES)[number];

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Folder order: source file, line, pointer, evidence id; total, so input order never shows. */
export function compareEvidence(a: EvidenceRecord, b: EvidenceRecord): number {
  return (
    cmp(a.provenance.source_file, b.provenance.source_file) ||
    a.provenance.line_offset - b.provenance.line_offset ||
    cmp(a.provenance.pointer ?? '', b.provenance.pointer ?? '') ||
    cmp(a.evidence_id, b.evidence_id)
  );
}

/** A record's path made repository-relative: absolute paths under the root lose the root, `./` is dropped. */
export function normalizeRepoPath(path: string, repoRoot: string): string {
  let p = path.replace(/\\/g, '/');
  const root = repoRoot.replace(/\/+$/, '');
  if (p.startsWith(root + '/')) p = p.slice(root.length + 1);
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

function isInside(dir: string, root: string): boolean {
  const d = dir.replace(/\\/g, '/').replace(/\/+$/, '');
  const r = root.replace(/\/+$/, '');
  return d === r || d.startsWith(r + '/');
}

/** True when `oid` is named by `hint`: the full oid or a prefix of at least 7 hex digits. */
export function hintNamesOid(hint: string, oid: string): boolean {
  const h = hint.trim().toLowerCase();
  return /^[0-9a-f]{7,64}$/.test(h) && oid.startsWith(h);
}

interface Window {
  /** Exclusive lower bound in ms; -Infinity for a root commit. */
  after: number;
  /** Inclusive upper bound in ms. */
  until: number;
}

function windowOf(commit: CommitFacts, slackSeconds: number): Window {
  const slack = slackSeconds * 1000;
  const parent = commit.parent_committed_at === null ? null : Date.parse(commit.parent_committed_at);
  return { after: parent === null ? -Infinity : parent - slack, until: Date.parse(commit.committed_at) + slack };
}

const at = (r: EvidenceRecord) => `${r.provenance.source_file}:${r.provenance.line_offset}`;

/**
 * Whether a record's time falls in the window. A record without a timestamp takes its run's time
 * range: it is in the window when any timed record of the run is. A run with no time at all is never
 * in a window (only an oid or --attach can link it), so old unlabelled logs do not drift onto new commits.
 */
function inWindow(record: EvidenceRecord, runTimes: number[], w: Window): boolean {
  const times = record.timestamp === null ? runTimes : [Date.parse(record.timestamp)];
  return times.some((t) => !Number.isNaN(t) && t > w.after && t <= w.until);
}

/** Why `record` satisfies `rule` for `commit`, or null when it does not. */
function matchRule(rule: Rule, record: EvidenceRecord, commit: CommitFacts, runTimes: number[], w: Window): string | null {
  const when = record.timestamp ?? 'its run’s time';
  switch (rule) {
    case 'oid': {
      const hint = record.link_hints.oids.find((h) => hintNamesOid(h, commit.oid));
      return hint === undefined ? null : `${at(record)} names ${hint.trim().toLowerCase()}`;
    }
    case 'files': {
      if (!inWindow(record, runTimes, w)) return null;
      const changed = new Set(commit.changed_paths);
      const hit = record.source_files
        .map((f) => normalizeRepoPath(f, commit.repo_root))
        .filter((f) => changed.has(f))
        .sort(cmp)[0];
      return hit === undefined ? null : `${at(record)} touched ${hit} at ${when}`;
    }
    case 'session': {
      const cwd = record.link_hints.cwd;
      if (cwd === null || !isInside(cwd, commit.repo_root) || !inWindow(record, runTimes, w)) return null;
      const branch = record.link_hints.branch;
      if (branch !== null && commit.branch !== null && branch !== commit.branch) return null;
      return `${at(record)} ran in ${cwd}${branch === null ? '' : ` on ${branch}`} at ${when}`;
    }
  }
}

/**
 * Link pending evidence to one commit. Rules are tried in order over a whole run; the first rule any
 * record of the run satisfies decides, and among those records the first in folder order names the
 * decision, so the result does not depend on input order. Every record of a linked run is linked.
 */
export function linkEvidence(pending: readonly EvidenceRecord[], commit: CommitFacts, opts: LinkOptions): LinkResult {
  const w = windowOf(commit, opts.slack_seconds);
  const byRun = new Map<string, EvidenceRecord[]>();
  for (const r of pending) {
    const group = byRun.get(r.run_id);
    if (group === undefined) byRun.set(r.run_id, [r]);
    else group.push(r);
  }
  const linked: EvidenceRecord[] = [];
  const rest: EvidenceRecord[] = [];
  const runs: RunLink[] = [];
  for (const runId of [...byRun.keys()].sort(cmp)) {
    const records = byRun.get(runId)!.slice().sort(compareEvidence);
    const runTimes = records.flatMap((r) => (r.timestamp === null ? [] : [Date.parse(r.timestamp)]));
    let decision: RunLink | null = null;
    if (opts.attach) {
      decision = { run_id: runId, oid: commit.oid, by: 'manual', detail: `attached by git distill run ${commit.oid} --attach` };
    } else {
      for (const rule of RULES) {
        for (const r of records) {
          const why = matchRule(rule, r, commit, runTimes, w);
          if (why !== null) {
            decision = { run_id: runId, oid: commit.oid, by: rule, detail: why };
            break;
          }
        }
        if (decision !== null) break;
      }
    }
    if (decision === null) {
      rest.push(...records);
      continue;
    }
    runs.push(decision);
    for (const r of records) linked.push(withLink(r, decision));
  }
  return { linked: linked.sort(compareEvidence), pending: rest.sort(compareEvidence), runs };
}

/** The record with the run's link to `link.oid` added (replacing any earlier link to the same oid). */
export function withLink(record: EvidenceRecord, link: RunLink): EvidenceRecord {
  const own: Link = { oid: link.oid, by: link.by, detail: link.detail };
  return { ...record, links: [...record.links.filter((l) => l.oid !== link.oid), own] };
}

/** The distinct commit names (7 to 64 hex digits, lower-cased) the records give as oid hints, sorted. */
export function collectOidHints(records: readonly EvidenceRecord[]): string[] {
  const hints = new Set<string>();
  for (const r of records) {
    for (const h of r.link_hints.oids) {
      const hint = h.trim().toLowerCase();
      if (/^[0-9a-f]{7,64}$/.test(hint)) hints.add(hint);
    }
  }
  return [...hints].sort(cmp);
}

/**
 * Link pending runs to earlier commits they name (DESIGN 7.3 rule 1 for a commit already made: aider writes
 * "Commit <hash>" only after its commit, and so after that commit's post-commit hook). `named` maps each hint
 * the repository resolves to an ancestor of the commit being distilled to that commit's oid. A run links whole,
 * by oid, to the commit its first naming record (in folder order) names; the other runs stay pending.
 */
export function linkToNamedCommits(
  pending: readonly EvidenceRecord[],
  named: ReadonlyMap<string, string>,
): { linked: Map<string, EvidenceRecord[]>; runs: RunLink[]; pending: EvidenceRecord[] } {
  const byRun = new Map<string, EvidenceRecord[]>();
  for (const r of pending) {
    const group = byRun.get(r.run_id);
    if (group === undefined) byRun.set(r.run_id, [r]);
    else group.push(r);
  }
  const linked = new Map<string, EvidenceRecord[]>();
  const runs: RunLink[] = [];
  const rest: EvidenceRecord[] = [];
  for (const runId of [...byRun.keys()].sort(cmp)) {
    const records = byRun.get(runId)!.slice().sort(compareEvidence);
    let decision: RunLink | null = null;
    for (const r of records) {
      const hint = r.link_hints.oids.map((h) => h.trim().toLowerCase()).find((h) => named.has(h));
      if (hint === undefined) continue;
      decision = { run_id: runId, oid: named.get(hint)!, by: 'oid', detail: `${at(r)} names ${hint}` };
      break;
    }
    if (decision === null) {
      rest.push(...records);
      continue;
    }
    runs.push(decision);
    const list = linked.get(decision.oid) ?? [];
    for (const r of records) list.push(withLink(r, decision));
    linked.set(decision.oid, list);
  }
  return { linked, runs, pending: rest.sort(compareEvidence) };
}

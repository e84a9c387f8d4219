// Pure: one commit folder's scored runs reduced to what playbooks and the ledger need (compact, mergeable, cacheable by manifest sha256).
import type { EvidenceRecord, ModelRole } from '../../schemas/evidence-record.ts';
import type { ScoreCategory, ScoredRun } from '../../schemas/scored-run.ts';
import { COMMIT_FILES } from '../store/layout.ts';

/** Bumped when the summary's shape or meaning changes: cached summaries (and totals) of another version are recomputed. */
export const SUMMARY_VERSION = 2;

/** One task type × model inside one folder: sums and counts only, so folders add up exactly. */
export interface LedgerCell {
  task_type: string;
  model_name: string;
  /** Provider → runs that named it. */
  providers: Record<string, number>;
  /** Runs in which the model attempted. */
  samples: number;
  /** Runs whose accepted output was this model's. */
  successes: number;
  failure_modes: Record<string, number>;
  /** Model that produced the accepted output after this one's attempt failed → runs. */
  rescued_by: Record<string, number>;
  /** Role this model held when it rescued another's failed attempt → runs. */
  escalation_roles: Record<string, number>;
  /** Sum of cost in nano-dollars (integers add exactly, in any order) over runs with a cost. */
  cost_nanos: number;
  cost_runs: number;
  /** Latency per run in whole ms → runs (a multiset: percentiles of the union are exact). */
  latency: Record<string, number>;
  last_updated: string;
}

/** A run as playbooks read it: its task signature and the evidence behind every playbook field. */
export interface PlaybookRun {
  run_id: string;
  task_type: string;
  /** What the run worked on, from its content (problemPatternOf): never from its ids. */
  problem_pattern: string;
  /** Directories the run touched (up to two segments deep), sorted. */
  areas: string[];
  category: ScoreCategory;
  /** The rule that decided the category. */
  first_rule: string;
  /** The first reason that accepts the run (a run partially accepted for a blemish usually has one too), or null. */
  accepted_by: { rule_id: string; description: string } | null;
  scored_at: string;
  /** Models in order of their first attempt. */
  attempts: string[];
  /** Model of the last attempt; null when the run names no model. */
  final_model: string | null;
  accepted_on_attempt: number | null;
  /** [command, exit code] in evidence order, distinct. */
  commands: Array<[string, number | null]>;
  validations_passed: string[];
  validations_failed: string[];
  files: string[];
  context: string[];
  failure_markers: string[];
  success_markers: string[];
  tool_errors_recovered: number;
  recovered_validations: number;
}

/** Runs that also live in other folders (a rewritten commit keeps its old folder) count once: where they came from. */
export interface SummaryGroup {
  /** Other source oids the runs' evidence links to, sorted; the group counts only when none of them is a folder. */
  defer_to: string[];
  cells: LedgerCell[];
  runs: PlaybookRun[];
}

export interface FolderSummary {
  v: typeof SUMMARY_VERSION;
  source_oid: string;
  groups: SummaryGroup[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const decoder = new TextDecoder();
const CAP = { commands: 50, files: 100, context: 20, markers: 20, command_chars: 500 } as const;
const NON_ATTEMPT_ROLES: ReadonlySet<ModelRole> = new Set(['human', 'tool', 'observer']);
const SUCCESS: ReadonlySet<ScoreCategory> = new Set(['accepted', 'partially_accepted']);
const PLAYBOOK_CATEGORIES: ReadonlySet<ScoreCategory> = new Set(['accepted', 'partially_accepted', 'rejected']);

/** Failure mode of an attempt superseded by another model's accepted one. */
export const RETRIED_MODE = 'retried: another model was accepted';

function jsonl<T>(bytes: Uint8Array | undefined): T[] {
  if (bytes === undefined) return [];
  const out: T[] = [];
  for (const line of decoder.decode(bytes).split('\n')) if (line !== '') out.push(JSON.parse(line) as T);
  return out;
}

/**
 * A person's prompt reduced to what runs of the same kind of task share: its first line (markup tags such as
 * Claude Code's `<command-message>` dropped), lower-cased, with urls, ids, dates, paths, hashes and numbers as
 * placeholders, cut at a word near 120 characters. A lone slash command (`/clear`, `/mcp`) steers the session
 * rather than naming a task: empty.
 */
export function normalizePrompt(text: string): string {
  // A pasted log can make one line megabytes long; the pattern reads its start.
  const first = (
    text
      .slice(0, 20_000)
      .split(/\r?\n/)
      .map((l) => l.replace(/<\/?[a-z][\w-]*>/gi, ' ').trim())
      .find((l) => l !== '') ?? ''
  ).slice(0, 2000);
  if (/^\/[\w:-]+$/.test(first)) return '';
  const out = first
    .replace(/^\s*(?:#+|[-*>]|\d+[.)])\s+/, '')
    .replace(/[`*_]/g, '')
    .replace(/\bhttps?:\/\/\S+/gi, '<url>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?/g, '<date>')
    .replace(/(?:~|\.{1,2})?\/?(?:[\w.@-]+\/)+[\w.@-]*|\b[\w-]+\.[a-z][a-z0-9]{1,4}\b/gi, '<path>')
    .replace(/\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b/gi, '<sha>')
    .replace(/#?\d+(?:\.\d+)*/g, '<n>')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.:;,!?]+$/, '')
    .trim();
  if (out.length <= 120) return out;
  const cut = out.slice(0, 120).replace(/[\uD800-\uDBFF]$/, '');
  const space = cut.lastIndexOf(' ');
  return `${space > 60 ? cut.slice(0, space) : cut}…`;
}

/** A marker with its ids, dates, hashes and standalone numbers replaced: `attempt 2 failed` → `attempt <n> failed`; names stay. */
export function normalizeMarker(text: string): string {
  return text
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?/g, '<date>')
    .replace(/\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b/gi, '<sha>')
    .replace(/(?<![\w.:-])\d+(?:\.\d+)?(?![\w:-])/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The area of a path: its directory, at most two segments deep ('.' for a file at the root). */
export function areaOf(path: string): string {
  const parts = path.replace(/^\.\//, '').split('/').filter((p) => p !== '');
  if (parts.length <= 1) return '.';
  return parts.slice(0, Math.min(2, parts.length - 1)).join('/');
}

/** What kind of file a path is: `*.<ext>`, or its name when it has no extension (Makefile, Dockerfile). */
function fileKind(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `*${name.slice(dot).toLowerCase()}` : name;
}

function listed(values: readonly string[], cap = 3): string {
  const shown = values.slice(0, cap).join(', ');
  return values.length > cap ? `${shown} and ${values.length - cap} more` : shown;
}

/**
 * The problem a run worked on, from its content, never its ids: the first prompt a person gave it (a Claude Code,
 * Codex, SWE-agent... session), normalized; else (the auditor loop's streams carry no prompt) its task type and
 * the kinds and areas of the files it touched, e.g. `scrum_review of *.rs in crates/gateway`; else the task type.
 */
export function problemPatternOf(taskType: string, events: readonly EvidenceRecord[], files: readonly string[]): string {
  for (const e of events) {
    if (e.kind !== 'message' || e.model_role !== 'human' || e.input_text === null) continue;
    const prompt = normalizePrompt(e.input_text);
    if (prompt !== '') return prompt;
  }
  if (files.length === 0) return taskType;
  const kinds = distinct(files.map(fileKind), Infinity).sort(cmp);
  const areas = distinct(files.map(areaOf), Infinity)
    .sort(cmp)
    .map((a) => (a === '.' ? 'the root' : a));
  return `${taskType} of ${listed(kinds)} in ${listed(areas)}`;
}

/** The reason that accepted a run: its rule and the rule's description (a reason's detail opens with it, then `; <signal> = ...`). */
function acceptedBy(run: ScoredRun): PlaybookRun['accepted_by'] {
  const reason = run.reasons.find((r) => r.category === 'accepted');
  if (reason === undefined) return null;
  const cut = reason.detail.indexOf(`; ${reason.signal.split('+')[0]} = `);
  return { rule_id: reason.rule_id, description: cut < 0 ? reason.detail : reason.detail.slice(0, cut) };
}

/** Evidence in the order things happened: timestamp, then where it was read. */
function compareEvents(a: EvidenceRecord, b: EvidenceRecord): number {
  return (
    cmp(a.timestamp ?? '', b.timestamp ?? '') ||
    cmp(a.provenance.source_file, b.provenance.source_file) ||
    a.provenance.line_offset - b.provenance.line_offset ||
    cmp(a.evidence_id, b.evidence_id)
  );
}

function distinct<T>(values: Iterable<T>, cap: number): T[] {
  const out: T[] = [];
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) continue;
    seen.add(v);
    out.push(v);
    if (out.length >= cap) break;
  }
  return out;
}

function inc(r: Record<string, number>, key: string, by = 1): void {
  r[key] = (r[key] ?? 0) + by;
}

/** Models that attempted, in order of first attempt: executors, or every model but observers, people and tools. */
export function attemptingModels(events: readonly EvidenceRecord[]): string[] {
  const named = events.filter((e) => e.model_name !== null && e.model_name !== '');
  const executors = named.filter((e) => e.model_role === 'executor');
  const pool = executors.length > 0 ? executors : named.filter((e) => !NON_ATTEMPT_ROLES.has(e.model_role));
  return distinct(
    pool.map((e) => e.model_name!),
    Infinity,
  );
}

/** Failure mode of a run that did not succeed: the rule that decided it. */
function failureMode(run: ScoredRun): string {
  return `${run.category}: ${run.reasons[0]?.rule_id ?? 'no_rule_matched'}`;
}

function emptyCell(task_type: string, model_name: string, at: string): LedgerCell {
  return {
    task_type,
    model_name,
    providers: {},
    samples: 0,
    successes: 0,
    failure_modes: {},
    rescued_by: {},
    escalation_roles: {},
    cost_nanos: 0,
    cost_runs: 0,
    latency: {},
    last_updated: at,
  };
}

/** Cost of a list of records in nano-dollars, or null when none states one. */
function costNanos(records: readonly EvidenceRecord[]): number | null {
  let total: number | null = null;
  for (const r of records) if (r.cost_usd !== null) total = (total ?? 0) + Math.round(r.cost_usd * 1e9);
  return total;
}

function latencyMs(records: readonly EvidenceRecord[]): number | null {
  let total: number | null = null;
  for (const r of records) if (r.latency_ms !== null) total = (total ?? 0) + r.latency_ms;
  return total === null ? null : Math.round(total);
}

/** Add one run to the cells of its task type × models. */
function addRunToCells(cells: Map<string, LedgerCell>, run: ScoredRun, events: readonly EvidenceRecord[]): void {
  const models = attemptingModels(events);
  const final = models[models.length - 1];
  const succeeded = SUCCESS.has(run.category);
  for (const model of models) {
    const key = `${run.task_type}\0${model}`;
    const cell = cells.get(key) ?? emptyCell(run.task_type, model, run.scored_at);
    cells.set(key, cell);
    const own = events.filter((e) => e.model_name === model);
    cell.samples++;
    if (run.scored_at > cell.last_updated) cell.last_updated = run.scored_at;
    const provider = own.find((e) => e.model_provider !== null)?.model_provider ?? null;
    if (provider !== null) inc(cell.providers, provider);
    const won = succeeded && model === final;
    if (won) {
      cell.successes++;
      if (models.length > 1) {
        const role = [...own].reverse()[0]?.model_role;
        if (role !== undefined) inc(cell.escalation_roles, role);
      }
    } else {
      inc(cell.failure_modes, succeeded ? RETRIED_MODE : failureMode(run));
      if (succeeded && final !== undefined) inc(cell.rescued_by, final);
    }
    const cost = costNanos(own);
    if (cost !== null) {
      cell.cost_nanos += cost;
      cell.cost_runs++;
    }
    const latency = latencyMs(own);
    if (latency !== null) inc(cell.latency, String(latency));
  }
}

/** The playbook view of one run. */
export function buildPlaybookRun(run: ScoredRun, events: readonly EvidenceRecord[]): PlaybookRun {
  const models = attemptingModels(events);
  const files = distinct(
    events.flatMap((e) => e.source_files),
    Infinity,
  ).sort(cmp);
  const commands: Array<[string, number | null]> = [];
  const seenCommands = new Set<string>();
  for (const e of events) {
    for (const c of e.commands_run) {
      const key = `${c.command}\0${c.exit_code}`;
      if (c.command.trim() === '' || c.command.length > CAP.command_chars || seenCommands.has(key)) continue;
      seenCommands.add(key);
      if (commands.length < CAP.commands) commands.push([c.command, c.exit_code]);
    }
  }
  // A validation counts by its latest result.
  const latest = new Map<string, boolean>();
  for (const e of events) for (const v of e.validation_results) latest.set(v.name, v.passed);
  const validations = [...latest].sort(([a], [b]) => cmp(a, b));
  return {
    run_id: run.run_id,
    task_type: run.task_type,
    problem_pattern: problemPatternOf(run.task_type, events, files),
    areas: distinct(files.map(areaOf), Infinity).sort(cmp),
    category: run.category,
    first_rule: run.reasons[0]?.rule_id ?? 'no_rule_matched',
    accepted_by: acceptedBy(run),
    scored_at: run.scored_at,
    attempts: models,
    final_model: models[models.length - 1] ?? null,
    accepted_on_attempt: run.signals.accepted_on_attempt,
    commands,
    validations_passed: validations.filter(([, p]) => p).map(([n]) => n),
    validations_failed: validations.filter(([, p]) => !p).map(([n]) => n),
    files: files.slice(0, CAP.files),
    context: distinct(
      events.flatMap((e) => e.retrieved_context),
      CAP.context,
    ),
    failure_markers: distinct(
      events.flatMap((e) => e.failure_markers),
      CAP.markers,
    ),
    success_markers: distinct(
      events.flatMap((e) => e.success_markers),
      CAP.markers,
    ),
    tool_errors_recovered: run.signals.tool_errors_recovered,
    recovered_validations: run.signals.recovered_validations,
  };
}

/**
 * Summarize one stored folder from its scored runs and evidence. Evidence is parsed as stored (verify checks
 * the schema); a run's group is decided by the other commits its records link to.
 */
export function summarizeFolder(sourceOid: string, scoredBytes: Uint8Array | undefined, evidenceBytes: Uint8Array | undefined): FolderSummary {
  const scored = jsonl<ScoredRun>(scoredBytes);
  const byRun = new Map<string, EvidenceRecord[]>();
  for (const r of jsonl<EvidenceRecord>(evidenceBytes)) {
    const list = byRun.get(r.run_id) ?? [];
    list.push(r);
    byRun.set(r.run_id, list);
  }
  interface Building {
    defer_to: string[];
    cells: Map<string, LedgerCell>;
    runs: PlaybookRun[];
  }
  const groups = new Map<string, Building>();
  for (const run of [...scored].sort((a, b) => cmp(a.run_id, b.run_id))) {
    const events = (byRun.get(run.run_id) ?? []).sort(compareEvents);
    const others = distinct(
      events.flatMap((e) => e.links.map((l) => l.oid)).filter((oid) => oid !== sourceOid),
      Infinity,
    ).sort(cmp);
    const key = others.join(',');
    const group: Building = groups.get(key) ?? { defer_to: others, cells: new Map<string, LedgerCell>(), runs: [] };
    groups.set(key, group);
    addRunToCells(group.cells, run, events);
    if (PLAYBOOK_CATEGORIES.has(run.category)) group.runs.push(buildPlaybookRun(run, events));
  }
  return {
    v: SUMMARY_VERSION,
    source_oid: sourceOid,
    groups: [...groups]
      .sort(([a], [b]) => cmp(a, b))
      .map(([, g]) => ({
        defer_to: g.defer_to,
        cells: [...g.cells].sort(([a], [b]) => cmp(a, b)).map(([, c]) => c),
        runs: g.runs,
      })),
  };
}

/** summarizeFolder over a folder's files as the store returns them (paths relative to the folder). */
export function summarizeFolderFiles(sourceOid: string, files: ReadonlyMap<string, Uint8Array>): FolderSummary {
  return summarizeFolder(sourceOid, files.get(COMMIT_FILES.scored), files.get(COMMIT_FILES.evidence));
}

// Pure: runs grouped by task signature → Playbook records, every field drawn from the runs' evidence; approvals set the status.
import { sha256Hex } from '../canonical.ts';
import { PLAYBOOK_SCHEMA_VERSION, PlaybookSchema, type Playbook, type PlaybookStatus } from '../../schemas/playbook.ts';
import type { PlaybookApproval } from '../../schemas/approval.ts';
import { normalizeMarker, type PlaybookRun } from '../derived/folder-summary.ts';

export interface PlaybookOptions {
  /** Accepted or partially accepted runs a signature needs before it becomes a playbook. */
  min_runs: number;
  /** Entries kept per list field, most frequent first. */
  max_items: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The task signature of a run: task type, normalized problem pattern, touched areas. */
export function signatureKey(run: Pick<PlaybookRun, 'task_type' | 'problem_pattern' | 'areas'>): string {
  return JSON.stringify([run.task_type, run.problem_pattern, run.areas]);
}

/** A stable, path-safe id per signature: the same signature always names the same file. */
export function playbookIdOf(run: Pick<PlaybookRun, 'task_type' | 'problem_pattern' | 'areas'>): string {
  const slug =
    run.task_type
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .replace(/-+$/, '')
      .slice(0, 48) || 'task';
  return `${slug}-${sha256Hex(signatureKey(run)).slice(0, 12)}`;
}

/** Values ranked by how many runs show them (ties: code-unit order), at most `max`. */
function ranked(perRun: ReadonlyArray<readonly string[]>, max: number): string[] {
  const counts = new Map<string, number>();
  for (const values of perRun) for (const v of new Set(values)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || cmp(a, b))
    .slice(0, max)
    .map(([v]) => v);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Attempts a run needed: the accepted attempt, or how many models it went through. */
function attemptsNeeded(run: PlaybookRun): number {
  return Math.max(run.accepted_on_attempt ?? 1, run.attempts.length);
}

/** Commands a run ran with a non-zero exit before it ran them with exit 0: failed, then fixed. */
function fixedCommands(run: PlaybookRun): string[] {
  // run.commands holds each [command, exit] pair once, in the order first seen.
  const failed = new Set<string>();
  const out: string[] = [];
  for (const [command, code] of run.commands) {
    if (code !== null && code !== 0) failed.add(command);
    else if (code === 0 && failed.has(command)) out.push(command);
  }
  return out;
}

function recoveryStrategy(supporting: readonly PlaybookRun[]): string | null {
  const parts: string[] = [];
  const switched = supporting.filter((r) => r.attempts.length > 1 && r.final_model !== null);
  if (switched.length > 0) {
    const [to] = ranked(
      switched.map((r) => [r.final_model!]),
      1,
    );
    const [from] = ranked(
      switched.map((r) => r.attempts.slice(0, -1)),
      1,
    );
    parts.push(`switch to ${to} after ${from} fails (recovered ${plural(switched.length, 'run')})`);
  }
  const retried = supporting.filter((r) => r.attempts.length <= 1 && (r.accepted_on_attempt ?? 1) > 1);
  if (retried.length > 0) {
    const max = Math.max(...retried.map((r) => r.accepted_on_attempt ?? 1));
    parts.push(`retry with the review's feedback: accepted by attempt ${max} (${plural(retried.length, 'run')})`);
  }
  const validations = supporting.filter((r) => r.recovered_validations > 0);
  if (validations.length > 0) {
    const names = ranked(
      validations.map((r) => r.validations_passed),
      3,
    );
    parts.push(`fix and re-run the failing validation${names.length === 0 ? '' : ` (${names.join(', ')})`} until it passes (${plural(validations.length, 'run')})`);
  }
  const fixed = supporting.filter((r) => fixedCommands(r).length > 0);
  if (fixed.length > 0) {
    const names = ranked(fixed.map(fixedCommands), 3);
    parts.push(`fix what made ${names.map((n) => `\`${n}\``).join(', ')} fail and run it again: it then passed (${plural(fixed.length, 'run')})`);
  }
  const tools = supporting.filter((r) => r.tool_errors_recovered > 0);
  if (tools.length > 0) parts.push(`retry the failed tool call with corrected input (${plural(tools.length, 'run')})`);
  return parts.length === 0 ? null : parts.join('; ');
}

/**
 * How a run of the signature is judged done: the validations that passed in its supporting runs, and the
 * scoring rule that accepted them (never success markers: they describe one run, `applied 3 patches`).
 */
function acceptanceCriteria(supporting: readonly PlaybookRun[], max: number): string[] {
  const criteria = ranked(
    supporting.map((r) => r.validations_passed),
    max,
  ).map((name) => `validation "${name}" passes`);
  const rules = new Map<string, string>();
  for (const r of supporting) if (r.accepted_by !== null) rules.set(r.accepted_by.rule_id, r.accepted_by.description);
  const [rule] = ranked(
    supporting.map((r) => (r.accepted_by === null ? [] : [r.accepted_by.rule_id])),
    1,
  );
  if (rule !== undefined) criteria.push(`the scoring rule "${rule}" accepts the run: ${rules.get(rule)}`);
  else {
    // No supporting run has an accepting reason (a custom rule set): the rule that decided them.
    const [decided] = ranked(
      supporting.map((r) => [`the run is scored ${r.category} by the scoring rule "${r.first_rule}"`]),
      1,
    );
    criteria.push(decided!);
  }
  return criteria;
}

/** Status per playbook from the approvals log: the latest decision (by `at`, then line order) wins. */
export function statusesFrom(approvals: readonly PlaybookApproval[]): Map<string, PlaybookStatus> {
  const latest = new Map<string, PlaybookApproval>();
  for (const a of approvals) {
    const prev = latest.get(a.playbook_id);
    if (prev === undefined || a.at >= prev.at) latest.set(a.playbook_id, a);
  }
  return new Map([...latest].map(([id, a]) => [id, a.status]));
}

function buildPlaybook(id: string, supporting: PlaybookRun[], rejected: PlaybookRun[], status: PlaybookStatus, opts: PlaybookOptions): Playbook {
  const first = supporting[0]!;
  const max = opts.max_items;
  const all = [...supporting, ...rejected];
  const routes = new Map<string, { path: string[]; n: number }>();
  for (const r of supporting) {
    const key = JSON.stringify(r.attempts);
    routes.set(key, { path: r.attempts, n: (routes.get(key)?.n ?? 0) + 1 });
  }
  const route = [...routes].sort(([a, x], [b, y]) => y.n - x.n || cmp(a, b))[0]?.[1].path ?? [];
  const needed = Math.max(...supporting.map(attemptsNeeded));
  // Commands from commands_run by exit code, and checks (validation results: tests, gates) by their latest result.
  const worked = supporting.map((r) => [...r.commands.filter(([, code]) => code === 0).map(([c]) => c), ...r.validations_passed]);
  // A command that worked in a supporting run is a step to take, not one to avoid: its failures are failure modes.
  const workedAnywhere = new Set(worked.flat());
  const failed = all.map((r) =>
    [...r.commands.filter(([, code]) => code !== null && code !== 0).map(([c]) => c), ...r.validations_failed].filter((c) => !workedAnywhere.has(c)),
  );
  const playbook: Playbook = {
    schema_version: PLAYBOOK_SCHEMA_VERSION,
    playbook_id: id,
    task_type: first.task_type,
    problem_pattern: first.problem_pattern,
    useful_context: ranked(
      supporting.map((r) => r.context),
      max,
    ),
    model_routing_path: route,
    commands_worked: ranked(worked, max),
    commands_failed: ranked(failed, max),
    validation_steps: ranked(
      supporting.map((r) => r.validations_passed),
      max,
    ),
    repo_files_touched: ranked(
      supporting.map((r) => r.files),
      max * 2,
    ),
    recovery_strategy: recoveryStrategy(supporting),
    known_failure_modes: ranked(
      [...rejected.map((r) => [`rejected by ${r.first_rule}`, ...r.failure_markers.map(normalizeMarker)]), ...supporting.map((r) => r.failure_markers.map(normalizeMarker))],
      max,
    ),
    // Failed attempts before the accepted one: accepted on attempt 2 is one failed attempt.
    escalation_threshold: needed > 1 ? needed - 1 : null,
    acceptance_criteria: acceptanceCriteria(supporting, max),
    source_run_ids: all.map((r) => r.run_id).sort(cmp),
    created_at: supporting.map((r) => r.scored_at).sort(cmp)[0]!,
    status,
  };
  return PlaybookSchema.parse(playbook);
}

/** Every playbook with enough supporting runs, sorted by id. `runs` must hold each run once. */
export function computePlaybooks(runs: Iterable<PlaybookRun>, statuses: ReadonlyMap<string, PlaybookStatus>, opts: PlaybookOptions): Playbook[] {
  const bySignature = new Map<string, PlaybookRun[]>();
  for (const r of runs) {
    const id = playbookIdOf(r);
    const list = bySignature.get(id) ?? [];
    list.push(r);
    bySignature.set(id, list);
  }
  const out: Playbook[] = [];
  for (const [id, list] of [...bySignature].sort(([a], [b]) => cmp(a, b))) {
    list.sort((a, b) => cmp(a.run_id, b.run_id));
    const supporting = list.filter((r) => r.category !== 'rejected');
    if (supporting.length < Math.max(1, opts.min_runs)) continue;
    out.push(buildPlaybook(id, supporting, list.filter((r) => r.category === 'rejected'), statuses.get(id) ?? 'proposed', opts));
  }
  return out;
}

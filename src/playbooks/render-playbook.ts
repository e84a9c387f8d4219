// Pure renderings of playbooks: the list table, the `show` text, and the Markdown file an agent can load as a skill.
import type { Playbook } from '../../schemas/playbook.ts';

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** One line per playbook: id, status, task type, runs, problem pattern. */
export function renderPlaybookList(playbooks: readonly Playbook[]): string {
  if (playbooks.length === 0) return 'no playbooks yet: a task signature needs accepted runs (see playbooks.min_runs)\n';
  const rows = [['ID', 'STATUS', 'TASK TYPE', 'RUNS', 'PROBLEM']];
  for (const p of playbooks) rows.push([p.playbook_id, p.status, p.task_type, String(p.source_run_ids.length), p.problem_pattern]);
  return table(rows).join('\n') + '\n';
}

/** `1 failed attempt (the slowest supporting run was accepted on attempt 2)`: the threshold counts failures, runs count attempts. */
function failedAttempts(n: number): string {
  return `${n} failed attempt${n === 1 ? '' : 's'} (the slowest supporting run was accepted on attempt ${n + 1})`;
}

/** The playbook's title: its problem, prefixed by the task type unless the problem already names it. */
function titleOf(p: Playbook): string {
  return p.problem_pattern.startsWith(p.task_type) ? p.problem_pattern : `${p.task_type}: ${p.problem_pattern}`;
}

function list(title: string, items: readonly string[], code = false): string[] {
  if (items.length === 0) return [];
  return ['', `${title}:`, ...items.map((i) => `  - ${code ? `\`${i}\`` : i}`)];
}

/** The terminal view of one playbook. */
export function renderPlaybookText(p: Playbook): string {
  const out = [
    `playbook ${p.playbook_id} (${p.status})`,
    `task type   ${p.task_type}`,
    `problem     ${p.problem_pattern}`,
    `since       ${p.created_at}`,
    `routing     ${p.model_routing_path.length === 0 ? 'no model named' : p.model_routing_path.join(' → ')}`,
    `escalate    ${p.escalation_threshold === null ? 'no run needed a retry' : `after ${failedAttempts(p.escalation_threshold)}`}`,
    `recovery    ${p.recovery_strategy ?? 'none seen'}`,
    ...list('acceptance criteria', p.acceptance_criteria),
    ...list('commands that worked', p.commands_worked),
    ...list('commands that failed', p.commands_failed),
    ...list('validation steps', p.validation_steps),
    ...list('known failure modes', p.known_failure_modes),
    ...list('files touched', p.repo_files_touched),
    ...list('useful context', p.useful_context),
    '',
    `source runs (${p.source_run_ids.length}): ${p.source_run_ids.join(', ')}`,
  ];
  return out.join('\n') + '\n';
}

function yamlString(s: string): string {
  return JSON.stringify(s.replace(/\s+/g, ' ').trim());
}

/** A Markdown file with skill front matter (name, description): what an agent loads before a task of this signature. */
export function renderPlaybookMarkdown(p: Playbook): string {
  const route = p.model_routing_path.length === 0 ? null : p.model_routing_path.join(' → ');
  const out = [
    '---',
    `name: ${p.playbook_id}`,
    `description: ${yamlString(`How to do a ${p.task_type} task like "${p.problem_pattern}", distilled from ${p.source_run_ids.length} scored runs.`)}`,
    `task_type: ${yamlString(p.task_type)}`,
    `status: ${p.status}`,
    '---',
    '',
    `# ${titleOf(p)}`,
    '',
    `Distilled by git-distill from ${p.source_run_ids.length} scored runs (since ${p.created_at}). Every line below comes from their evidence.`,
    '',
    '## Done when',
    '',
    ...p.acceptance_criteria.map((c) => `- [ ] ${c}`),
  ];
  const section = (title: string, items: readonly string[], code = false) => {
    if (items.length === 0) return;
    out.push('', `## ${title}`, '', ...items.map((i) => `- ${code ? `\`${i.replace(/`/g, "'")}\`` : i}`));
  };
  section('Steps that worked', p.commands_worked, true);
  section('Check with', p.validation_steps, true);
  section('Avoid (failed before)', p.commands_failed, true);
  section('Known failure modes', p.known_failure_modes);
  if (route !== null || p.escalation_threshold !== null || p.recovery_strategy !== null) {
    out.push('', '## Routing and recovery', '');
    if (route !== null) out.push(`- Models: ${route}`);
    if (p.escalation_threshold !== null) out.push(`- Escalate (another model or a person) after ${failedAttempts(p.escalation_threshold)}.`);
    if (p.recovery_strategy !== null) out.push(`- Recovery: ${p.recovery_strategy}`);
  }
  section('Files usually touched', p.repo_files_touched, true);
  section('Useful context', p.useful_context);
  out.push('', '## Source runs', '', ...p.source_run_ids.map((r) => `- \`${r}\``));
  return out.join('\n') + '\n';
}

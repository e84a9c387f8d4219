// Pure: the terminal view of a ScratchpadSummary.
import type { ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';

function section(title: string, items: readonly string[], mark: string): string[] {
  if (items.length === 0) return [];
  return [`${title} (${items.length})`, ...items.map((i) => `  ${mark} ${i}`)];
}

export function renderScratchpadSummary(s: ScratchpadSummary): string {
  const out = [
    `scratchpad ${s.provenance.source_file}`,
    `objective   ${s.current_objective ?? '(none stated)'}`,
    `steps       ${s.completed_steps.length} completed, ${s.failed_steps.length} failed, ${s.pending_steps.length} pending`,
    `next        ${s.next_command ?? '(no command named)'}`,
    `validation  ${s.validation_status}`,
    ...section('completed', s.completed_steps, '[x]'),
    ...section('failed', s.failed_steps, '[!]'),
    ...section('pending', s.pending_steps, '[ ]'),
    ...section('decisions', s.decisions, '-'),
    ...section('questions', s.unresolved_questions, '?'),
    ...section('paths', s.important_paths, '-'),
  ];
  return out.join('\n') + '\n';
}

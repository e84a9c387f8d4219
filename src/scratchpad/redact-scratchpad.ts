// Pure: a ScratchpadSummary with every free-text field through the redactor, before it is stored or sent anywhere (invariant 5).
import type { ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';
import type { TextRedactor } from '../collect/finalize.ts';

/** The summary with its objective, steps, paths, decisions, questions and next command redacted; counts added by rule. */
export function redactScratchpad(summary: ScratchpadSummary, redact: TextRedactor, counts: Map<string, number>): ScratchpadSummary {
  const one = (text: string) => redact(text, counts);
  const many = (list: readonly string[]) => list.map(one);
  return {
    ...summary,
    current_objective: summary.current_objective === null ? null : one(summary.current_objective),
    completed_steps: many(summary.completed_steps),
    failed_steps: many(summary.failed_steps),
    pending_steps: many(summary.pending_steps),
    important_paths: many(summary.important_paths),
    decisions: many(summary.decisions),
    unresolved_questions: many(summary.unresolved_questions),
    next_command: summary.next_command === null ? null : one(summary.next_command),
  };
}

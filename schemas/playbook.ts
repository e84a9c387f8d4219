// Playbook: a procedure distilled from accepted runs of one task signature (DESIGN sections 5 and 9).
import { z } from 'zod';
import { IsoTimeSchema } from './provenance.ts';

export const PLAYBOOK_SCHEMA_VERSION = 1;

export const PlaybookStatusSchema = z.enum(['proposed', 'approved', 'retired']);
export type PlaybookStatus = z.infer<typeof PlaybookStatusSchema>;

/**
 * The id names a file on the distill branch (`playbooks/<playbook_id>.json`): path-safe, and lowercase so
 * two ids never collide on a case-insensitive checkout.
 */
export const PlaybookIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'expected a path-safe id: lowercase letters, digits, ".", "_", "-"');

/** Not blank; checked, not trimmed, so a record reads back byte for byte as it was written. */
const NonEmptyText = z.string().regex(/\S/, 'must not be blank');

export const PlaybookSchema = z
  .strictObject({
    schema_version: z.literal(PLAYBOOK_SCHEMA_VERSION),
    playbook_id: PlaybookIdSchema,
    task_type: z.string().min(1),
    /** The normalized problem this procedure solves (part of the task signature). */
    problem_pattern: NonEmptyText,
    /** Context that helped: docs, files, retrieved snippets worth giving the next run. */
    useful_context: z.array(z.string()),
    /** Models in the order the supporting runs used them, e.g. executor then reviewer. */
    model_routing_path: z.array(z.string().min(1)),
    commands_worked: z.array(z.string()),
    commands_failed: z.array(z.string()),
    validation_steps: z.array(z.string()),
    repo_files_touched: z.array(z.string()),
    /** What recovered a failed attempt of this signature; null when no run ever needed recovery. */
    recovery_strategy: z.string().nullable(),
    known_failure_modes: z.array(z.string()),
    /** Escalate (stronger model or a person) after this many failed attempts; null when no run needed it. */
    escalation_threshold: z.int().min(1).nullable(),
    /** How a run of this signature is judged done; a playbook without one cannot be followed or checked. */
    acceptance_criteria: z.array(NonEmptyText).min(1, 'a playbook needs at least one acceptance criterion'),
    /** The runs it was distilled from: every playbook traces to its evidence (DESIGN invariant 3). */
    source_run_ids: z.array(z.string().min(1)).min(1, 'a playbook needs at least one source run'),
    created_at: IsoTimeSchema,
    status: PlaybookStatusSchema,
  })
  .superRefine((playbook, ctx) => {
    const seen = new Set<string>();
    playbook.source_run_ids.forEach((run_id, i) => {
      if (seen.has(run_id)) {
        ctx.addIssue({ code: 'custom', path: ['source_run_ids', i], message: `duplicate source run id "${run_id}"` });
      }
      seen.add(run_id);
    });
  });

export type Playbook = z.infer<typeof PlaybookSchema>;

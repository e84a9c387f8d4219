// ModelLedgerEntry: how one model fares on one task type (success with a Wilson interval, latency, cost); DESIGN sections 5 and 9.
import { z } from 'zod';
import { ModelRoleSchema } from './evidence-record.ts';
import { IsoTimeSchema } from './provenance.ts';

export const MODEL_LEDGER_ENTRY_SCHEMA_VERSION = 1;

const Unit = z.number().min(0).max(1);
const UsdAmount = z.number().min(0);

/** 95% Wilson score interval of success_rate; producers clamp it so that low ≤ success_rate ≤ high holds exactly. */
export const SuccessIntervalSchema = z.strictObject({ low: Unit, high: Unit });
export type SuccessInterval = z.infer<typeof SuccessIntervalSchema>;

export const FailureModeCountSchema = z.strictObject({
  mode: z.string().min(1),
  count: z.int().min(1),
});
export type FailureModeCount = z.infer<typeof FailureModeCountSchema>;

export const ModelLedgerEntrySchema = z
  .strictObject({
    schema_version: z.literal(MODEL_LEDGER_ENTRY_SCHEMA_VERSION),
    model_name: z.string().min(1),
    model_provider: z.string().nullable(),
    task_type: z.string().min(1),
    success_rate: Unit,
    success_ci: SuccessIntervalSchema,
    /** Scored runs behind the entry; an entry with no runs says nothing, so it is not written. */
    sample_count: z.int().min(1),
    /** Most common first. */
    failure_modes: z.array(FailureModeCountSchema),
    /** The model that most often rescued a failed attempt of this one; null when none did. */
    best_partner_model: z.string().nullable(),
    /** The role this model was escalated to (e.g. reviewer); null when it never was. */
    escalation_role: ModelRoleSchema.nullable(),
    /** US dollars; null when the logs carry no cost, or (per_accepted_run) when no run was accepted. */
    cost: z.strictObject({ per_run: UsdAmount.nullable(), per_accepted_run: UsdAmount.nullable() }),
    /** Milliseconds; null when the logs carry no latency. */
    latency_p50: z.number().min(0).nullable(),
    latency_p95: z.number().min(0).nullable(),
    /** Tokens; null when unknown. */
    context_window: z.int().min(1).nullable(),
    last_updated: IsoTimeSchema,
  })
  .superRefine((entry, ctx) => {
    const { low, high } = entry.success_ci;
    if (!(low <= entry.success_rate && entry.success_rate <= high)) {
      ctx.addIssue({
        code: 'custom',
        path: ['success_ci'],
        message: `interval [${low}, ${high}] must contain success_rate ${entry.success_rate}`,
      });
    }
    if (entry.latency_p50 !== null && entry.latency_p95 !== null && entry.latency_p50 > entry.latency_p95) {
      ctx.addIssue({
        code: 'custom',
        path: ['latency_p95'],
        message: `latency_p95 ${entry.latency_p95} is below latency_p50 ${entry.latency_p50}`,
      });
    }
    if ((entry.latency_p50 === null) !== (entry.latency_p95 === null)) {
      ctx.addIssue({ code: 'custom', path: ['latency_p95'], message: 'latency_p50 and latency_p95 are both set or both null' });
    }
    entry.failure_modes.forEach((failure, i) => {
      if (failure.count > entry.sample_count) {
        ctx.addIssue({
          code: 'custom',
          path: ['failure_modes', i, 'count'],
          message: `count ${failure.count} exceeds sample_count ${entry.sample_count}`,
        });
      }
    });
  });

export type ModelLedgerEntry = z.infer<typeof ModelLedgerEntrySchema>;

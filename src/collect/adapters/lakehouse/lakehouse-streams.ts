// The table of every auditor/scrum loop stream (DESIGN section 7.1), in the order of that table.
import { AUDIT_STREAMS } from './audit-streams.ts';
import { DISTILLED_STREAMS } from './distilled-streams.ts';
import { DRIFT_STREAMS } from './drift-streams.ts';
import { OBSERVER_STREAMS } from './observer-streams.ts';
import { OUTCOME_STREAMS } from './outcome-streams.ts';
import { SCRUM_STREAMS } from './scrum-streams.ts';
import type { StreamSpec } from './stream-spec.ts';

const BY_NAME = new Map<string, StreamSpec>(
  [...SCRUM_STREAMS, ...AUDIT_STREAMS, ...OBSERVER_STREAMS, ...OUTCOME_STREAMS, ...DISTILLED_STREAMS, ...DRIFT_STREAMS].map((s) => [s.stream, s]),
);

/** Stream names in DESIGN 7.1's order. Detection breaks ties between same-shaped streams by this order. */
export const LAKEHOUSE_STREAM_NAMES = [
  'mode_experiments',
  'scrum_reviews',
  'auto_apply',
  'audits',
  'audit_facts',
  'audit_lessons',
  'audit_discrepancies',
  'observer_reviews',
  'observer_escalations',
  'model_trust',
  'outcomes',
  'human_overrides',
  'contract_analyses',
  'distilled_facts',
  'distilled_procedures',
  'distilled_config_hints',
  'phase_sweep_findings',
  'doc_drift_corrections',
] as const;

export type LakehouseStream = (typeof LAKEHOUSE_STREAM_NAMES)[number];

export const LAKEHOUSE_STREAMS: readonly StreamSpec[] = LAKEHOUSE_STREAM_NAMES.map((name) => {
  const spec = BY_NAME.get(name);
  // A missing table is a build defect; failing at import makes every test say so at once.
  if (spec === undefined) throw new Error(`no lakehouse table for stream ${name}`);
  return spec;
});

// Pure: ledger cells of every counted folder → one ModelLedgerEntry per task type × model (Wilson interval, percentiles, costs).
import { MODEL_LEDGER_ENTRY_SCHEMA_VERSION, ModelLedgerEntrySchema, type ModelLedgerEntry } from '../../schemas/model-ledger-entry.ts';
import type { ModelRole } from '../../schemas/evidence-record.ts';
import type { LedgerCell } from '../derived/folder-summary.ts';

export interface LedgerOptions {
  /** Failure modes kept per entry, most common first. */
  failure_modes: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const Z = 1.959963984540054;

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** 95% Wilson score interval of `successes` out of `n` (n ≥ 1), rounded to 6 digits and clamped around the rate. */
export function wilsonInterval(successes: number, n: number): { rate: number; low: number; high: number } {
  const p = successes / n;
  const z2 = Z * Z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  const rate = round(p, 6);
  const low = Math.min(rate, Math.max(0, round(center - half, 6)));
  const high = Math.max(rate, Math.min(1, round(center + half, 6)));
  return { rate, low, high };
}

/** Nearest-rank percentile of a multiset given as value → count; null when empty. */
export function percentile(counts: Record<string, number>, q: number): number | null {
  const values = Object.entries(counts)
    .map(([v, n]) => [Number(v), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = values.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [v, n] of values) {
    seen += n;
    if (seen >= rank) return v;
  }
  return values[values.length - 1]![0];
}

/** The key with the highest count (ties: code-unit order); null when empty. */
export function mostCommon(counts: Record<string, number>): string | null {
  let best: string | null = null;
  for (const [k, n] of Object.entries(counts)) {
    if (best === null || n > counts[best]! || (n === counts[best]! && k < best)) best = k;
  }
  return best;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Sum cells with the same task type and model. */
export function mergeCells(cells: Iterable<LedgerCell>): LedgerCell[] {
  const out = new Map<string, LedgerCell>();
  for (const c of cells) {
    const key = `${c.task_type}\0${c.model_name}`;
    const m = out.get(key);
    if (m === undefined) {
      out.set(key, {
        ...c,
        providers: { ...c.providers },
        failure_modes: { ...c.failure_modes },
        rescued_by: { ...c.rescued_by },
        escalation_roles: { ...c.escalation_roles },
        latency: { ...c.latency },
      });
      continue;
    }
    m.samples += c.samples;
    m.successes += c.successes;
    m.cost_nanos += c.cost_nanos;
    m.cost_runs += c.cost_runs;
    addCounts(m.providers, c.providers);
    addCounts(m.failure_modes, c.failure_modes);
    addCounts(m.rescued_by, c.rescued_by);
    addCounts(m.escalation_roles, c.escalation_roles);
    addCounts(m.latency, c.latency);
    if (c.last_updated > m.last_updated) m.last_updated = c.last_updated;
  }
  return [...out].sort(([a], [b]) => cmp(a, b)).map(([, c]) => c);
}

/** One ledger entry from a merged cell (samples ≥ 1). */
export function buildLedgerEntry(c: LedgerCell, opts: LedgerOptions): ModelLedgerEntry {
  const { rate, low, high } = wilsonInterval(c.successes, c.samples);
  const p50 = percentile(c.latency, 0.5);
  const p95 = percentile(c.latency, 0.95);
  const entry: ModelLedgerEntry = {
    schema_version: MODEL_LEDGER_ENTRY_SCHEMA_VERSION,
    model_name: c.model_name,
    model_provider: mostCommon(c.providers),
    task_type: c.task_type,
    success_rate: rate,
    success_ci: { low, high },
    sample_count: c.samples,
    failure_modes: Object.entries(c.failure_modes)
      .sort(([a, x], [b, y]) => y - x || cmp(a, b))
      .slice(0, opts.failure_modes)
      .map(([mode, count]) => ({ mode, count })),
    best_partner_model: mostCommon(c.rescued_by),
    escalation_role: mostCommon(c.escalation_roles) as ModelRole | null,
    cost: {
      per_run: c.cost_runs === 0 ? null : round(c.cost_nanos / c.cost_runs / 1e9, 9),
      per_accepted_run: c.cost_runs === 0 || c.successes === 0 ? null : round(c.cost_nanos / c.successes / 1e9, 9),
    },
    latency_p50: p50,
    latency_p95: p95,
    // The logs state no model's context window; null rather than a guess.
    context_window: null,
    last_updated: c.last_updated,
  };
  return ModelLedgerEntrySchema.parse(entry);
}

/** Every ledger entry, sorted by task type then model. */
export function computeLedger(cells: Iterable<LedgerCell>, opts: LedgerOptions): ModelLedgerEntry[] {
  return mergeCells(cells)
    .filter((c) => c.samples > 0)
    .map((c) => buildLedgerEntry(c, opts));
}

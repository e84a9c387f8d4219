// Pure: the ledger as a terminal table (task type, then success rate), saying plainly which rows rest on too few runs.
import Fuse from 'fuse.js';
import type { ModelLedgerEntry } from '../../schemas/model-ledger-entry.ts';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Task type, then success rate (highest first), then sample count, then model. */
export function sortLedger(entries: readonly ModelLedgerEntry[]): ModelLedgerEntry[] {
  return [...entries].sort(
    (a, b) => cmp(a.task_type, b.task_type) || b.success_rate - a.success_rate || b.sample_count - a.sample_count || cmp(a.model_name, b.model_name),
  );
}

export interface LedgerFilters {
  task_type: string | null;
  model: string | null;
}

/** The rows the filters select (an absent filter selects every row). */
export function filterLedger(entries: readonly ModelLedgerEntry[], f: LedgerFilters): ModelLedgerEntry[] {
  return entries.filter((e) => (f.task_type === null || e.task_type === f.task_type) && (f.model === null || e.model_name === f.model));
}

/** `did you mean 'x'?` from the closest known name (fuse.js), else the names known. */
function suggest(value: string, known: readonly string[], what: string): string {
  const close = new Fuse(known, { threshold: 0.4, ignoreLocation: true }).search(value)[0]?.item;
  if (close !== undefined) return `did you mean '${close}'?`;
  return `known ${what}: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}`;
}

const distinctSorted = (values: Iterable<string>) => [...new Set(values)].sort(cmp);

/**
 * Why the filters select no row of a ledger that has some (`entries` non-empty), in one line: each name no
 * row has, with the closest one; or, both names known, the task types the model does have rows for.
 */
export function describeNoRow(entries: readonly ModelLedgerEntry[], f: LedgerFilters): string {
  const taskTypes = distinctSorted(entries.map((e) => e.task_type));
  const models = distinctSorted(entries.map((e) => e.model_name));
  const flag = (name: string, value: string | null, known: string[], what: string) =>
    value === null ? [] : [`${name} ${value}${known.includes(value) ? '' : ` (${suggest(value, known, what)})`}`];
  const flags = [...flag('--task-type', f.task_type, taskTypes, 'task types'), ...flag('--model', f.model, models, 'models')];
  const known = (f.task_type === null || taskTypes.includes(f.task_type)) && (f.model === null || models.includes(f.model));
  const has = known && f.model !== null ? `: ${f.model} has rows for ${distinctSorted(entries.filter((e) => e.model_name === f.model).map((e) => e.task_type)).join(', ')}` : '';
  return `no ledger row for ${flags.join(' and ')}${has}`;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const usd = (x: number | null) => (x === null ? '-' : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(2)}`);
const ms = (x: number | null) => (x === null ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(0)}s` : x >= 1000 ? `${(x / 1000).toFixed(1)}s` : `${x}ms`);

export function renderLedger(entries: readonly ModelLedgerEntry[], minSamples: number): string {
  if (entries.length === 0) return 'the ledger is empty: no scored run names a model yet\n';
  const rows = [['TASK TYPE', 'MODEL', 'SUCCESS (95% CI)', 'RUNS', 'P50/P95', 'COST/RUN', 'COST/ACCEPTED', 'TOP FAILURE', 'RESCUED BY', '']];
  let small = 0;
  for (const e of sortLedger(entries)) {
    const tooFew = e.sample_count < minSamples;
    if (tooFew) small++;
    const top = e.failure_modes[0];
    rows.push([
      e.task_type,
      e.model_name,
      `${pct(e.success_rate)} (${pct(e.success_ci.low)}–${pct(e.success_ci.high)})`,
      String(e.sample_count),
      e.latency_p50 === null ? '-' : `${ms(e.latency_p50)}/${ms(e.latency_p95)}`,
      usd(e.cost.per_run),
      usd(e.cost.per_accepted_run),
      top === undefined ? '-' : `${top.mode} ×${top.count}`,
      e.best_partner_model ?? '-',
      tooFew ? `too few runs to trust (${e.sample_count} < ${minSamples})` : '',
    ]);
  }
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  if (small > 0) lines.push('', `${small} of ${entries.length} rows rest on fewer than ${minSamples} runs: their rates and intervals say little yet (ledger.min_samples).`);
  return lines.join('\n') + '\n';
}

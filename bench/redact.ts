// Redaction bench: ms per MB of redactText/redactValue on ordinary agent-log text, adversarial lines, 1 MB vs 16 MB.
//
//   bun bench/redact.ts [--rounds 5] [--baseline DIR]
//
// --baseline DIR adds the same columns for another version of src/redact (a directory holding its
// redact.ts), so an optimisation is judged side by side in one process:
//   mkdir -p /tmp/base && git archive HEAD src/redact | tar -x -C /tmp/base
//   bun bench/redact.ts --baseline /tmp/base/src/redact
//
// Everything runs in this one process, interleaved round by round so a noisy machine slows every column
// alike; figures are medians. The floor is a bare JSON.parse loop over the same lines (what ingest is
// compared with). The 16 MB / 1 MB ratio of ms-per-MB shows scaling: about 1.0 is linear.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redactText, redactValue } from '../src/redact/redact.ts';

interface RedactModule {
  redactText: typeof redactText;
  redactValue: typeof redactValue;
}

const SAMPLES = join(import.meta.dir, '..', '..', 'shared', 'samples');

function sampleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sampleFiles(p) : name.endsWith('.jsonl') ? [p] : [];
  });
}

/** Real agent-log JSONL lines, repeated until `bytes` characters. */
function ordinaryLines(chars: number): string[] {
  const base = sampleFiles(SAMPLES).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0));
  const out: string[] = [];
  let total = 0;
  for (let i = 0; total < chars; i++) {
    const line = base[i % base.length]!;
    out.push(line);
    total += line.length + 1;
  }
  return out;
}

/** Every string in a parsed JSON value: what collect hands the redactor, one free-text field at a time. */
function stringFields(v: unknown, out: string[]): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringFields(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stringFields(x, out);
  return out;
}

// Model outputs of the generated auditor logs (markdown review prose and code with paths), when the data is there.
const BENCH_RESPONSES = join(import.meta.dir, 'data', 'auditor-100mb-seed42', 'mode_experiments.jsonl');

function benchResponses(chars: number): string[] {
  if (!existsSync(BENCH_RESPONSES)) return [];
  const out: string[] = [];
  let total = 0;
  for (const line of readFileSync(BENCH_RESPONSES, 'utf8').split('\n')) {
    if (total >= chars) break;
    let response: unknown;
    try {
      response = (JSON.parse(line) as { response?: unknown }).response;
    } catch {
      continue; // the generator's deliberate bad lines
    }
    if (typeof response !== 'string') continue;
    out.push(response);
    total += response.length;
  }
  return out;
}

const MB = 1_000_000;
const chars = (lines: readonly string[]): number => lines.reduce((n, l) => n + l.length + 1, 0);

interface Column {
  name: string;
  mb: number;
  run: () => void;
}

function time(run: () => void): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const roundsFlag = process.argv.indexOf('--rounds');
const rounds = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 5;
const baselineFlag = process.argv.indexOf('--baseline');
const baselineDir = baselineFlag > 0 ? process.argv[baselineFlag + 1] : undefined;
const baseline: RedactModule | null = baselineDir === undefined ? null : ((await import(resolve(baselineDir, 'redact.ts'))) as RedactModule);

const small = ordinaryLines(1 * MB);
const large = ordinaryLines(16 * MB);
const parsedLarge = large.map((l) => JSON.parse(l) as unknown);
const fields = parsedLarge.flatMap((v) => stringFields(v, []));
const responses = benchResponses(16 * MB);
const adversarial: Array<[string, string]> = [
  ["'a' x 16M", 'a'.repeat(16 * MB)],
  ["'=' x 16M", '='.repeat(16 * MB)],
  ["'eyJ' + 'a.' x 8M", 'eyJ' + 'a.'.repeat(8 * MB)],
  ["'https://' + ':' x 16M", 'https://' + ':'.repeat(16 * MB)],
  ["'password=' x 1.8M", 'password='.repeat(Math.floor((16 * MB) / 9))],
  ['random 24-char tokens', ('aZ3kQ9mP2xL7vB4nW8cR1tY6' + ' ').repeat(Math.floor((16 * MB) / 25))],
];

/** The columns for one version of the code; `tag` prefixes their names ('' for the working tree). */
function columnsFor(m: RedactModule, tag: string): Column[] {
  return [
    { name: `${tag}redactText, 1 MB lines`, mb: chars(small) / MB, run: () => small.forEach((l) => m.redactText(l)) },
    { name: `${tag}redactText, 16 MB lines`, mb: chars(large) / MB, run: () => large.forEach((l) => m.redactText(l)) },
    { name: `${tag}redactValue, 16 MB parsed lines`, mb: chars(large) / MB, run: () => parsedLarge.forEach((v) => m.redactValue(v)) },
    { name: `${tag}redactText, each string field of them`, mb: chars(fields) / MB, run: () => fields.forEach((f) => m.redactText(f)) },
    ...(responses.length === 0
      ? []
      : [{ name: `${tag}redactText, bench-data model responses`, mb: chars(responses) / MB, run: () => responses.forEach((r) => m.redactText(r)) }]),
    ...adversarial.map(([name, text]): Column => ({ name: `${tag}redactText, adversarial ${name}`, mb: text.length / MB, run: () => m.redactText(text) })),
  ];
}

const current: RedactModule = { redactText, redactValue };
const columns: Column[] = [
  { name: 'JSON.parse floor, 16 MB lines', mb: chars(large) / MB, run: () => large.forEach((l) => JSON.parse(l)) },
  ...columnsFor(current, ''),
  ...(baseline === null ? [] : columnsFor(baseline, 'baseline ')),
];

// Warm-up so the JIT has compiled the hot paths before anything is measured.
for (const c of columns) if (!c.name.includes('adversarial')) c.run();

const samples = new Map<string, number[]>(columns.map((c) => [c.name, []]));
for (let r = 0; r < rounds; r++) for (const c of columns) samples.get(c.name)!.push(time(c.run) / c.mb);

const perMb = new Map(columns.map((c) => [c.name, median(samples.get(c.name)!)]));
const floor = perMb.get(columns[0]!.name)!;
console.log(`redaction bench: ${rounds} rounds, medians, Bun ${Bun.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${'column'.padEnd(61)} ${'MB'.padStart(6)} ${'ms/MB'.padStart(8)} ${'x floor'.padStart(8)}`);
for (const c of columns) {
  const v = perMb.get(c.name)!;
  console.log(`${c.name.padEnd(61)} ${c.mb.toFixed(1).padStart(6)} ${v.toFixed(2).padStart(8)} ${(v / floor).toFixed(2).padStart(8)}`);
}
const scaling = perMb.get('redactText, 16 MB lines')! / perMb.get('redactText, 1 MB lines')!;
console.log(`scaling: ms/MB at 16 MB / ms/MB at 1 MB = ${scaling.toFixed(2)} (1.0 = linear)`);
if (baseline !== null) {
  console.log(`speed-up over the baseline (baseline ms/MB / ms/MB), ${baselineDir}:`);
  for (const c of columnsFor(current, '')) {
    const ratio = perMb.get(`baseline ${c.name}`)! / perMb.get(c.name)!;
    console.log(`  ${c.name.padEnd(59)} ${ratio.toFixed(2).padStart(8)}x`);
  }
}

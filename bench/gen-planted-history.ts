// Seeded generator of auditor-loop histories with planted lessons, and the labelled PRs that should surface them (bench/search.ts).
//
// Each case plants one rejected patch to a file, rejected by a person for a stated reason that names what the
// patch changed; the same file also carries distractors (other rejected patches, accepted reviews, runs that
// failed along the way) that share generic vocabulary; background runs fill other files. The label is a later
// PR's unified diff touching that file (plus one unrelated file) whose added lines change the same thing:
// kb_query should rank the planted run near the top. A third of the PRs name the thing differently (the
// identifier's words in another order and case), so matching has to go through the identifier's parts.
// Same seed → byte-identical output.

export const PLANTED_GENERATOR_VERSION = 1;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AREAS = ['net', 'auth', 'db', 'cache', 'ui', 'billing', 'search', 'queue', 'sync', 'report'];
const NOUNS = ['retry', 'backoff', 'token', 'session', 'cursor', 'buffer', 'quota', 'ledger', 'schema', 'index', 'socket', 'batch', 'lease', 'shard', 'digest', 'cookie', 'invoice', 'tenant', 'webhook', 'thumbnail', 'locale', 'cipher', 'payload', 'journal'];
const LIMITS = ['cap', 'limit', 'timeout', 'window', 'ceiling', 'budget', 'floor', 'threshold'];
const VERBS = ['removed', 'doubled', 'inverted', 'hard-coded', 'skipped', 'bypassed', 'reset', 'dropped'];
const HARMS = ['unbounded retries hammer the upstream API', 'sessions leak across tenants', 'the migration silently truncates rows', 'stale entries are served for hours', 'invoices are sent twice', 'tokens never expire', 'the UI freezes on large lists', 'queue workers starve'];
const GENERIC = ['config', 'handler', 'result', 'options', 'context', 'logger'];

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

export interface PlantedCase {
  case_id: string;
  file: string;
  planted_run_id: string;
  /** The concept's words (noun, noun, limit) the reason and the PR share. */
  concept: string[];
  /** A later PR: `git diff -U0`-shaped text. */
  diff: string;
  paraphrased: boolean;
}

export interface PlantedHistory {
  /** Stream file name → JSONL text (the auditor loop's layout, data/_kb/<stream>.jsonl). */
  streams: Map<string, string>;
  cases: PlantedCase[];
  /** run_id → the commit (0-based) it is distilled under; runs happen in commit order. */
  run_commit: Map<string, number>;
  runs: number;
}

export interface PlantedOptions {
  seed: number;
  cases: number;
  /** Other rejected runs per planted file. */
  distractor_rejections: number;
  /** Accepted runs per planted file. */
  distractor_accepts: number;
  /** Runs on other files. */
  background: number;
  /** Runs per distilled commit. */
  runs_per_commit: number;
}

export const DEFAULT_PLANTED: PlantedOptions = { seed: 7, cases: 60, distractor_rejections: 6, distractor_accepts: 4, background: 600, runs_per_commit: 8 };

export function generatePlantedHistory(opts: PlantedOptions = DEFAULT_PLANTED): PlantedHistory {
  const rnd = mulberry32(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const concept = () => {
    const a = pick(NOUNS);
    let b = pick(NOUNS);
    while (b === a) b = pick(NOUNS);
    return [a, b, pick(LIMITS)];
  };
  const ident = (c: string[]) => `${c[0]}${cap(c[1] as string)}${cap(c[2] as string)}`;
  const streams = new Map<string, string[]>([['mode_experiments', []], ['human_overrides', []], ['observer_reviews', []]]);
  const push = (stream: string, o: unknown) => (streams.get(stream) as string[]).push(JSON.stringify(o));
  type Planned = { run_id: string; file: string; kind: 'reject' | 'accept' | 'shaky'; concept: string[] };
  const planned: Planned[] = [];
  const files = new Set<string>();
  const newFile = () => {
    let f = '';
    do f = `src/${pick(AREAS)}/${pick(NOUNS)}-${pick(NOUNS)}.ts`;
    while (files.has(f));
    files.add(f);
    return f;
  };
  const cases: PlantedCase[] = [];
  for (let i = 0; i < opts.cases; i++) {
    const file = newFile();
    const c = concept();
    const id = `case${String(i).padStart(3, '0')}`;
    const plantedRun = `${id}-planted`;
    planned.push({ run_id: plantedRun, file, kind: 'reject', concept: c });
    for (let d = 0; d < opts.distractor_rejections; d++) planned.push({ run_id: `${id}-rej${d}`, file, kind: 'reject', concept: concept() });
    for (let d = 0; d < opts.distractor_accepts; d++) planned.push({ run_id: `${id}-acc${d}`, file, kind: d % 2 === 0 ? 'accept' : 'shaky', concept: concept() });
    const paraphrased = i % 3 === 2;
    const name = paraphrased ? `${c[2]}${cap(c[0] as string)}${cap(c[1] as string)}` : ident(c);
    const generic = [pick(GENERIC), pick(GENERIC)];
    const other = newFile();
    const diff = [
      `diff --git a/${file} b/${file}`,
      `--- a/${file}`,
      `+++ b/${file}`,
      '@@ -10,0 +11,4 @@',
      `+export function ${name}(${generic[0]}: Options, ${generic[1]}: Handler) {`,
      `+  const ${generic[0]}Value = ${generic[1]}.result;`,
      `+  if (!${generic[0]}Value) throw new Error("${c[2]} exceeded");`,
      '+}',
      `diff --git a/${other} b/${other}`,
      `--- a/${other}`,
      `+++ b/${other}`,
      '@@ -1,0 +2 @@',
      `+export const ${pick(GENERIC)}Name = "${pick(NOUNS)}";`,
      '',
    ].join('\n');
    cases.push({ case_id: id, file, planted_run_id: plantedRun, concept: c, diff, paraphrased });
  }
  const plantedFiles = [...files];
  for (let b = 0; b < opts.background; b++) {
    // Background runs mostly touch their own files, sometimes a planted file (a busy file has history of all kinds).
    const file = rnd() < 0.15 ? pick(plantedFiles) : newFile();
    planned.push({ run_id: `bg${String(b).padStart(4, '0')}`, file, kind: rnd() < 0.3 ? 'reject' : rnd() < 0.5 ? 'shaky' : 'accept', concept: concept() });
  }
  // Shuffle into history order (Fisher-Yates), then cut into commits.
  for (let i = planned.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [planned[i], planned[j]] = [planned[j] as Planned, planned[i] as Planned];
  }
  const run_commit = new Map<string, number>();
  const t0 = Date.parse('2025-03-01T00:00:00Z');
  planned.forEach((p, n) => {
    run_commit.set(p.run_id, Math.floor(n / opts.runs_per_commit));
    const ts = (m: number) => new Date(t0 + n * 600_000 + m * 1000).toISOString();
    const g = pick(GENERIC);
    const thing = `${p.concept[0]} ${p.concept[1]} ${p.concept[2]}`;
    push('mode_experiments', {
      ts: ts(0), task_class: 'scrum_review', mode: 'codereview', model: pick(['kimi-k2:1t', 'gpt-oss:120b', 'qwen3-coder:480b', 'deepseek-v3.1']), file_path: p.file, latency_ms: 500 + Math.floor(rnd() * 4000),
      response: `patch for ${p.file}: ${pick(VERBS)} the ${thing} in ${ident(p.concept)}; the ${g} keeps its ${pick(GENERIC)} result`, run_id: p.run_id,
    });
    if (p.kind === 'reject') {
      push('human_overrides', { run_id: p.run_id, ts: ts(30), decision: 'reject', reason: `the patch ${pick(VERBS)} the ${thing} in ${ident(p.concept)}: ${pick(HARMS)}; the ${g} result was not checked`, by: 'maintainer' });
    } else {
      push('observer_reviews', { run_id: p.run_id, ts: ts(30), verdict: 'accept', confidence: p.kind === 'shaky' ? 0.6 : 0.92, notes: `${thing} reviewed; ${g} result checked`, model: 'kimi-k2:1t' });
    }
  });
  return {
    streams: new Map([...streams].map(([k, lines]) => [`${k}.jsonl`, lines.join('\n') + '\n'])),
    cases,
    run_commit,
    runs: planned.length,
  };
}

export interface FillerRun {
  run_id: string;
  file: string;
  rejected: boolean;
  /** What the run said (its patch), and for a rejected run the person's reason. */
  text: string;
  reason: string | null;
}

/**
 * Runs on files no planted case touches, in the planted runs' own words (the same nouns, limits, verbs and
 * harms): they share every common term with the labelled PRs, so they compete for the search's ranks without
 * changing which runs touched a planted file. Same seed → same runs.
 */
export function generateFiller(count: number, seed: number): FillerRun[] {
  const rnd = mulberry32(seed ^ 0x5f3759df);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const c = [pick(NOUNS), pick(NOUNS), pick(LIMITS)];
    const thing = `${c[0]} ${c[1]} ${c[2]}`;
    const name = `${c[0]}${cap(c[1] as string)}${cap(c[2] as string)}`;
    const rejected = rnd() < 0.3;
    return {
      run_id: `filler${String(i).padStart(7, '0')}`,
      // `lib/` paths: planted files are all under `src/`.
      file: `lib/${pick(AREAS)}/${pick(NOUNS)}-${pick(NOUNS)}-${i % 997}.ts`,
      rejected,
      text: `patch for the ${pick(GENERIC)}: ${pick(VERBS)} the ${thing} in ${name}; the ${pick(GENERIC)} keeps its ${pick(GENERIC)} result`,
      reason: rejected ? `the patch ${pick(VERBS)} the ${thing} in ${name}: ${pick(HARMS)}` : null,
    };
  });
}

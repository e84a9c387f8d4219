// Curation of candidate rows: exact dedup, seeded MinHash near-dup removal, splits by task group; pure and independent of input order.
import { sha256Hex } from '../canonical.ts';
import type { ExportConfig } from '../../schemas/config.ts';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** What curation needs of a row: its id (sha256 of its content), its task group, its text and when it came to be. */
export interface Curatable {
  id: string;
  /** The task group: rows of one group always land in the same split. */
  group: string;
  /** The content compared for duplicates (normalized here). */
  text: string;
  /**
   * When the row could first exist: the latest start (ISO time) among the runs it draws on, "" when they
   * carry no timestamp. The earliest row of a duplicate cluster survives, so runs that start later never
   * push out a row an earlier export wrote.
   */
  time: string;
}

/** Unicode NFKC, lower case, every run of whitespace one space, trimmed: "the same text" for exact dedup. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Canonical order of candidates: by time, then id, group and text, so survivors never depend on the order rows arrived in. */
function compareCuratable(a: Curatable, b: Curatable): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

export interface DedupResult<T> {
  kept: T[];
  exact_duplicates: number;
  near_duplicates: number;
}

/** The seeded hash functions: seed_i = the first 32 bits of sha256("minhash", seed, i), so a seed always gives the same signatures. */
export function buildMinHashSeeds(seed: string, numPerm: number): Uint32Array {
  const out = new Uint32Array(numPerm);
  for (let i = 0; i < numPerm; i++) out[i] = Number.parseInt(sha256Hex(`minhash\0${seed}\0${i}`).slice(0, 8), 16);
  return out;
}

/**
 * Word shingles of a normalized text as 32-bit hashes: each word hashed once (murmur3 x86_32, seed 0), a
 * shingle the fmix32-chained combination of its words' hashes, so no shingle string is ever built.
 */
export function buildShingles(normalized: string, words: number): Uint32Array {
  const tokens = normalized.split(' ').filter((t) => t !== '');
  const hashes = tokens.map((t) => Bun.hash.murmur32v3(t, 0) >>> 0);
  const set = new Set<number>();
  const n = Math.max(1, tokens.length - words + 1);
  for (let i = 0; i < n; i++) {
    let h = words;
    for (let j = i; j < Math.min(i + words, hashes.length); j++) h = fmix32((Math.imul(h, 0x9e3779b1) ^ hashes[j]!) >>> 0);
    set.add(h);
  }
  return Uint32Array.from(set);
}

/** murmur3's 32-bit finalizer: a bijection on 32-bit integers that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MinHash signature: per hash function h_i(x) = fmix32(x xor seed_i), the least value over the shingles. */
export function computeMinHash(shingles: Uint32Array, seeds: Uint32Array): Uint32Array {
  const sig = new Uint32Array(seeds.length);
  for (let i = 0; i < seeds.length; i++) {
    const s = seeds[i]!;
    let min = 0xffffffff;
    for (let j = 0; j < shingles.length; j++) {
      const v = fmix32((shingles[j]! ^ s) >>> 0);
      if (v < min) min = v;
    }
    sig[i] = min;
  }
  return sig;
}

/** The share of equal positions: MinHash's estimate of the Jaccard similarity of the shingle sets. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length === 0 ? 0 : same / a.length;
}

/** Whether the estimate reaches `threshold`, stopping as soon as too many positions differ (most candidates are not duplicates). */
function reachesJaccard(a: Uint32Array, b: Uint32Array, threshold: number): boolean {
  const allowed = Math.floor(a.length * (1 - threshold) + 1e-9);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && ++differ > allowed) return false;
  return true;
}

/** One band of a signature as a bucket key: FNV-1a over its values (a collision only adds a candidate, which is then compared). */
function bandKey(sig: Uint32Array, band: number, rows: number): number {
  let h = (0x811c9dc5 ^ band) >>> 0;
  for (let i = band * rows; i < (band + 1) * rows; i++) {
    h = Math.imul(h ^ sig[i]!, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Drop exact duplicates (same normalized text) and near duplicates (estimated Jaccard ≥ threshold,
 * candidates found by LSH banding). Rows are visited in (time, id) order and a row is dropped when it
 * duplicates one already kept, so the survivor of every cluster is the same whatever the input order,
 * and rows visited later (runs that start after every earlier one) never change an earlier decision.
 */
export function dedupRows<T extends Curatable>(rows: readonly T[], cfg: ExportConfig['near_dup'], seed: string): DedupResult<T> {
  const sorted = [...rows].sort(compareCuratable);
  const seenExact = new Set<string>();
  const afterExact: Array<{ row: T; normalized: string }> = [];
  let exact = 0;
  for (const row of sorted) {
    const normalized = normalizeText(row.text);
    const key = sha256Hex(normalized);
    if (seenExact.has(key)) {
      exact++;
      continue;
    }
    seenExact.add(key);
    afterExact.push({ row, normalized });
  }
  if (!cfg.enabled) return { kept: afterExact.map((r) => r.row), exact_duplicates: exact, near_duplicates: 0 };

  const seeds = buildMinHashSeeds(seed, cfg.num_perm);
  const rowsPerBand = cfg.num_perm / cfg.bands;
  const buckets = new Map<number, number[]>(); // band key → indexes into `keptSigs`
  const keptSigs: Uint32Array[] = [];
  const kept: T[] = [];
  let near = 0;
  for (const { row, normalized } of afterExact) {
    const sig = computeMinHash(buildShingles(normalized, cfg.shingle_words), seeds);
    const keys: number[] = [];
    for (let band = 0; band < cfg.bands; band++) keys.push(bandKey(sig, band, rowsPerBand));
    const candidates = new Set<number>();
    for (const k of keys) for (const idx of buckets.get(k) ?? []) candidates.add(idx);
    let duplicate = false;
    for (const idx of [...candidates].sort((x, y) => x - y)) {
      if (reachesJaccard(sig, keptSigs[idx]!, cfg.threshold)) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) {
      near++;
      continue;
    }
    const idx = keptSigs.length;
    keptSigs.push(sig);
    kept.push(row);
    for (const k of keys) {
      const list = buckets.get(k);
      if (list === undefined) buckets.set(k, [idx]);
      else list.push(idx);
    }
  }
  return { kept, exact_duplicates: exact, near_duplicates: near };
}

/**
 * The split of a task group: the first 32 bits of sha256(seed, group) as a fraction in [0,1), cut at the
 * configured shares. It depends on nothing but the seed and the group, so adding runs never moves a row.
 */
export function assignSplit(group: string, seed: string, splits: ExportConfig['splits']): SplitName {
  const u = Number.parseInt(sha256Hex(`split\0${seed}\0${group}`).slice(0, 8), 16) / 2 ** 32;
  if (u < splits.train) return 'train';
  if (u < splits.train + splits.validation) return 'validation';
  return 'test';
}

// Embedders: the offline hashed n-gram default (pure, versioned) and the opt-in HTTP providers (Ollama, OpenAI-compatible).
import type { SearchEmbedderConfig } from '../../schemas/config.ts';
import { DistillError } from '../errors.ts';

export interface Embedder {
  /** Names the vector space: the index stores it and re-embeds when it changes, so spaces never mix. */
  readonly key: string;
  /** Unit-length vectors (inner product = cosine), one per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Bump when the hashed embedder's output changes for any text: the index then re-embeds everything. */
export const HASHED_EMBEDDER_VERSION = 1;

const WORD = /[\p{L}\p{N}\p{M}_]+/gu;

/** FNV-1a, 32 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  if (sum === 0) return v;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  return v;
}

/**
 * One text's hashed vector: words and the character trigrams of each word (`#wo wor ord rd#`) hashed into
 * `dim` signed buckets with log-scaled counts, then unit length. Trigrams make `retry`/`retries` neighbours.
 */
export function computeHashedVector(text: string, dim: number): Float32Array {
  const counts = new Map<string, number>();
  const add = (feature: string, w: number) => counts.set(feature, (counts.get(feature) ?? 0) + w);
  let words = 0;
  for (const m of text.toLowerCase().matchAll(WORD)) {
    if (++words > 4000) break; // documents are capped; a query pasted whole keeps its start
    const word = m[0];
    add(`w:${word}`, 1);
    const padded = `#${word}#`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`g:${padded.slice(i, i + 3)}`, 0.5);
  }
  const v = new Float32Array(dim);
  // Sorted features: float sums in a fixed order give the same bytes on every run.
  for (const feature of [...counts.keys()].sort()) {
    const h = fnv1a(feature);
    const idx = h % dim;
    const sign = (h >>> 31) === 1 ? -1 : 1;
    v[idx] = (v[idx] ?? 0) + sign * (1 + Math.log(counts.get(feature) ?? 1));
  }
  return normalize(v);
}

export function createHashedEmbedder(dim: number): Embedder {
  return {
    key: `hashed-ngram@${HASHED_EMBEDDER_VERSION}:${dim}`,
    embed: async (texts) => texts.map((t) => computeHashedVector(t, dim)),
  };
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<Response>;

export interface HttpEmbedderOptions {
  provider: 'ollama' | 'openai';
  /** Base URL, e.g. http://127.0.0.1:11434 (a trailing slash is dropped). */
  url: string;
  model: string;
  batch_size: number;
  timeout_ms: number;
  api_key: string | null;
  fetch?: FetchLike;
}

function embedderError(message: string, url: string, cause?: unknown): DistillError {
  return new DistillError('E_EMBEDDER_FAILED', message, {
    hint: 'start the embedding server (or fix search.embedder in .distill/config.json; provider "hashed" needs no server), then rerun',
    details: { url },
    ...(cause === undefined ? {} : { cause }),
  });
}

function parseVectors(provider: 'ollama' | 'openai', body: unknown, expected: number, url: string): Float32Array[] {
  let rows: unknown[] | null = null;
  if (provider === 'ollama' && typeof body === 'object' && body !== null && Array.isArray((body as { embeddings?: unknown }).embeddings)) {
    rows = (body as { embeddings: unknown[] }).embeddings;
  }
  if (provider === 'openai' && typeof body === 'object' && body !== null && Array.isArray((body as { data?: unknown }).data)) {
    const data = (body as { data: Array<{ index?: unknown; embedding?: unknown }> }).data;
    rows = [...data].sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0)).map((d) => d.embedding);
  }
  if (rows === null) throw embedderError(`embedding endpoint ${url} answered without ${provider === 'ollama' ? '"embeddings"' : '"data"'}`, url);
  if (rows.length !== expected) throw embedderError(`embedding endpoint ${url} returned ${rows.length} vectors for ${expected} texts`, url);
  return rows.map((row, i) => {
    if (!Array.isArray(row) || row.length === 0 || !row.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw embedderError(`embedding endpoint ${url} returned a vector that is not a list of numbers (item ${i})`, url);
    }
    return normalize(Float32Array.from(row as number[]));
  });
}

/** Ollama `POST /api/embed {model, input[]}` or OpenAI-compatible `POST /v1/embeddings {model, input[]}`, batched. */
export function createHttpEmbedder(opts: HttpEmbedderOptions): Embedder {
  const base = opts.url.replace(/\/+$/, '');
  const url = opts.provider === 'ollama' ? `${base}/api/embed` : `${base}/v1/embeddings`;
  const doFetch: FetchLike = opts.fetch ?? ((u, init) => fetch(u, init));
  let dim: number | null = null;
  return {
    key: `${opts.provider}:${base}:${opts.model}`,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += opts.batch_size) {
        const batch = texts.slice(i, i + opts.batch_size);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (opts.api_key !== null) headers.authorization = `Bearer ${opts.api_key}`;
        let response: Response;
        try {
          response = await doFetch(url, { method: 'POST', headers, body: JSON.stringify({ model: opts.model, input: batch }), signal: AbortSignal.timeout(opts.timeout_ms) });
        } catch (error) {
          const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
          throw embedderError(
            timedOut ? `embedding endpoint ${url} did not answer within ${opts.timeout_ms} ms` : `embedding endpoint ${url} is unreachable: ${error instanceof Error ? error.message : String(error)}`,
            url,
            error,
          );
        }
        const text = await response.text();
        if (!response.ok) throw embedderError(`embedding endpoint ${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`, url);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw embedderError(`embedding endpoint ${url} answered with something that is not JSON: ${text.slice(0, 120)}`, url, error);
        }
        for (const v of parseVectors(opts.provider, body, batch.length, url)) {
          if (dim !== null && v.length !== dim) throw embedderError(`embedding endpoint ${url} changed dimension from ${dim} to ${v.length}`, url);
          dim = v.length;
          out.push(v);
        }
      }
      return out;
    },
  };
}

/** The embedder the configuration names; `env` supplies the API key variable it names. */
export function createEmbedder(config: SearchEmbedderConfig, env: Record<string, string | undefined>, fetchImpl?: FetchLike): Embedder {
  if (config.provider === 'hashed') return createHashedEmbedder(config.dim);
  if (config.url === null || config.model === null) {
    throw new DistillError('E_CONFIG_INVALID', `search.embedder.provider "${config.provider}" needs search.embedder.url and search.embedder.model`, {
      hint: 'set them in .distill/config.json, or use provider "hashed"',
    });
  }
  const apiKey = config.api_key_env === null ? null : (env[config.api_key_env] ?? null);
  return createHttpEmbedder({
    provider: config.provider,
    url: config.url,
    model: config.model,
    batch_size: config.batch_size,
    timeout_ms: config.timeout_ms,
    api_key: apiKey,
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  });
}

// The HTTP embedders against a local server started by the test: exact requests, batching, auth, and clear errors when it is down or wrong.
import { afterAll, describe, expect, test } from 'bun:test';
import { isDistillError } from '../errors.ts';
import { createEmbedder, createHttpEmbedder } from './embedders.ts';

interface Seen {
  method: string;
  path: string;
  auth: string | null;
  type: string | null;
  body: { model: string; input: string[] };
}

const seen: Seen[] = [];
let mode: 'ok' | 'http500' | 'short' | 'slow' = 'ok';
const vec = (t: string) => [t.length, 1, 0];

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const body = (await req.json()) as Seen['body'];
    seen.push({ method: req.method, path: url.pathname, auth: req.headers.get('authorization'), type: req.headers.get('content-type'), body });
    if (mode === 'http500') return new Response('model not loaded', { status: 500 });
    if (mode === 'slow') await Bun.sleep(2000);
    const input = mode === 'short' ? body.input.slice(1) : body.input;
    if (url.pathname === '/api/embed') return Response.json({ model: body.model, embeddings: input.map(vec) });
    if (url.pathname === '/v1/embeddings') return Response.json({ object: 'list', data: input.map((t, index) => ({ object: 'embedding', index, embedding: vec(t) })).reverse() });
    return new Response('no', { status: 404 });
  },
});
const base = `http://127.0.0.1:${server.port}`;
afterAll(() => server.stop(true));

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string | undefined }> {
  try {
    await p;
  } catch (error) {
    if (isDistillError(error)) return { code: error.code, message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error('expected an error');
}

describe('HTTP embedders', () => {
  test('Ollama: POST /api/embed {model, input[]} in batches, vectors unit length in order', async () => {
    seen.length = 0;
    mode = 'ok';
    const e = createHttpEmbedder({ provider: 'ollama', url: `${base}/`, model: 'nomic-embed-text', batch_size: 2, timeout_ms: 5000, api_key: null });
    const out = await e.embed(['a', 'bbb', 'cc']);
    expect(seen.map((s) => [s.method, s.path, s.type, s.auth, s.body])).toEqual([
      ['POST', '/api/embed', 'application/json', null, { model: 'nomic-embed-text', input: ['a', 'bbb'] }],
      ['POST', '/api/embed', 'application/json', null, { model: 'nomic-embed-text', input: ['cc'] }],
    ]);
    expect(out.map((v) => Array.from(v).map((x) => Number(x.toFixed(4))))).toEqual([
      [0.7071, 0.7071, 0],
      [0.9487, 0.3162, 0],
      [0.8944, 0.4472, 0],
    ]);
    expect(e.key).toBe(`ollama:${base}:nomic-embed-text`);
  });

  test('OpenAI-compatible: POST /v1/embeddings with the bearer token from the named variable, data put back in index order', async () => {
    seen.length = 0;
    mode = 'ok';
    const token = ['sk', 'test', String(Date.now())].join('-');
    const e = createEmbedder(
      { provider: 'openai', url: base, model: 'text-embedding-3-small', dim: 256, batch_size: 64, timeout_ms: 5000, api_key_env: 'EMBED_TOKEN' },
      { EMBED_TOKEN: token },
    );
    const out = await e.embed(['a', 'bbb']);
    expect(seen).toEqual([{ method: 'POST', path: '/v1/embeddings', auth: `Bearer ${token}`, type: 'application/json', body: { model: 'text-embedding-3-small', input: ['a', 'bbb'] } }]);
    expect(Number(out[1]?.[0]?.toFixed(4))).toBe(0.9487);
  });

  test('an endpoint that is down is E_EMBEDDER_FAILED naming the URL, with the next step', async () => {
    const dead = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const url = `http://127.0.0.1:${dead.port}`;
    dead.stop(true);
    const f = await failure(createHttpEmbedder({ provider: 'ollama', url, model: 'm', batch_size: 8, timeout_ms: 2000, api_key: null }).embed(['x']));
    expect(f.code).toBe('E_EMBEDDER_FAILED');
    expect(f.message).toContain(`embedding endpoint ${url}/api/embed is unreachable`);
    expect(f.hint).toContain('provider "hashed"');
  });

  test('a slow endpoint times out, an HTTP error and a short answer are named', async () => {
    mode = 'slow';
    const slow = await failure(createHttpEmbedder({ provider: 'ollama', url: base, model: 'm', batch_size: 8, timeout_ms: 150, api_key: null }).embed(['x']));
    expect(slow.message).toBe(`embedding endpoint ${base}/api/embed did not answer within 150 ms`);
    mode = 'http500';
    const http = await failure(createHttpEmbedder({ provider: 'openai', url: base, model: 'm', batch_size: 8, timeout_ms: 5000, api_key: null }).embed(['x']));
    expect(http.message).toBe(`embedding endpoint ${base}/v1/embeddings answered HTTP 500: model not loaded`);
    mode = 'short';
    const short = await failure(createHttpEmbedder({ provider: 'ollama', url: base, model: 'm', batch_size: 8, timeout_ms: 5000, api_key: null }).embed(['x', 'y']));
    expect(short.message).toBe(`embedding endpoint ${base}/api/embed returned 1 vectors for 2 texts`);
    mode = 'ok';
  });

  test('an HTTP provider without url or model is a config error', async () => {
    const f = await failure(Promise.resolve().then(() => createEmbedder({ provider: 'ollama', url: null, model: null, dim: 256, batch_size: 8, timeout_ms: 1000, api_key_env: null }, {})));
    expect(f.code).toBe('E_CONFIG_INVALID');
  });
});

// doctor's hnswlib line: what search does with and without the native module.
import { expect, test } from 'bun:test';
import { checkNative } from './build-checks.ts';
import { loadHnsw } from '../search/vectors.ts';

test('hnswlib-node missing is a warning that names the exact-scoring fallback and the first line of the cause', () => {
  const c = checkNative({ name: 'hnswlib-node', available: false, error: 'Could not locate the bindings file. Tried:\n → /x/addon.node' });
  expect(c.status).toBe('warn');
  expect(c.message).toBe('hnswlib-node is not available (Could not locate the bindings file. Tried:): git distill query and kb-query score every vector exactly (slower as the index grows)');
});

test('hnswlib-node present says when search uses it, and search loads the same module', async () => {
  expect(checkNative({ name: 'hnswlib-node', available: true, error: null }).message).toBe('hnswlib-node loads: search uses its HNSW graph above search.exact_max candidate vectors');
  expect((await loadHnsw()).status).toEqual({ available: true, error: null });
});

// Runs the store conformance suite against the in-memory twin.
import { createMemoryStore } from './memory-store.ts';
import { DEFAULT_DISTILL_REF } from './layout.ts';
import { runStoreConformance } from './store-conformance.ts';

runStoreConformance('memory', async () => ({
  store: createMemoryStore({ ref: DEFAULT_DISTILL_REF, tool_version: '0.1.0' }),
  cleanup: async () => {},
}));

// The lakehouse adapters' surface: the adapters for the auditor/scrum loop's JSONL streams and their detection.
export { LAKEHOUSE_ADAPTERS, detectLakehouse, type LakehouseDetection } from './lakehouse-adapters.ts';
export { LAKEHOUSE_STREAMS, LAKEHOUSE_STREAM_NAMES, type LakehouseStream } from './lakehouse-streams.ts';
export { matchesStreamFileName } from './detect-stream.ts';
export { inferModelProvider } from './infer-model-provider.ts';
export type { StreamSpec } from './stream-spec.ts';

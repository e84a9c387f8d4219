// One adapter per auditor/scrum loop stream, and detection across all of them.
import type { Adapter, DetectProbe } from '../../adapter.ts';
import { buildStreamAdapter } from './build-stream-adapter.ts';
import { LAKEHOUSE_STREAMS } from './lakehouse-streams.ts';

/** `lakehouse:<stream>` adapters, one per stream of DESIGN section 7.1, in that table's order. */
export const LAKEHOUSE_ADAPTERS: Adapter[] = LAKEHOUSE_STREAMS.map((spec) => buildStreamAdapter(spec));

export interface LakehouseDetection {
  adapter: Adapter;
  confidence: number;
}

/**
 * The lakehouse adapter that best fits a file: its name when it is a stream's (confident), else its
 * first line's keys (less so). Ties go to the earlier stream in DESIGN 7.1's order. Null when no
 * stream fits. Pure.
 */
export function detectLakehouse(probe: DetectProbe): LakehouseDetection | null {
  let best: LakehouseDetection | null = null;
  for (const adapter of LAKEHOUSE_ADAPTERS) {
    const confidence = adapter.detect(probe);
    if (confidence > 0 && (best === null || confidence > best.confidence)) best = { adapter, confidence };
  }
  return best;
}

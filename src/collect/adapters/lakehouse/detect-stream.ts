// Detection of one lakehouse stream: by file name (confident) or by the first line's keys (less so).
import type { DetectProbe } from '../../adapter.ts';
import { isRecord } from './parse-field.ts';
import type { StreamSpec } from './stream-spec.ts';

/** The file is named after the stream: the producer's own layout, so near certain. */
export const NAME_CONFIDENCE = 95;
/** Every signature key and one of the `any` keys are on the first line. */
export const SIGNATURE_CONFIDENCE = 60;
/** The `all` keys are there but none of the `any` keys. */
export const PARTIAL_SIGNATURE_CONFIDENCE = 50;
/** Added when a stream's cue tells it from a twin of the same shape. */
export const CUE_BONUS = 5;

/** The last path segment, for POSIX and Windows separators alike. */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * True when `path` names the stream's file: `<stream>.jsonl`, or a rotated copy such as
 * `<stream>.2026-04-26.jsonl`, `<stream>-1.jsonl`, `<stream>_20260426.jsonl` or `<stream>.jsonl.1`.
 * The rotation suffix must start with a digit, so `audit_facts_old.jsonl` or `audits_x.jsonl`
 * (another file that happens to share a prefix) does not count.
 */
export function matchesStreamFileName(stream: string, path: string): boolean {
  const name = baseName(path).toLowerCase();
  if (!name.startsWith(stream)) return false;
  let rest = name.slice(stream.length);
  const rotatedAfter = /\.jsonl\.\d+$/.exec(rest);
  if (rotatedAfter !== null) rest = rest.slice(0, rotatedAfter.index + 6);
  if (!rest.endsWith('.jsonl')) return false;
  const middle = rest.slice(0, -'.jsonl'.length);
  return middle === '' || /^[.\-_][0-9][0-9A-Za-z.\-_:T]*$/.test(middle);
}

/** How sure we are that the probed file is this stream; 0 when it is not. Pure. */
export function detectStream(spec: StreamSpec, probe: DetectProbe): number {
  if (matchesStreamFileName(spec.stream, probe.path)) return NAME_CONFIDENCE;
  const first = probe.first;
  if (!isRecord(first)) return 0;
  const sig = spec.signature;
  if (!sig.all.every((k) => Object.hasOwn(first, k))) return 0;
  const base = sig.any.length === 0 || sig.any.some((k) => Object.hasOwn(first, k)) ? SIGNATURE_CONFIDENCE : PARTIAL_SIGNATURE_CONFIDENCE;
  return sig.cue !== null && sig.cue(first) ? base + CUE_BONUS : base;
}

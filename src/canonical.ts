// Canonical JSON (sorted keys, no insignificant whitespace) and sha256: the basis of sig_hash, receipts and determinism.
import { createHash } from 'node:crypto';

/**
 * Serialize a JSON value canonically: object keys sorted by code unit, no whitespace,
 * `undefined` members dropped (as JSON.stringify does). Non-finite numbers become null.
 * Iterative, so a deeply nested value cannot overflow the stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work stack of either values to render or literal text to emit.
  const stack: Array<{ v: unknown } | string> = [{ v: value }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const v = item.v;
    if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') {
      out.push('null');
    } else if (typeof v === 'number') {
      out.push(Number.isFinite(v) ? JSON.stringify(v) : 'null');
    } else if (typeof v === 'string' || typeof v === 'boolean') {
      out.push(JSON.stringify(v));
    } else if (typeof v === 'bigint') {
      out.push(v.toString());
    } else if (Array.isArray(v)) {
      stack.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ v: v[i] === undefined ? null : v[i] });
        if (i > 0) stack.push(',');
      }
      out.push('[');
    } else {
      const obj = v as Record<string, unknown>;
      const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') {
        stack.push({ v: toJSON.call(obj) });
        continue;
      }
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
        .sort();
      stack.push('}');
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        stack.push({ v: obj[k] });
        stack.push(JSON.stringify(k) + ':');
        if (i > 0) stack.push(',');
      }
      out.push('{');
    }
  }
  return out.join('');
}

/** Hex sha256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the canonical JSON of a value: the `sig_hash` of a raw source record. */
export function canonicalSha256(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

// Field types of the lakehouse stream tables: checks one raw value against its declared type and normalizes it.

/** A closed set of words, compared lower-cased; `aliases` map a producer's spelling onto a member. */
export interface EnumType {
  readonly one_of: readonly string[];
  readonly aliases: Readonly<Record<string, string>>;
}

/**
 * What a field may hold. Numbers the streams carry are durations, costs, counts and rates, so
 * `number` means a finite number ≥ 0. `json` accepts any non-null value and leaves the checking to
 * the stream's code (gates, findings, votes come in several shapes).
 */
export type FieldType =
  | 'string' // any string; an empty optional string counts as absent
  | 'text' // a string, or an object/array rendered as JSON (a "forensic JSON" review)
  | 'id' // a non-empty string or an integer ≥ 0, normalized to a string (pr_number, permit_id, phase)
  | 'sha' // a hex commit id of 7 to 64 characters, lower-cased
  | 'timestamp' // ISO-8601 text or an epoch number, normalized to ISO-8601 UTC
  | 'count' // integer ≥ 0
  | 'attempt' // integer ≥ 1
  | 'number' // finite number ≥ 0
  | 'fraction' // number in [0, 1]
  | 'boolean'
  | 'string_list' // array of strings
  | 'list' // array of anything
  | 'json' // any non-null value
  | EnumType;

export type FieldValue = string | number | boolean | readonly unknown[] | Readonly<Record<string, unknown>>;

export type ParseOutcome =
  | { ok: true; value: FieldValue }
  /** `got` describes the value without quoting it: reasons end up in quarantine, values may hold secrets. */
  | { ok: false; expected: string; got: string };

export function oneOf(values: readonly string[], aliases: Readonly<Record<string, string>> = {}): EnumType {
  return { one_of: values, aliases };
}

/** The type as a rejection names it ("expected …"). */
export function describeFieldType(type: FieldType): string {
  if (typeof type !== 'string') return `one of ${type.one_of.join(', ')}`;
  switch (type) {
    case 'string':
      return 'a string';
    case 'text':
      return 'a string or an object';
    case 'id':
      return 'a string or an integer';
    case 'sha':
      return 'a hex commit sha (7 to 64 characters)';
    case 'timestamp':
      return 'an ISO-8601 timestamp or an epoch number';
    case 'count':
      return 'an integer ≥ 0';
    case 'attempt':
      return 'an integer ≥ 1';
    case 'number':
      return 'a number ≥ 0';
    case 'fraction':
      return 'a number between 0 and 1';
    case 'boolean':
      return 'a boolean';
    case 'string_list':
      return 'an array of strings';
    case 'list':
      return 'an array';
    case 'json':
      return 'a value';
  }
}

/** What a value is, in a few words, never the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SHA = /^[0-9a-fA-F]{7,64}$/;

// Date-only, or date-time with optional seconds, fraction and zone; a space may stand for the T.
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Epoch numbers below this are seconds, above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const EPOCH_SECONDS_BELOW = 1e11;
/** Latest instant toISOString renders with a four-digit year. */
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * ISO-8601 UTC (`toISOString` form) for an ISO string or an epoch number; null when it is neither.
 * A string without a zone is read as UTC, explicitly: JavaScript would read it as local time,
 * and the result must not depend on the machine's time zone.
 */
export function normalizeTimestamp(value: unknown): string | null {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    ms = value < EPOCH_SECONDS_BELOW ? value * 1000 : value;
  } else if (typeof value === 'string') {
    const m = ISO.exec(value.trim());
    if (m === null) return null;
    const [, date, hm, secs, zone] = m;
    if (hm === undefined) {
      ms = Date.parse(`${date}T00:00:00Z`);
    } else {
      const z = zone === undefined || zone === 'z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
      // Date.parse reads at most milliseconds reliably: microseconds and nanoseconds are cut, not rounded.
      const sec = secs === undefined ? ':00' : secs.slice(0, 7);
      ms = Date.parse(`${date}T${hm}${sec}${z}`);
    }
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) return null;
  return new Date(Math.round(ms)).toISOString();
}

/** Text as stored: strings as they are, structured values as compact JSON in the producer's key order. */
export function renderText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    // Only a value nested beyond the engine's stack gets here; the reader caps depth long before.
    return '';
  }
}

function fail(type: FieldType, value: unknown, got: string | null = null): ParseOutcome {
  return { ok: false, expected: describeFieldType(type), got: got ?? describeValue(value) };
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** Check `value` (never null or undefined: the engine treats those as absent) against `type`. */
export function parseField(value: unknown, type: FieldType): ParseOutcome {
  if (typeof type !== 'string') {
    if (typeof value !== 'string') return fail(type, value);
    const word = value.trim().toLowerCase();
    const member = type.aliases[word] ?? word;
    return type.one_of.includes(member) ? { ok: true, value: member } : fail(type, value, 'a word outside that set');
  }
  switch (type) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : fail(type, value);
    case 'text':
      return typeof value === 'string' || typeof value === 'object' ? { ok: true, value: renderText(value) } : fail(type, value);
    case 'id':
      if (typeof value === 'string' && value.trim() !== '') return { ok: true, value: value.trim() };
      if (isInt(value) && value >= 0) return { ok: true, value: String(value) };
      return fail(type, value, typeof value === 'string' ? 'an empty string' : null);
    case 'sha':
      if (typeof value !== 'string') return fail(type, value);
      return SHA.test(value.trim()) ? { ok: true, value: value.trim().toLowerCase() } : fail(type, value, 'a string that is not hex');
    case 'timestamp': {
      const iso = normalizeTimestamp(value);
      if (iso !== null) return { ok: true, value: iso };
      return fail(type, value, typeof value === 'string' ? 'a string in another format' : typeof value === 'number' ? 'a number out of range' : null);
    }
    case 'count':
      return isInt(value) && value >= 0 ? { ok: true, value } : fail(type, value, typeof value === 'number' ? 'a negative or fractional number' : null);
    case 'attempt':
      return isInt(value) && value >= 1 ? { ok: true, value } : fail(type, value, typeof value === 'number' ? 'a number below 1 or fractional' : null);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? { ok: true, value } : fail(type, value, typeof value === 'number' ? 'a negative number' : null);
    case 'fraction':
      return typeof value === 'number' && value >= 0 && value <= 1 ? { ok: true, value } : fail(type, value, typeof value === 'number' ? 'a number outside [0, 1]' : null);
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : fail(type, value);
    case 'string_list':
      if (!Array.isArray(value)) return fail(type, value);
      return value.every((v) => typeof v === 'string') ? { ok: true, value } : fail(type, value, 'an array with a non-string item');
    case 'list':
      return Array.isArray(value) ? { ok: true, value } : fail(type, value);
    case 'json':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'object'
        ? { ok: true, value: value as FieldValue }
        : fail(type, value);
  }
}

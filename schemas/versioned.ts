// Reading a persisted record: check its schema_version first (older → migrate, newer → upgrade), then the schema.
import { z } from 'zod';
import { DistillError } from '../src/errors.ts';
import { RECORD_SCHEMAS } from './index.ts';

/** How many validation issues the message names; all of them are in details.issues. */
const MESSAGE_ISSUE_LIMIT = 5;

/** The `schema_version` literal a record schema accepts, or null when it has none (a fragment, a foreign shape). */
export function schemaVersionOf(schema: z.ZodType): number | null {
  if (!(schema instanceof z.ZodObject)) return null;
  const field: unknown = schema.shape['schema_version'];
  if (!(field instanceof z.ZodLiteral) || field.values.size !== 1) return null;
  const [version] = [...field.values];
  return typeof version === 'number' ? version : null;
}

function requireVersion(name: string, schema: z.ZodType): number {
  const version = schemaVersionOf(schema);
  if (version === null) {
    throw new DistillError('E_INTERNAL', `record schema ${name} has no schema_version literal`, { details: { name } });
  }
  return version;
}

/** The schema_version this build reads and writes, per record name (`evidence-record` → 1). */
export const KNOWN_SCHEMA_VERSIONS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(RECORD_SCHEMAS.map((entry) => [entry.name, requireVersion(entry.name, entry.schema)])),
);

export interface RecordIssue {
  /** Dotted path with [i] for array items (`tool_calls[0].name`); `(root)` for the record itself. */
  path: string;
  code: string;
  message: string;
}

export function renderIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** zod says "expected string, received undefined" for an absent key; say that the field is missing. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `required field is missing (expected ${issue.expected})`;
  }
  return issue.message;
}

function versionError(kind: string, found: number, expected: number): DistillError | null {
  if (found > expected) {
    return new DistillError(
      'E_SCHEMA_VERSION_NEWER',
      `${kind}: schema_version ${found} is newer than this git-distill understands (${expected})`,
      { hint: 'upgrade git-distill', details: { kind, schema_version: found, expected } },
    );
  }
  if (found < expected) {
    return new DistillError(
      'E_SCHEMA_VERSION_OLDER',
      `${kind}: schema_version ${found} is older than this git-distill reads (${expected})`,
      { hint: 'run git distill migrate', details: { kind, schema_version: found, expected } },
    );
  }
  return null;
}

export type ParseRecordResult<T> = { ok: true; value: T } | { ok: false; error: DistillError };

/**
 * Parse a persisted record of kind `kind` (a name for messages, e.g. 'evidence-record') without throwing.
 * A whole-number schema_version ≥ 1 other than the schema's own is reported as a version mismatch before
 * any field is looked at, since a record of another version is expected to differ everywhere.
 */
export function safeParseRecord<S extends z.ZodType>(
  schema: S,
  kind: string,
  value: unknown,
): ParseRecordResult<z.output<S>> {
  const expected = schemaVersionOf(schema);
  if (expected !== null && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const found: unknown = (value as Record<string, unknown>)['schema_version'];
    if (typeof found === 'number' && Number.isInteger(found) && found >= 1) {
      const error = versionError(kind, found, expected);
      if (error !== null) return { ok: false, error };
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issues: RecordIssue[] = result.error.issues.map((issue) => ({
    path: renderIssuePath(issue.path),
    code: issue.code,
    message: describeIssue(issue),
  }));
  const shown = issues.slice(0, MESSAGE_ISSUE_LIMIT).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > MESSAGE_ISSUE_LIMIT ? ` (and ${issues.length - MESSAGE_ISSUE_LIMIT} more)` : '';
  return {
    ok: false,
    error: new DistillError('E_RECORD_INVALID', `${kind} is invalid: ${shown.join('; ')}${more}`, {
      details: { kind, issues },
    }),
  };
}

/** Parse a persisted record or throw DistillError (E_SCHEMA_VERSION_NEWER, E_SCHEMA_VERSION_OLDER, E_RECORD_INVALID). */
export function parseRecord<S extends z.ZodType>(schema: S, kind: string, value: unknown): z.output<S> {
  const result = safeParseRecord(schema, kind, value);
  if (!result.ok) throw result.error;
  return result.value;
}

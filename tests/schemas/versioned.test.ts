// parseRecord: schema_version is checked before the fields (newer → upgrade, older → migrate), then zod issues become E_RECORD_INVALID.
import { describe, expect, test } from 'bun:test';
import { z } from 'zod';
import { DistillError } from '../../src/errors.ts';
import { RECORD_SCHEMAS } from '../../schemas/index.ts';
import {
  KNOWN_SCHEMA_VERSIONS,
  parseRecord,
  renderIssuePath,
  safeParseRecord,
  schemaVersionOf,
  type RecordIssue,
} from '../../schemas/versioned.ts';

const V1 = z.strictObject({ schema_version: z.literal(1), name: z.string().min(1), tags: z.array(z.string()) });
const V2 = z.strictObject({ schema_version: z.literal(2), name: z.string() });

function thrown(fn: () => unknown): DistillError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DistillError) return error;
    throw error;
  }
  throw new Error('expected a DistillError');
}

describe('parseRecord', () => {
  test('returns the parsed record when it is valid', () => {
    expect(parseRecord(V1, 'thing', { schema_version: 1, name: 'a', tags: [] })).toEqual({
      schema_version: 1,
      name: 'a',
      tags: [],
    });
  });

  test('rejects a newer schema_version with E_SCHEMA_VERSION_NEWER and "upgrade git-distill", before looking at fields', () => {
    const error = thrown(() => parseRecord(V1, 'evidence-record', { schema_version: 2, whatever: true }));
    expect(error.code).toBe('E_SCHEMA_VERSION_NEWER');
    expect(error.message).toBe('evidence-record: schema_version 2 is newer than this git-distill understands (1)');
    expect(error.hint).toBe('upgrade git-distill');
    expect(error.details).toEqual({ kind: 'evidence-record', schema_version: 2, expected: 1 });
    expect(error.exitCode).toBe(3);
  });

  test('rejects an older schema_version with E_SCHEMA_VERSION_OLDER and "run git distill migrate"', () => {
    const error = thrown(() => parseRecord(V2, 'playbook', { schema_version: 1, name: 'a' }));
    expect(error.code).toBe('E_SCHEMA_VERSION_OLDER');
    expect(error.message).toBe('playbook: schema_version 1 is older than this git-distill reads (2)');
    expect(error.hint).toBe('run git distill migrate');
  });

  test('treats a missing, fractional, zero or non-numeric schema_version as an invalid record, not a version', () => {
    for (const schema_version of [undefined, 1.5, 0, -3, '1', null]) {
      const error = thrown(() => parseRecord(V1, 'thing', { schema_version, name: 'a', tags: [] }));
      expect(error.code).toBe('E_RECORD_INVALID');
      expect((error.details['issues'] as RecordIssue[]).map((i) => i.path)).toEqual(['schema_version']);
    }
  });

  test('names every failing field path in the message and lists the issues in details', () => {
    const error = thrown(() => parseRecord(V1, 'thing', { schema_version: 1, name: '', tags: ['ok', 7], extra: 1 }));
    expect(error.code).toBe('E_RECORD_INVALID');
    expect(error.message.startsWith('thing is invalid: ')).toBe(true);
    const issues = error.details['issues'] as RecordIssue[];
    expect(issues.map((i) => i.path).sort()).toEqual(['(root)', 'name', 'tags[1]']);
    for (const path of ['name', 'tags[1]', '(root)']) expect(error.message).toContain(`${path}: `);
    expect(issues.find((i) => i.path === '(root)')?.code).toBe('unrecognized_keys');
  });

  test('says a required field is missing rather than "received undefined"', () => {
    const error = thrown(() => parseRecord(V1, 'thing', { schema_version: 1, tags: [] }));
    expect(error.message).toBe('thing is invalid: name: required field is missing (expected string)');
  });

  test('caps the message at five issues and says how many more there are', () => {
    const error = thrown(() => parseRecord(V1, 'thing', { schema_version: 1, name: 1, tags: [1, 2, 3, 4, 5, 6] }));
    expect((error.details['issues'] as RecordIssue[]).length).toBe(7);
    expect(error.message.endsWith(' (and 2 more)')).toBe(true);
  });

  test('rejects a value that is not an object', () => {
    for (const value of [null, [], 'x', 1]) {
      const result = safeParseRecord(V1, 'thing', value);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_RECORD_INVALID');
    }
  });
});

describe('schema versions', () => {
  test('renderIssuePath writes dotted keys and [i] indexes', () => {
    expect(renderIssuePath([])).toBe('(root)');
    expect(renderIssuePath(['tool_calls', 0, 'name'])).toBe('tool_calls[0].name');
    expect(renderIssuePath([2, 'a'])).toBe('[2].a');
  });

  test('schemaVersionOf reads the schema_version literal, and null where there is none', () => {
    expect(schemaVersionOf(V2)).toBe(2);
    expect(schemaVersionOf(z.strictObject({ name: z.string() }))).toBeNull();
    expect(schemaVersionOf(z.string())).toBeNull();
  });

  test('KNOWN_SCHEMA_VERSIONS lists every registered record at version 1', () => {
    expect(Object.keys(KNOWN_SCHEMA_VERSIONS).sort()).toEqual(RECORD_SCHEMAS.map((e) => e.name).sort());
    for (const version of Object.values(KNOWN_SCHEMA_VERSIONS)) expect(version).toBe(1);
  });
});

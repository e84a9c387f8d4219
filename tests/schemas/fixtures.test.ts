// Walks tests/schemas/fixtures/<name>/{valid,invalid}: valid ones parse, invalid ones fail with the expected code and field paths.
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../../src/canonical.ts';
import { isDistillError } from '../../src/errors.ts';
import { RECORD_SCHEMAS, SCHEMA_FRAGMENTS, type SchemaEntry } from '../../schemas/index.ts';
import { safeParseRecord, schemaVersionOf, type RecordIssue } from '../../schemas/versioned.ts';

const FIXTURES = join(import.meta.dir, 'fixtures');

interface Expected {
  code: 'E_RECORD_INVALID' | 'E_SCHEMA_VERSION_NEWER' | 'E_SCHEMA_VERSION_OLDER';
  /** For E_RECORD_INVALID: exactly the issue paths the file must produce. */
  paths: string[];
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function jsonFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}

/** Schemas with defaults (the config) fill in what a file leaves out; every other record parses to itself. */
function hasDefaults(entry: SchemaEntry): boolean {
  return entry.name === 'config';
}

/** Required top-level keys, from the generated JSON Schema, so the coverage check follows the schema. */
function requiredKeys(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as { required?: string[] };
  return json.required ?? [];
}

test('every registered schema has a fixture folder and every fixture folder a schema', () => {
  const names = [...RECORD_SCHEMAS, ...SCHEMA_FRAGMENTS].map((e) => e.name).sort();
  const folders = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  expect(folders).toEqual(names);
});

for (const entry of [...RECORD_SCHEMAS, ...SCHEMA_FRAGMENTS]) {
  const dir = join(FIXTURES, entry.name);
  const validFiles = jsonFiles(join(dir, 'valid'));
  const invalidFiles = jsonFiles(join(dir, 'invalid'));
  const expectedPath = join(dir, 'expected-errors.json');
  const expected = (existsSync(expectedPath) ? readJson(expectedPath) : {}) as Record<string, Expected>;
  const versioned = schemaVersionOf(entry.schema) !== null;

  describe(entry.name, () => {
    test('has at least two valid fixtures', () => {
      expect(validFiles.length).toBeGreaterThanOrEqual(2);
    });

    test('has the required kinds of invalid fixture', () => {
      const required = requiredKeys(entry.schema);
      const missingField = invalidFiles.filter((f) => f.startsWith('missing-') && f !== 'missing-provenance.json');
      expect(missingField.length).toBeGreaterThanOrEqual(1);
      for (const file of missingField) {
        // A "missing" fixture must drop a key the schema requires, and fail on exactly that key.
        const paths = expected[file]?.paths ?? [];
        expect(paths.length).toBe(1);
        expect(required).toContain(paths[0]!);
      }
      expect(invalidFiles.some((f) => f.startsWith('wrong-type-'))).toBe(true);
      if (required.includes('provenance')) expect(invalidFiles).toContain('missing-provenance.json');
      if (versioned) expect(invalidFiles).toContain('schema-version-99.json');
    });

    test('expected-errors.json names exactly the invalid fixtures', () => {
      expect(Object.keys(expected).sort()).toEqual(invalidFiles);
    });

    for (const file of validFiles) {
      test(`accepts valid/${file}`, () => {
        const value = readJson(join(dir, 'valid', file));
        const result = safeParseRecord(entry.schema, entry.name, value);
        if (!result.ok) throw result.error;
        if (!hasDefaults(entry)) expect(canonicalJson(result.value)).toBe(canonicalJson(value));
        // Parsing is idempotent: what we write reads back unchanged.
        const again = safeParseRecord(entry.schema, entry.name, result.value);
        expect(again.ok && canonicalJson(again.value)).toBe(canonicalJson(result.value));
      });
    }

    for (const file of invalidFiles) {
      test(`rejects invalid/${file} with ${expected[file]?.code ?? '(no expectation)'}`, () => {
        const want = expected[file];
        expect(want).toBeDefined();
        const result = safeParseRecord(entry.schema, entry.name, readJson(join(dir, 'invalid', file)));
        expect(result.ok).toBe(false);
        if (result.ok || want === undefined) return;
        expect(isDistillError(result.error)).toBe(true);
        expect(result.error.code).toBe(want.code);
        if (want.code === 'E_RECORD_INVALID') {
          const issues = result.error.details['issues'] as RecordIssue[];
          expect([...new Set(issues.map((i) => i.path))].sort()).toEqual([...want.paths].sort());
          for (const path of want.paths) expect(result.error.message).toContain(path);
        }
      });
    }
  });
}

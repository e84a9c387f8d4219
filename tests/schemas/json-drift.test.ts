// The committed JSON Schema files in schemas/json/ are exactly what renderJsonSchemas() renders today.
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_DIR, renderJsonSchemas } from '../../schemas/generate.ts';
import { RECORD_SCHEMAS, SCHEMA_FRAGMENTS } from '../../schemas/index.ts';

const FIX = 'schemas/json/ is out of date: run npm run schemas:json';

test('renders one file per registered schema, named <name>.schema.json', () => {
  const names = [...RECORD_SCHEMAS, ...SCHEMA_FRAGMENTS].map((e) => `${e.name}.schema.json`).sort();
  expect([...renderJsonSchemas().keys()]).toEqual(names);
});

test('rendering is deterministic, 2-space indented, with a trailing newline', () => {
  const first = renderJsonSchemas();
  const second = renderJsonSchemas();
  for (const [file, text] of first) {
    expect(second.get(file)).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "$schema": "https://json-schema.org/draft/2020-12/schema",');
  }
});

test('every committed file equals its rendering and no stray file exists', () => {
  const rendered = renderJsonSchemas();
  const committed = readdirSync(JSON_SCHEMA_DIR).sort();
  const stray = committed.filter((file) => !rendered.has(file));
  const missing = [...rendered.keys()].filter((file) => !committed.includes(file));
  const stale = [...rendered].filter(([file, text]) => committed.includes(file) && readFileSync(join(JSON_SCHEMA_DIR, file), 'utf8') !== text);
  const problems = [
    ...stray.map((f) => `stray ${f}`),
    ...missing.map((f) => `missing ${f}`),
    ...stale.map(([f]) => `stale ${f}`),
  ];
  if (problems.length > 0) throw new Error(`${FIX} (${problems.join(', ')})`);
  expect(committed).toEqual([...rendered.keys()]);
});

test('strict records are closed: unknown keys are forbidden in the JSON Schema too', () => {
  for (const entry of RECORD_SCHEMAS) {
    const json = JSON.parse(renderJsonSchemas().get(`${entry.name}.schema.json`)!) as Record<string, unknown>;
    expect(json['additionalProperties']).toBe(false);
    expect(json['title']).toBe(entry.title);
    expect((json['properties'] as Record<string, unknown>)['schema_version']).toEqual({ type: 'number', const: 1 });
  }
});

// Renders every registered schema as JSON Schema (draft 2020-12) into schemas/json/; `bun run schemas/generate.ts`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RECORD_SCHEMAS, SCHEMA_FRAGMENTS, type SchemaEntry } from './index.ts';

export const JSON_SCHEMA_DIR = join(import.meta.dir, 'json');
export const JSON_SCHEMA_SUFFIX = '.schema.json';

export function renderJsonSchema(entry: SchemaEntry): string {
  // io 'input': the files describe what a producer may write (config defaults are optional there).
  const { $schema, ...body } = z.toJSONSchema(entry.schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
  });
  const document = { $schema, title: entry.title, description: entry.description, ...body };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** File name → file text for every record schema and fragment, in file-name order. */
export function renderJsonSchemas(): Map<string, string> {
  const entries = [...RECORD_SCHEMAS, ...SCHEMA_FRAGMENTS].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new Map(entries.map((entry) => [`${entry.name}${JSON_SCHEMA_SUFFIX}`, renderJsonSchema(entry)]));
}

/** Writes the rendered files and removes generated files whose schema no longer exists. */
export function writeJsonSchemas(dir: string = JSON_SCHEMA_DIR): { written: string[]; removed: string[] } {
  const rendered = renderJsonSchemas();
  mkdirSync(dir, { recursive: true });
  const removed = readdirSync(dir).filter((file) => file.endsWith(JSON_SCHEMA_SUFFIX) && !rendered.has(file));
  for (const file of removed) rmSync(join(dir, file));
  for (const [file, text] of rendered) writeFileSync(join(dir, file), text);
  return { written: [...rendered.keys()], removed };
}

if (import.meta.main) {
  const { written, removed } = writeJsonSchemas();
  for (const file of removed) process.stderr.write(`removed schemas/json/${file}\n`);
  process.stderr.write(`wrote ${written.length} JSON Schema files to schemas/json/\n`);
}

// QuarantineEntry: a source line that could not become evidence, with where and why (never the raw line).
import { z } from 'zod';
import { IsoTimeSchema, Sha256Schema } from './provenance.ts';

export const QUARANTINE_SCHEMA_VERSION = 1;

export const QuarantineReasonCodeSchema = z.enum([
  'invalid_json', // truncated or otherwise unparsable
  'invalid_utf8',
  'line_too_long', // over the configured cap
  'too_big', // a whole-JSON document over the configured cap
  'too_deep', // nesting beyond the configured depth
  'not_an_object', // an array or scalar where an object belongs
  'missing_field', // a required identifying field is absent
  'wrong_type', // a field has the wrong type
  'schema_version', // an unknown schema_version
  'record_invalid', // the mapped record failed the EvidenceRecord schema
  'unknown_format', // no adapter recognised the line
  'source_changed', // the file was truncated or rotated under us
]);
export type QuarantineReasonCode = z.infer<typeof QuarantineReasonCodeSchema>;

export const QuarantineEntrySchema = z.strictObject({
  schema_version: z.literal(QUARANTINE_SCHEMA_VERSION),
  source_file: z.string().min(1),
  source_format: z.string().nullable(),
  line_offset: z.int().min(1),
  byte_offset: z.int().min(0),
  pointer: z.string().nullable(),
  byte_length: z.int().min(0),
  reason_code: QuarantineReasonCodeSchema,
  /** What was wrong, naming the field where there is one. */
  reason: z.string().min(1),
  /** sha256 of the raw line bytes, so the line can be found again without storing it. */
  line_sha256: Sha256Schema,
  /** At most 200 characters of the line, redacted; never the raw line. */
  excerpt: z.string().max(240),
  recorded_at: IsoTimeSchema,
});

export type QuarantineEntry = z.infer<typeof QuarantineEntrySchema>;

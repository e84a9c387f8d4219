// Provenance: where a record came from (file, line, byte, the raw line's sig_hash) and when it was recorded.
import { z } from 'zod';

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (sha256)');
export const OidSchema = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-hex git object id');
export const IsoTimeSchema = z.iso.datetime({ offset: true });

export const ProvenanceSchema = z.strictObject({
  /** Path of the source file, relative to the repository (or as the user named it). */
  source_file: z.string().min(1),
  /** 1-based line number (JSONL) or item index + 1 (JSON containers). */
  line_offset: z.int().min(1),
  /** Byte offset of the line's first byte in the file (the item's document offset for JSON containers). */
  byte_offset: z.int().min(0),
  /** JSON pointer of the item inside a JSON document; null for JSONL lines. */
  pointer: z.string().nullable(),
  /** sha256 of the canonical JSON of the raw source record. */
  sig_hash: Sha256Schema,
  /** When the caller recorded it (the source commit's committer date in hooks), never the wall clock inside a stage. */
  recorded_at: IsoTimeSchema,
});

export type Provenance = z.infer<typeof ProvenanceSchema>;

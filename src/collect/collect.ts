// Collect: read one source through injected I/O, detect its format, map each line, finalize or quarantine it.
import { canonicalSha256, sha256Hex } from '../canonical.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import { QUARANTINE_SCHEMA_VERSION, type QuarantineEntry, type QuarantineReasonCode } from '../../schemas/quarantine-entry.ts';
import type { IngestConfig } from '../../schemas/config.ts';
import type { Adapter, SourceLocation } from './adapter.ts';
import { finalizeDraft, type TextRedactor } from './finalize.ts';
import { TextGrouper, type GroupEvent } from './group-text.ts';
import { DistillError } from '../errors.ts';

/** One line as the reader yields it (src/io/jsonl.ts). */
export interface CollectLine {
  line: number;
  byte_offset: number;
  byte_length: number;
  text: string | null;
  blank: boolean;
  line_sha256: string;
  head: string;
  error: null | { code: 'invalid_utf8' | 'line_too_long'; reason: string };
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; code: 'invalid_json' | 'too_deep'; reason: string };

export type JsonDocumentResult =
  | { ok: true; value: unknown; bytes: number; sha256: string }
  | { ok: false; code: QuarantineReasonCode; reason: string; bytes: number; sha256: string };

/** The I/O collect needs, injected so the stage itself never touches the file system. */
export interface CollectIo {
  readLines(path: string, opts: { maxLineBytes: number }): AsyncIterable<CollectLine>;
  parseJson(text: string, opts: { maxDepth: number }): ParseResult;
  readJsonDocument(path: string, opts: { maxBytes: number; maxDepth: number }): Promise<JsonDocumentResult>;
}

export interface CollectSink {
  evidence(record: EvidenceRecord): void | Promise<void>;
  quarantine(entry: QuarantineEntry): void | Promise<void>;
}

export interface CollectSource {
  /** Where to read it. */
  path: string;
  /** How provenance names it (relative to the repository or working directory). */
  display_path: string;
  /** A forced adapter id, or null to detect. */
  format: string | null;
  /**
   * Lines starting before this byte offset were collected by an earlier read: a stateful adapter maps
   * them again only to rebuild its state, and they are neither counted nor emitted. 0 = none.
   */
  replay_until?: number;
}

export interface CollectOptions {
  adapters: readonly Adapter[];
  recorded_at: string;
  ingest: IngestConfig;
  redact: TextRedactor;
}

export interface SourceSummary {
  source_file: string;
  format: string | null;
  /** How the format was chosen: forced by --format/config, detected, or not at all. */
  format_by: 'forced' | 'detected' | 'none';
  /** Set when the source was not read (no adapter recognised it); its lines are not counted. */
  skipped: string | null;
  lines: number;
  evidence: number;
  quarantined: number;
  blank: number;
  quarantined_by_reason: Record<string, number>;
  redactions: Record<string, number>;
  unmapped_fields: Record<string, number>;
}

const DETECT_LOOKAHEAD = 20;
const EXCERPT_CHARS = 200;

function increment(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export type Container = Adapter['container'];

/** How a file is read when no format is forced, by its name: one JSON document, a Markdown transcript, or JSONL. */
export function containerOfPath(path: string): Container {
  if (/\.(json|traj)$/i.test(path)) return 'json';
  if (/\.(md|markdown)$/i.test(path)) return 'markdown';
  return 'jsonl';
}

/** The adapter with the highest detection score, or null when none scores above 0. Ties go to registry order. */
export function detectAdapter(adapters: readonly Adapter[], path: string, first: unknown, container: Container): Adapter | null {
  let best: Adapter | null = null;
  let bestScore = 0;
  for (const adapter of adapters) {
    if (adapter.container !== container) continue;
    const score = adapter.detect({ path, first });
    if (score > bestScore) {
      best = adapter;
      bestScore = score;
    }
  }
  return best;
}

/** Collect one source. Every line read ends as evidence, quarantine or blank: the summary's counts reconcile. */
export async function collectSource(
  io: CollectIo,
  source: CollectSource,
  opts: CollectOptions,
  sink: CollectSink,
): Promise<SourceSummary> {
  const summary: SourceSummary = {
    source_file: source.display_path,
    format: source.format,
    format_by: source.format === null ? 'none' : 'forced',
    skipped: null,
    lines: 0,
    evidence: 0,
    quarantined: 0,
    blank: 0,
    quarantined_by_reason: {},
    redactions: {},
    unmapped_fields: {},
  };
  let forced: Adapter | null = null;
  if (source.format !== null) {
    forced = opts.adapters.find((a) => a.id === source.format) ?? null;
    if (forced === null) {
      summary.skipped = `unknown format '${source.format}'`;
      return summary;
    }
  }
  const container = forced?.container ?? containerOfPath(source.path);
  if (container === 'json') return collectJsonDocument(io, source, opts, sink, summary, forced);
  if (container === 'markdown') return collectMarkdown(io, source, opts, sink, summary, forced);
  return collectJsonl(io, source, opts, sink, summary, forced);
}

interface LineContext {
  source: CollectSource;
  opts: CollectOptions;
  sink: CollectSink;
  summary: SourceSummary;
}

/**
 * The raw bytes behind a value: its length, hash and first characters. The reader computes the hash and
 * head lazily (getters), so they are read only when a line is quarantined — never on the hot path.
 */
interface RawRef {
  readonly byte_length: number;
  readonly line_sha256: string;
  readonly head: string;
}

interface LineAt {
  line: number;
  byte_offset: number;
  pointer: string | null;
}

async function quarantine(ctx: LineContext, at: LineAt, raw: RawRef, reason_code: QuarantineReasonCode, reason: string): Promise<void> {
  const counts = new Map<string, number>();
  const excerpt = ctx.opts.redact(raw.head.slice(0, EXCERPT_CHARS), counts);
  const entry: QuarantineEntry = {
    schema_version: QUARANTINE_SCHEMA_VERSION,
    source_file: ctx.source.display_path,
    source_format: ctx.summary.format,
    line_offset: at.line,
    byte_offset: at.byte_offset,
    pointer: at.pointer,
    byte_length: raw.byte_length,
    reason_code,
    reason: ctx.opts.redact(reason, counts),
    line_sha256: raw.line_sha256,
    excerpt: excerpt.slice(0, 240),
    recorded_at: ctx.opts.recorded_at,
  };
  for (const [rule, n] of counts) increment(ctx.summary.redactions, rule, n);
  ctx.summary.quarantined++;
  increment(ctx.summary.quarantined_by_reason, reason_code);
  await ctx.sink.quarantine(entry);
}

async function mapValue(
  ctx: LineContext,
  adapter: Adapter,
  state: unknown,
  value: unknown,
  at: SourceLocation,
  raw: RawRef,
): Promise<void> {
  const mapped = adapter.map(value, at, state);
  if (!mapped.ok) {
    await quarantine(ctx, at, raw, mapped.rejection.code, mapped.rejection.reason);
    return;
  }
  const result = finalizeDraft(mapped.draft, at, {
    source_format: adapter.id,
    sig_hash: canonicalSha256(value),
    recorded_at: ctx.opts.recorded_at,
    max_text_chars: ctx.opts.ingest.max_text_chars,
    redact: ctx.opts.redact,
  });
  for (const [rule, n] of result.redactions) increment(ctx.summary.redactions, rule, n);
  if (!result.ok) {
    await quarantine(ctx, at, raw, 'record_invalid', result.reason);
    return;
  }
  for (const field of result.record.unmapped_fields) increment(ctx.summary.unmapped_fields, field);
  ctx.summary.evidence++;
  await ctx.sink.evidence(result.record);
}

async function collectJsonl(
  io: CollectIo,
  source: CollectSource,
  opts: CollectOptions,
  sink: CollectSink,
  summary: SourceSummary,
  forced: Adapter | null,
): Promise<SourceSummary> {
  const ctx: LineContext = { source, opts, sink, summary };
  let adapter = forced;
  let state: unknown = adapter?.init(source.display_path);
  // Lines read before the format is known; bounded by DETECT_LOOKAHEAD parsed lines.
  const pending: Array<{ line: CollectLine; parsed: ParseResult | null }> = [];
  let parsedSeen = 0;

  const replayUntil = source.replay_until ?? 0;
  const handle = async (line: CollectLine, parsed: ParseResult | null): Promise<void> => {
    if (line.byte_offset < replayUntil) {
      if (adapter!.stateful !== true || line.blank || line.error !== null) return;
      const p = parsed ?? io.parseJson(line.text ?? '', { maxDepth: opts.ingest.max_depth });
      if (p.ok) adapter!.map(p.value, { source_file: source.display_path, line: line.line, byte_offset: line.byte_offset, pointer: null }, state);
      return;
    }
    const qAt: LineAt = { line: line.line, byte_offset: line.byte_offset, pointer: null };
    if (line.blank) {
      summary.blank++;
      return;
    }
    if (line.error !== null) {
      await quarantine(ctx, qAt, line, line.error.code, line.error.reason);
      return;
    }
    const p = parsed ?? io.parseJson(line.text ?? '', { maxDepth: opts.ingest.max_depth });
    if (!p.ok) {
      await quarantine(ctx, qAt, line, p.code, p.reason);
      return;
    }
    const at: SourceLocation = { source_file: source.display_path, line: line.line, byte_offset: line.byte_offset, pointer: null };
    await mapValue(ctx, adapter!, state, p.value, at, line);
  };

  for await (const line of io.readLines(source.path, { maxLineBytes: opts.ingest.max_line_bytes })) {
    if (line.byte_offset >= replayUntil) summary.lines++;
    if (adapter !== null) {
      await handle(line, null);
      continue;
    }
    let parsed: ParseResult | null = null;
    if (!line.blank && line.error === null) {
      parsed = io.parseJson(line.text ?? '', { maxDepth: opts.ingest.max_depth });
      if (parsed.ok && parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value)) {
        parsedSeen++;
        adapter = detectAdapter(opts.adapters, source.path, parsed.value, 'jsonl');
      }
    }
    pending.push({ line, parsed });
    if (adapter !== null) {
      summary.format = adapter.id;
      summary.format_by = 'detected';
      state = adapter.init(source.display_path);
      for (const p of pending) await handle(p.line, p.parsed);
      pending.length = 0;
    } else if (parsedSeen >= DETECT_LOOKAHEAD) {
      break;
    }
  }
  if (adapter === null) {
    // Nothing recognised the file: report it skipped and count none of its lines, so nothing is half-read.
    summary.skipped = parsedSeen === 0 ? 'no JSON object found in the first lines' : 'no adapter recognised the records';
    summary.lines = 0;
    summary.quarantined = 0;
    summary.blank = 0;
    summary.quarantined_by_reason = {};
  }
  return summary;
}

async function collectJsonDocument(
  io: CollectIo,
  source: CollectSource,
  opts: CollectOptions,
  sink: CollectSink,
  summary: SourceSummary,
  forced: Adapter | null,
): Promise<SourceSummary> {
  const ctx: LineContext = { source, opts, sink, summary };
  const doc = await io.readJsonDocument(source.path, { maxBytes: opts.ingest.max_json_bytes, maxDepth: opts.ingest.max_depth });
  const whole: LineAt = { line: 1, byte_offset: 0, pointer: '' };
  const wholeRaw: RawRef = { byte_length: doc.bytes, line_sha256: doc.sha256, head: '' };
  if (!doc.ok) {
    if (forced === null) {
      summary.skipped = doc.reason;
      return summary;
    }
    summary.lines = 1;
    await quarantine(ctx, whole, wholeRaw, doc.code, doc.reason);
    return summary;
  }
  const adapter = forced ?? detectAdapter(opts.adapters, source.path, doc.value, 'json');
  if (adapter === null || adapter.split === undefined) {
    summary.skipped = 'no adapter recognised the document';
    return summary;
  }
  if (forced === null) {
    summary.format = adapter.id;
    summary.format_by = 'detected';
  }
  const split = adapter.split(doc.value);
  if (!split.ok) {
    summary.lines = 1;
    await quarantine(ctx, whole, wholeRaw, 'wrong_type', split.reason);
    return summary;
  }
  const state = adapter.init(source.display_path);
  let index = 0;
  for (const item of split.items) {
    index++;
    summary.lines++;
    const at: SourceLocation = { source_file: source.display_path, line: index, byte_offset: 0, pointer: item.pointer };
    const value = item.value;
    await mapValue(ctx, adapter, state, value, at, {
      byte_length: 0,
      get line_sha256() {
        return sha256Hex(item.pointer + '\u0000' + doc.sha256);
      },
      get head() {
        return (JSON.stringify(value) ?? '').slice(0, EXCERPT_CHARS);
      },
    });
  }
  return summary;
}

/**
 * A Markdown transcript: lines grouped into items by the adapter's splitter, one map per item. The unit counted
 * is the item, as for a JSON document's items: `lines` = items + blank lines between them + unreadable lines, so
 * lines = evidence + quarantined + blank holds; an item's own blank lines belong to it. A resumed read
 * (`replay_until`) replays the items before that offset through `map` for state only and starts a new item
 * there, so a line is never counted twice however the reads fall.
 */
async function collectMarkdown(
  io: CollectIo,
  source: CollectSource,
  opts: CollectOptions,
  sink: CollectSink,
  summary: SourceSummary,
  forced: Adapter | null,
): Promise<SourceSummary> {
  const ctx: LineContext = { source, opts, sink, summary };
  const replayUntil = source.replay_until ?? 0;
  const maxBytes = opts.ingest.max_line_bytes;
  interface Reader {
    adapter: Adapter;
    state: unknown;
    grouper: TextGrouper;
  }
  const begin = (adapter: Adapter): Reader => {
    if (adapter.splitLines === undefined) {
      throw new DistillError('E_INTERNAL', `adapter ${adapter.id} reads Markdown but has no splitLines`, { details: { adapter: adapter.id } });
    }
    return { adapter, state: adapter.init(source.display_path), grouper: new TextGrouper(adapter.splitLines(), maxBytes) };
  };
  let replaying = replayUntil > 0;

  const emit = async (r: Reader, events: GroupEvent[]): Promise<void> => {
    for (const e of events) {
      if (e.kind === 'blank') {
        if (e.line.byte_offset < replayUntil) continue;
        summary.lines++;
        summary.blank++;
        continue;
      }
      const item = e.item;
      const at: SourceLocation = { source_file: source.display_path, line: item.line, byte_offset: item.byte_offset, pointer: null };
      if (item.byte_offset < replayUntil) {
        if (item.text !== null) r.adapter.map(item.text, at, r.state);
        continue;
      }
      summary.lines++;
      const raw: RawRef = { byte_length: item.byte_length, line_sha256: item.sha256, head: item.head };
      if (item.text === null) {
        await quarantine(ctx, at, raw, 'line_too_long', `item (lines ${item.line}-${item.end_line}) is ${item.byte_length} bytes, over the ${maxBytes}-byte limit`);
        continue;
      }
      await mapValue(ctx, r.adapter, r.state, item.text, at, raw);
    }
  };
  const handle = async (r: Reader, line: CollectLine): Promise<void> => {
    if (replaying && line.byte_offset >= replayUntil) {
      // What an earlier read counted ends here: this line starts a new item even if it continues the last one.
      replaying = false;
      await emit(r, r.grouper.end());
    }
    if (line.error !== null) {
      await emit(r, r.grouper.end());
      if (line.byte_offset < replayUntil) return;
      summary.lines++;
      await quarantine(ctx, { line: line.line, byte_offset: line.byte_offset, pointer: null }, line, line.error.code, line.error.reason);
      return;
    }
    await emit(r, r.grouper.push({ line: line.line, byte_offset: line.byte_offset, byte_length: line.byte_length, text: line.text ?? '', blank: line.blank }));
  };

  let reader: Reader | null = forced === null ? null : begin(forced);
  // Until the format is known, the first lines wait here, bounded by DETECT_LOOKAHEAD readable non-blank ones.
  const pending: CollectLine[] = [];
  let seen = 0;
  const detect = async (): Promise<Reader | null> => {
    const first = pending
      .filter((l) => l.error === null && !l.blank)
      .map((l) => l.text ?? '')
      .join('\n');
    const found = detectAdapter(opts.adapters, source.path, first, 'markdown');
    if (found === null) return null;
    const r = begin(found);
    summary.format = found.id;
    summary.format_by = 'detected';
    for (const l of pending) await handle(r, l);
    pending.length = 0;
    return r;
  };
  let tried = false;
  for await (const line of io.readLines(source.path, { maxLineBytes: maxBytes })) {
    if (reader !== null) {
      await handle(reader, line);
      continue;
    }
    pending.push(line);
    if (line.error === null && !line.blank) seen++;
    if (seen < DETECT_LOOKAHEAD) continue;
    tried = true;
    reader = await detect();
    if (reader === null) break;
  }
  // A file shorter than the lookahead is detected on what it has.
  if (reader === null && !tried && seen > 0) reader = await detect();
  if (reader === null) {
    // Nothing recognised the file: skipped whole, none of its lines counted.
    summary.skipped = seen === 0 ? 'no text found in the first lines' : 'no adapter recognised the text';
    return summary;
  }
  await emit(reader, reader.grouper.end());
  return summary;
}

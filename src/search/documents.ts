// What the search index holds: documents built from one distilled commit folder or one playbook file (pure).
import { EvidenceRecordSchema, type EvidenceRecord } from '../../schemas/evidence-record.ts';
import { ManifestSchema } from '../../schemas/manifest.ts';
import { PlaybookSchema, type Playbook } from '../../schemas/playbook.ts';
import { ScoredRunSchema, type ScoredRun } from '../../schemas/scored-run.ts';
import { sha256Hex } from '../canonical.ts';

export const DOC_KINDS = ['evidence', 'lesson', 'failure', 'playbook'] as const;
export type DocKind = (typeof DOC_KINDS)[number];

/** Structured facts of a run, kept beside the text so kb_query can cite them without re-reading the branch. */
export interface RunFacts {
  /** Every reason's detail, highest precedence first (the first decided the category). */
  reasons: string[];
  failure_markers: string[];
  /** The latest human override's reason, when a person decided. */
  override_reason: string | null;
  /** Validations whose result failed: `name: detail`. */
  failed_validations: string[];
}

export interface IndexDocument {
  /** Stable: `<kind>:<source oid>:<run id>` for runs, `lesson:<evidence id>`, `playbook:<playbook id>`. */
  doc_id: string;
  kind: DocKind;
  /** The source commit it was distilled under; null for playbooks (derived from all commits). */
  source_oid: string | null;
  /** The source commit's committer date (ISO) from the folder's manifest; null for playbooks. */
  committed_at: string | null;
  run_id: string | null;
  /** The run's score category; a playbook's status. */
  category: string | null;
  task_type: string | null;
  /** Model names, sorted, distinct. */
  models: string[];
  /** Repository paths the run (or playbook) touched, sorted, distinct. */
  files: string[];
  /** One line for a result list. */
  title: string;
  /** The text that is ranked (already redacted on the branch), capped. */
  text: string;
  /** Run facts for run documents (evidence, failure, lesson); null for playbooks. */
  facts: RunFacts | null;
  /** sha256 of `text`: the embedding cache key. */
  content_hash: string;
}

/** Keeps one document's text bounded: the ranking sees the start of long agent transcripts, which is where the task is stated. */
export const MAX_DOC_CHARS = 8000;
const MAX_PART_CHARS = 1500;

const decoder = new TextDecoder();

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function parseJsonl<T>(bytes: Uint8Array | undefined, parse: (value: unknown) => T): T[] {
  if (bytes === undefined) return [];
  const out: T[] = [];
  for (const line of decoder.decode(bytes).split('\n')) {
    if (line.trim() === '') continue;
    out.push(parse(JSON.parse(line)));
  }
  return out;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

function finishDoc(doc: Omit<IndexDocument, 'content_hash' | 'text'> & { text: string }): IndexDocument {
  const text = clip(doc.text, MAX_DOC_CHARS);
  return { ...doc, text, content_hash: sha256Hex(text) };
}

const isLesson = (e: EvidenceRecord) =>
  e.kind === 'fact' && /^lakehouse:(audit_lessons|audit_facts|distilled_facts|distilled_procedures|distilled_config_hints)$/.test(e.source_format);

function evidenceLines(e: EvidenceRecord): string[] {
  const parts: string[] = [];
  if (e.input_text !== null && e.input_text !== '') parts.push(clip(e.input_text, MAX_PART_CHARS));
  if (e.output_text !== null && e.output_text !== '') parts.push(clip(e.output_text, MAX_PART_CHARS));
  for (const c of e.commands_run) parts.push(`$ ${c.command}${c.exit_code === null ? '' : ` (exit ${c.exit_code})`}`);
  for (const t of e.tool_calls) if (t.error !== null) parts.push(`tool ${t.name} failed: ${clip(t.error, 300)}`);
  for (const m of e.failure_markers) parts.push(`failed: ${m}`);
  for (const m of e.success_markers) parts.push(`ok: ${m}`);
  for (const v of e.validation_results) parts.push(`validation ${v.name} ${v.passed ? 'passed' : 'failed'}${v.detail === '' ? '' : `: ${clip(v.detail, 300)}`}`);
  if (e.observer_notes !== '') parts.push(clip(e.observer_notes, MAX_PART_CHARS));
  if (e.human_override !== null) parts.push(`human ${e.human_override.decision}: ${e.human_override.reason}`);
  return parts;
}

function runFacts(run: ScoredRun | undefined, records: readonly EvidenceRecord[]): RunFacts {
  const overrides = records.filter((e) => e.human_override !== null);
  const last = overrides[overrides.length - 1];
  return {
    reasons: run === undefined ? [] : run.reasons.map((r) => r.detail),
    failure_markers: sorted(records.flatMap((e) => e.failure_markers)),
    override_reason: last?.human_override?.reason ?? null,
    failed_validations: sorted(records.flatMap((e) => e.validation_results.filter((v) => !v.passed).map((v) => (v.detail === '' ? v.name : `${v.name}: ${clip(v.detail, 300)}`)))),
  };
}

/**
 * The documents of one commit folder: per run an `evidence` summary (texts, commands, markers, validations),
 * a `failure` for a rejected run (its reasons, failure markers, the override's reason), and a `lesson` per
 * extracted lesson or distilled text. Same folder → same documents, in doc_id order.
 */
export function buildCommitDocuments(sourceOid: string, files: ReadonlyMap<string, Uint8Array>): IndexDocument[] {
  const manifestBytes = files.get('manifest.json');
  const manifest = manifestBytes === undefined ? null : ManifestSchema.parse(JSON.parse(decoder.decode(manifestBytes)));
  const committedAt = manifest?.committed_at ?? null;
  const subject = manifest?.subject ?? '';
  const evidence = parseJsonl(files.get('evidence.jsonl'), (v) => EvidenceRecordSchema.parse(v));
  const scored = new Map(parseJsonl(files.get('scored.jsonl'), (v) => ScoredRunSchema.parse(v)).map((r) => [r.run_id, r]));
  const byRun = new Map<string, EvidenceRecord[]>();
  for (const e of evidence) {
    const list = byRun.get(e.run_id);
    if (list === undefined) byRun.set(e.run_id, [e]);
    else list.push(e);
  }
  const docs: IndexDocument[] = [];
  for (const [runId, records] of byRun) {
    const run = scored.get(runId);
    const category = run?.category ?? null;
    const taskType = run?.task_type ?? records[0]?.task_type ?? null;
    const models = sorted(records.flatMap((e) => (e.model_name === null ? [] : [e.model_name])));
    const touched = sorted(records.flatMap((e) => e.source_files));
    const facts = runFacts(run, records);
    const base = { source_oid: sourceOid, committed_at: committedAt, run_id: runId, category, task_type: taskType, models, files: touched, facts };
    const where = touched.length === 0 ? '' : ` on ${touched.slice(0, 3).join(', ')}${touched.length > 3 ? ` (+${touched.length - 3})` : ''}`;
    docs.push(
      finishDoc({
        ...base,
        doc_id: `evidence:${sourceOid}:${runId}`,
        kind: 'evidence',
        title: `${category ?? 'unscored'} ${taskType ?? 'run'} ${runId}${where}`,
        text: [taskType ?? '', touched.join(' '), subject, ...records.flatMap(evidenceLines)].filter((p) => p !== '').join('\n'),
      }),
    );
    if (category === 'rejected') {
      docs.push(
        finishDoc({
          ...base,
          doc_id: `failure:${sourceOid}:${runId}`,
          kind: 'failure',
          title: `rejected ${taskType ?? 'run'} ${runId}${where}`,
          text: [
            touched.join(' '),
            ...(facts.override_reason === null ? [] : [`rejected by a person: ${facts.override_reason}`]),
            ...facts.reasons,
            ...facts.failure_markers.map((m) => `failed: ${m}`),
            ...facts.failed_validations.map((v) => `validation failed: ${v}`),
          ]
            .filter((p) => p !== '')
            .join('\n'),
        }),
      );
    }
    for (const e of records.filter(isLesson)) {
      const text = [e.output_text ?? '', e.input_text ?? ''].filter((t) => t !== '').join('\n');
      if (text === '') continue;
      docs.push(
        finishDoc({
          ...base,
          files: sorted(e.source_files.length > 0 ? e.source_files : touched),
          doc_id: `lesson:${e.evidence_id}`,
          kind: 'lesson',
          title: `lesson (${e.source_format.replace('lakehouse:', '')}) from ${runId}`,
          text,
        }),
      );
    }
  }
  return docs.sort((a, b) => (a.doc_id < b.doc_id ? -1 : a.doc_id > b.doc_id ? 1 : 0));
}

/** The document of one `playbooks/<id>.json` file. */
export function buildPlaybookDocument(bytes: Uint8Array): IndexDocument {
  const p: Playbook = PlaybookSchema.parse(JSON.parse(decoder.decode(bytes)));
  return finishDoc({
    doc_id: `playbook:${p.playbook_id}`,
    kind: 'playbook',
    source_oid: null,
    committed_at: null,
    run_id: null,
    category: p.status,
    task_type: p.task_type,
    models: sorted(p.model_routing_path),
    files: sorted(p.repo_files_touched),
    title: `playbook ${p.playbook_id} (${p.status}): ${clip(p.problem_pattern, 80)}`,
    text: [
      p.task_type,
      p.problem_pattern,
      p.repo_files_touched.join(' '),
      ...p.useful_context,
      ...p.commands_worked.map((c) => `worked: ${c}`),
      ...p.commands_failed.map((c) => `failed: ${c}`),
      ...p.validation_steps.map((v) => `validate: ${v}`),
      ...(p.recovery_strategy === null ? [] : [`recovery: ${p.recovery_strategy}`]),
      ...p.known_failure_modes.map((m) => `failure mode: ${m}`),
      ...p.acceptance_criteria.map((c) => `done when: ${c}`),
    ].join('\n'),
    facts: null,
  });
}

// Candidate rows of every export kind from scored runs, their evidence and the playbooks; pure. Curation and validation come after.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import type { TextRedactor } from '../collect/finalize.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { Playbook } from '../../schemas/playbook.ts';
import type { Provenance } from '../../schemas/provenance.ts';
import type { ScoreCategory, ScoredRun } from '../../schemas/scored-run.ts';
import type { PreferenceOrigin } from '../../schemas/preference-sample.ts';
import { parseConsensusVotes, type ConsensusVote } from '../collect/adapters/lakehouse/audit-streams.ts';
import { buildConversation as buildConversationUncached, compareEvidence, type Conversation, type Turn } from './conversation.ts';
import { buildTools, hasParallelToolCalls, renderOpenAiMessage, renderTrlAssistant, renderTrlMessage } from './render-messages.ts';
import type { RowFormat, SidecarRow } from './validate.ts';

/** One scored run with its evidence, as read from the distill branch. */
export interface ExportRun {
  run: ScoredRun;
  evidence: EvidenceRecord[];
  /** The source commit whose folder holds the run. */
  source_oid: string;
}

export type ExportFormat = 'trl' | 'openai';

/** A row before curation: what it is, where it came from, and the bytes-to-be. */
export interface Candidate {
  format: RowFormat;
  /** sha256 of the canonical JSON of the row's content. */
  id: string;
  /** The task group that decides the split. */
  group: string;
  /** The latest start among the runs the row draws on: the earliest row of a duplicate cluster survives (see curate.ts). */
  time: string;
  /** The content compared for duplicates. */
  text: string;
  runs: Array<{ run_id: string; category: ScoreCategory }>;
  row: unknown;
  /** The provenance line of an OpenAI row (line number filled in when written); null for formats that carry their own. */
  sidecar: Omit<SidecarRow, 'line'> | null;
}

/** Why a run yields no row of a kind: the receipt counts `skipped:<code>`, its warnings carry the reason. */
export type SkipCode =
  | 'no_assistant_turn'
  | 'no_user_turn'
  | 'no_ordering'
  | 'no_shared_prompt'
  | 'parts_before_user_turn'
  | 'openai_multi_message'
  | 'no_context'
  | 'playbook_without_run'
  | 'consensus_no_claim'
  | 'consensus_unreadable'
  | 'consensus_no_majority'
  | 'consensus_no_minority'
  | 'consensus_resolution_disagrees';

/** A run that yields no row of a kind, and why: counted in the receipt, never silently dropped. */
export interface Skip {
  run_id: string;
  code: SkipCode;
  reason: string;
}

/** Redact every string of the turns again with the project's redactor (the store's texts were redacted at ingest). */
export function redactTurns(turns: readonly Turn[], redact: TextRedactor, counts: Map<string, number>): Turn[] {
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, counts);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  return turns.map((t) => {
    if (t.role === 'assistant') {
      return { ...t, content: redact(t.content, counts), tool_calls: t.tool_calls.map((c) => ({ ...c, arguments: deep(c.arguments) as Record<string, unknown> })) };
    }
    return { ...t, content: redact(t.content, counts) };
  });
}

/** Every kind reads the same runs: build each run's conversation once (a pure function of the evidence array, so caching cannot change a byte). */
const conversations = new WeakMap<readonly EvidenceRecord[], Conversation>();
function buildConversation(evidence: readonly EvidenceRecord[]): Conversation {
  let conv = conversations.get(evidence);
  if (conv === undefined) {
    conv = buildConversationUncached(evidence);
    conversations.set(evidence, conv);
  }
  return conv;
}

interface Split {
  prompt: Turn[];
  completion: Extract<Turn, { role: 'assistant' }>;
  all: Turn[];
}

/** The prompt (every turn before the final assistant turn) and that turn; a Skip when the run has no such pair. */
function splitRun(r: ExportRun, redact: TextRedactor, counts: Map<string, number>): Split | Skip {
  const conv = buildConversation(r.evidence);
  if (conv.final === null) return { run_id: r.run.run_id, code: 'no_assistant_turn', reason: 'no assistant turn in the run' };
  const turns = redactTurns(conv.turns.slice(0, conv.final + 1), redact, counts);
  const completion = turns[turns.length - 1] as Extract<Turn, { role: 'assistant' }>;
  const prompt = turns.slice(0, -1);
  if (!prompt.some((t) => t.role === 'user')) return { run_id: r.run.run_id, code: 'no_user_turn', reason: 'no user turn before the final assistant turn: the log keeps no prompt for it' };
  return { prompt, completion, all: turns };
}

const isSkip = (v: Split | Skip): v is Skip => 'code' in v;

/** When a run started: its earliest evidence timestamp, "" when none has one (such runs sort first). */
const starts = new WeakMap<readonly EvidenceRecord[], string>();
function startOf(r: ExportRun): string {
  let start = starts.get(r.evidence);
  if (start === undefined) {
    start = '';
    for (const e of r.evidence) if (e.timestamp !== null && (start === '' || e.timestamp < start)) start = e.timestamp;
    starts.set(r.evidence, start);
  }
  return start;
}

/** Text of the turns for duplicate detection: roles, contents and calls in order. */
function turnsText(turns: readonly Turn[]): string {
  return turns
    .map((t) => (t.role === 'assistant' ? `${t.role}: ${t.content} ${t.tool_calls.map((c) => `${c.name}(${canonicalJson(c.arguments)})`).join(' ')}` : `${t.role}: ${t.content}`))
    .join('\n');
}

const provenanceOf = (turns: readonly Turn[]): Provenance[] => {
  const seen = new Map<string, Provenance>();
  for (const t of turns) seen.set(`${t.provenance.source_file}\0${t.provenance.line_offset}\0${t.provenance.pointer ?? ''}`, t.provenance);
  return [...seen.values()];
};

/** SFT: one row per run scored accepted, and nothing from any other run (DESIGN invariant 4). */
export function buildSftCandidates(runs: readonly ExportRun[], format: ExportFormat, redact: TextRedactor, counts: Map<string, number>): { candidates: Candidate[]; skips: Skip[] } {
  const candidates: Candidate[] = [];
  const skips: Skip[] = [];
  for (const r of runs) {
    if (r.run.category !== 'accepted') continue;
    const s = splitRun(r, redact, counts);
    if (isSkip(s)) {
      skips.push(s);
      continue;
    }
    const tools = buildTools(s.all);
    const base = { group: r.run.task_id, time: startOf(r), text: turnsText(s.all), runs: [{ run_id: r.run.run_id, category: r.run.category }] };
    if (format === 'trl') {
      const prompt = s.prompt.map(renderTrlMessage);
      const completion = [renderTrlAssistant(s.completion)];
      const id = sha256Hex(canonicalJson({ prompt, completion, tools }));
      const row = {
        schema_version: 1,
        id,
        prompt,
        completion,
        ...(tools.length > 0 ? { tools } : {}),
        run_id: r.run.run_id,
        task_type: r.run.task_type,
        category: r.run.category,
        provenance: s.completion.provenance,
      };
      candidates.push({ ...base, format: 'sft-trl', id, row, sidecar: null });
    } else {
      const messages = [...s.prompt.map((t) => renderOpenAiMessage(t, t.role === 'assistant' ? 0 : null)), renderOpenAiMessage(s.completion, 1)];
      const row = { messages, ...(tools.length > 0 ? { tools, parallel_tool_calls: hasParallelToolCalls(s.all) } : {}) };
      const id = sha256Hex(canonicalJson(row));
      candidates.push({
        ...base,
        format: 'sft-openai',
        id,
        row,
        sidecar: { id, run_ids: [r.run.run_id], categories: [r.run.category], task_type: r.run.task_type, provenance: provenanceOf(s.all) },
      });
    }
  }
  return { candidates, skips };
}

/** KTO: accepted runs are desirable (label true), rejected runs undesirable (false); TRL's unpaired preference shape. */
export function buildKtoCandidates(runs: readonly ExportRun[], redact: TextRedactor, counts: Map<string, number>): { candidates: Candidate[]; skips: Skip[] } {
  const candidates: Candidate[] = [];
  const skips: Skip[] = [];
  for (const r of runs) {
    if (r.run.category !== 'accepted' && r.run.category !== 'rejected') continue;
    const s = splitRun(r, redact, counts);
    if (isSkip(s)) {
      skips.push(s);
      continue;
    }
    const tools = buildTools(s.all);
    const prompt = s.prompt.map(renderTrlMessage);
    const completion = [renderTrlAssistant(s.completion)];
    const label = r.run.category === 'accepted';
    const id = sha256Hex(canonicalJson({ prompt, completion, tools, label }));
    const row = {
      schema_version: 1,
      id,
      prompt,
      completion,
      ...(tools.length > 0 ? { tools } : {}),
      label,
      run_id: r.run.run_id,
      task_type: r.run.task_type,
      category: r.run.category,
      provenance: s.completion.provenance,
    };
    // The label is part of the text: the same completion accepted once and rejected once is not a duplicate.
    candidates.push({ format: 'kto-trl', id, group: r.run.task_id, time: startOf(r), text: `label:${label}\n${turnsText(s.all)}`, runs: [{ run_id: r.run.run_id, category: r.run.category }], row, sidecar: null });
  }
  return { candidates, skips };
}

function overrideRecord(r: ExportRun): EvidenceRecord | null {
  const all = r.evidence.filter((e) => e.human_override !== null).sort(compareEvidence);
  return all[all.length - 1] ?? null;
}

/** Why `chosen` beats `rejected`, and where that judgement came from; null when neither an override nor a retry says so. */
function pairOrigin(chosen: ExportRun, rejected: ExportRun): { origin: PreferenceOrigin; reason: string; decided_by: Provenance[] } | null {
  for (const [run, decision] of [
    [chosen, 'accept'],
    [rejected, 'reject'],
  ] as const) {
    const o = overrideRecord(run);
    if (o !== null && o.human_override?.decision === decision) {
      const by = o.human_override.by === '' ? 'a reviewer' : o.human_override.by;
      const why = o.human_override.reason === '' ? 'no reason given' : o.human_override.reason;
      return { origin: 'human_override', reason: `human override: ${by} decided ${decision} on ${run.run.run_id}: ${why}`, decided_by: [o.provenance] };
    }
  }
  if (startOf(rejected) < startOf(chosen)) {
    const why = rejected.run.reasons[0]?.detail ?? rejected.run.reasons[0]?.rule_id ?? 'rejected';
    return { origin: 'retry', reason: `attempt ${rejected.run.run_id} was rejected (${why}); the later attempt ${chosen.run.run_id} on the same task was accepted`, decided_by: [] };
  }
  return null;
}

/** Where two conversations part: the turns both hold (the prompt) and each one's own turns from there. */
interface Fork {
  prompt: Turn[];
  a: Turn[];
  b: Turn[];
}

/** A turn as a trainer sees it (no call ids, no provenance): two runs share a turn when these are equal. */
const turnKey = (t: Turn): string => canonicalJson(renderTrlMessage(t));

/**
 * The prompt two runs share and each run's continuation. The prompt is their longest common prefix, cut
 * back to where the next turn of both is the model's (an assistant turn) and it holds a user turn; so a
 * continuation always starts with the model's own output and never carries the other run's steps. When
 * the runs part before a later user turn, a continuation would hold a user's words: no pair.
 */
function forkConversations(a: readonly Turn[], b: readonly Turn[]): Fork | Omit<Skip, 'run_id'> {
  let common = 0;
  while (common < a.length && common < b.length && turnKey(a[common]!) === turnKey(b[common]!)) common++;
  let cut = Math.min(common, a.length - 1, b.length - 1);
  while (cut > 0 && !(a[cut]!.role === 'assistant' && b[cut]!.role === 'assistant' && a[cut - 1]!.role !== 'assistant')) cut--;
  if (cut === 0 || !a.slice(0, cut).some((t) => t.role === 'user')) {
    return { code: 'no_shared_prompt', reason: 'the two runs share no prompt: they differ before their first answer' };
  }
  const fork = { prompt: a.slice(0, cut), a: a.slice(cut), b: b.slice(cut) };
  if (fork.a.some((t) => t.role === 'user') || fork.b.some((t) => t.role === 'user')) {
    return { code: 'parts_before_user_turn', reason: 'the runs part before a later user turn, so the two answers reply to different conversations' };
  }
  return fork;
}

/** A preference pair before rendering: the shared prompt, each side's turns, and why and from where. */
interface Pair {
  prompt: Turn[];
  chosen: Turn[];
  rejected: Turn[];
  origin: PreferenceOrigin;
  reason: string;
  chosen_run_id: string;
  rejected_run_id: string;
  categories: [ScoreCategory, ScoreCategory];
  /** The stored runs the row draws on (counted by category in the receipt). */
  runs: Candidate['runs'];
  task_type: string;
  group: string;
  time: string;
  provenance: Provenance[];
}

/** A pair as a TRL or OpenAI row; OpenAI takes exactly one assistant message per output, so longer sides are a Skip. */
function renderPair(p: Pair, format: ExportFormat): Candidate | Skip {
  const all = [...p.prompt, ...p.chosen, ...p.rejected];
  const tools = buildTools(all);
  const text = `${turnsText(p.prompt)}\nchosen: ${turnsText(p.chosen)}\nrejected: ${turnsText(p.rejected)}`;
  const base = { group: p.group, time: p.time, text, runs: p.runs };
  if (format === 'trl') {
    const prompt = p.prompt.map(renderTrlMessage);
    const chosen = p.chosen.map(renderTrlMessage);
    const rejected = p.rejected.map(renderTrlMessage);
    const id = sha256Hex(canonicalJson({ prompt, chosen, rejected, tools }));
    const row = {
      schema_version: 1,
      id,
      prompt,
      chosen,
      rejected,
      ...(tools.length > 0 ? { tools } : {}),
      reason: p.reason,
      origin: p.origin,
      chosen_run_id: p.chosen_run_id,
      rejected_run_id: p.rejected_run_id,
      task_type: p.task_type,
      provenance: p.provenance,
    };
    return { ...base, format: 'preference-trl', id, row, sidecar: null };
  }
  if (p.chosen.length !== 1 || p.rejected.length !== 1) {
    return {
      run_id: p.rejected_run_id,
      code: 'openai_multi_message',
      reason: `the runs part over ${p.chosen.length} message${p.chosen.length === 1 ? '' : 's'} (${p.chosen_run_id}) and ${p.rejected.length} (${p.rejected_run_id}); OpenAI takes exactly one assistant message per output`,
    };
  }
  const input = { messages: p.prompt.map((t) => renderOpenAiMessage(t, null)), ...(tools.length > 0 ? { tools, parallel_tool_calls: hasParallelToolCalls(all) } : {}) };
  const row = { input, preferred_output: [renderOpenAiMessage(p.chosen[0]!, null)], non_preferred_output: [renderOpenAiMessage(p.rejected[0]!, null)] };
  const id = sha256Hex(canonicalJson(row));
  const sidecar = { id, run_ids: [p.chosen_run_id, p.rejected_run_id], categories: p.categories, task_type: p.task_type, provenance: p.provenance };
  return { ...base, format: 'preference-openai', id, row, sidecar };
}

/** A vote as the answer of one verifier: its verdict, then why. */
const voteAnswer = (v: ConsensusVote): string => (v.reason === null || v.reason === '' ? v.verdict : `${v.verdict} — ${v.reason}`);
const normalizeVerdict = (verdict: string): string => verdict.trim().toLowerCase();

/**
 * Pairs from one consensus split (an audit_discrepancies record): the majority's answer is chosen over
 * each minority vote. The verifiers' own prompt is not logged, so the user turn is rebuilt from the
 * claim the record names (origin `consensus_split` marks every such row). The two sides are two voters'
 * calls folded into one stored record: their ids are `<run_id>#vote-<n>:<voter>`, always different.
 */
function buildConsensusPairs(r: ExportRun, e: EvidenceRecord, redact: TextRedactor, counts: Map<string, number>): Array<Pair | Skip> {
  const skip = (code: SkipCode, reason: string): Skip[] => [{ run_id: r.run.run_id, code, reason: `consensus split ${e.task_id}: ${reason}` }];
  const claim = e.input_text ?? '';
  if (!/\S/.test(claim)) return skip('consensus_no_claim', 'the record does not say which claim was disputed');
  const parsed = parseConsensusVotes(e.output_text ?? '');
  if (parsed === null) return skip('consensus_unreadable', 'its votes are not in the shape the adapter writes (capped when stored?)');
  const { votes, resolution } = parsed;
  const tally = new Map<string, number>();
  for (const v of votes) tally.set(normalizeVerdict(v.verdict), (tally.get(normalizeVerdict(v.verdict)) ?? 0) + 1);
  const majority = [...tally].find(([, n]) => n * 2 > votes.length)?.[0];
  if (majority === undefined) return skip('consensus_no_majority', `no verdict has a majority of the ${votes.length} votes`);
  const numbered = votes.map((v, i) => ({ v, i }));
  const minority = numbered.filter(({ v }) => normalizeVerdict(v.verdict) !== majority);
  if (minority.length === 0) return skip('consensus_no_minority', `all ${votes.length} votes say ${majority}`);
  const resolved = resolution === null ? null : normalizeVerdict(resolution.split(/[\s(,;:]/)[0] ?? '');
  if (resolved !== null && resolved !== majority && tally.has(resolved)) return skip('consensus_resolution_disagrees', `resolved as ${resolved} against the majority ${majority}`);
  const winners = numbered.filter(({ v }) => normalizeVerdict(v.verdict) === majority);
  const chosen = winners.find(({ v }) => v.reason !== null && v.reason !== '') ?? winners[0]!;
  const voteId = ({ v, i }: { v: ConsensusVote; i: number }) => `${r.run.run_id}#vote-${i + 1}:${v.voter}`;
  const prompt: Turn[] = [{ role: 'user', content: redact(`Is this claim true of the change under review? Give your verdict and why.\n\nClaim: ${claim}`, counts), provenance: e.provenance }];
  const answer = (x: { v: ConsensusVote }): Turn[] => [{ role: 'assistant', content: redact(voteAnswer(x.v), counts), tool_calls: [], provenance: e.provenance }];
  const majorityVoters = winners.map(({ v }) => v.voter).join(', ');
  return minority.map((loser) => ({
    prompt,
    chosen: answer(chosen),
    rejected: answer(loser),
    origin: 'consensus_split' as const,
    reason: redact(
      `consensus split: ${winners.length} of ${votes.length} verifiers (${majorityVoters}) voted ${majority}, ${loser.v.voter} voted ${loser.v.verdict}; ` +
        `resolution: ${resolution ?? 'none recorded'}; the prompt is rebuilt from the record's claim (the verifiers' own prompt is not logged)`,
      counts,
    ),
    chosen_run_id: voteId(chosen),
    rejected_run_id: voteId(loser),
    categories: [r.run.category, r.run.category],
    runs: [{ run_id: r.run.run_id, category: r.run.category }],
    task_type: e.task_type,
    group: e.task_id,
    time: startOf(r),
    provenance: [e.provenance],
  }));
}

/**
 * Preference pairs per task: each rejected run against the earliest accepted run of the same task_id that
 * something orders against it (an override on either side, or a retry: the accepted run started later).
 * The earliest, so runs that start later never replace an existing pair. The prompt is what both runs saw;
 * chosen and rejected are each run's own continuation from there, and always come from two different runs.
 * And from every consensus split, whatever its run's category, the majority's answer over each minority's.
 */
export function buildPreferenceCandidates(runs: readonly ExportRun[], format: ExportFormat, redact: TextRedactor, counts: Map<string, number>): { candidates: Candidate[]; skips: Skip[] } {
  const candidates: Candidate[] = [];
  const skips: Skip[] = [];
  const add = (c: Candidate | Skip) => {
    if ('code' in c) skips.push(c);
    else candidates.push(c);
  };
  for (const r of runs) {
    for (const e of [...r.evidence].sort(compareEvidence)) {
      if (e.kind !== 'consensus') continue;
      for (const p of buildConsensusPairs(r, e, redact, counts)) add('code' in p ? p : renderPair(p, format));
    }
  }
  const byTask = new Map<string, ExportRun[]>();
  for (const r of runs) {
    const list = byTask.get(r.run.task_id) ?? [];
    list.push(r);
    byTask.set(r.run.task_id, list);
  }
  for (const task of [...byTask.keys()].sort()) {
    const list = byTask.get(task)!.sort((a, b) => (startOf(a) < startOf(b) ? -1 : startOf(a) > startOf(b) ? 1 : a.run.run_id < b.run.run_id ? -1 : 1));
    const accepted = list.filter((r) => r.run.category === 'accepted');
    const rejected = list.filter((r) => r.run.category === 'rejected');
    if (accepted.length === 0 || rejected.length === 0) continue;
    for (const rej of rejected) {
      const rejectedByOverride = overrideRecord(rej)?.human_override?.decision === 'reject';
      const chosen = accepted.find((a) => rejectedByOverride || overrideRecord(a)?.human_override?.decision === 'accept' || startOf(a) > startOf(rej));
      const origin = chosen === undefined ? null : pairOrigin(chosen, rej);
      if (chosen === undefined || origin === null) {
        skips.push({ run_id: rej.run.run_id, code: 'no_ordering', reason: `no override or retry orders it against an accepted run of task ${task}` });
        continue;
      }
      const c = splitRun(chosen, redact, counts);
      const x = splitRun(rej, redact, counts);
      if (isSkip(c) || isSkip(x)) {
        skips.push(isSkip(c) ? c : (x as Skip));
        continue;
      }
      const fork = forkConversations(c.all, x.all);
      if ('code' in fork) {
        skips.push({ run_id: rej.run.run_id, ...fork });
        continue;
      }
      add(
        renderPair(
          {
            prompt: fork.prompt,
            chosen: fork.a,
            rejected: fork.b,
            origin: origin.origin,
            reason: redact(origin.reason, counts),
            chosen_run_id: chosen.run.run_id,
            rejected_run_id: rej.run.run_id,
            categories: [chosen.run.category, rej.run.category],
            runs: [
              { run_id: chosen.run.run_id, category: chosen.run.category },
              { run_id: rej.run.run_id, category: rej.run.category },
            ],
            task_type: chosen.run.task_type,
            group: task,
            time: startOf(chosen) > startOf(rej) ? startOf(chosen) : startOf(rej),
            provenance: [...provenanceOf([...c.all, ...x.all]), ...origin.decided_by],
          },
          format,
        ),
      );
    }
  }
  return { candidates, skips };
}

/** Cut text at paragraph, then line, then word boundaries into pieces of at most `max` characters. */
export function chunkText(text: string, max: number): string[] {
  const out: string[] = [];
  const push = (piece: string) => {
    if (/\S/.test(piece)) out.push(piece.trim());
  };
  const cut = (piece: string, seps: readonly string[]) => {
    if (piece.length <= max) return push(piece);
    const [sep, ...rest] = seps;
    if (sep === undefined) {
      for (let i = 0; i < piece.length; i += max) push(piece.slice(i, i + max));
      return;
    }
    let current = '';
    for (const part of piece.split(sep)) {
      const next = current === '' ? part : current + sep + part;
      if (next.length <= max) {
        current = next;
        continue;
      }
      if (current !== '') push(current);
      if (part.length > max) {
        cut(part, rest);
        current = '';
      } else current = part;
    }
    if (current !== '') push(current);
  };
  cut(text, ['\n\n', '\n', ' ']);
  return out;
}

const RAG_KINDS = new Set(['fact', 'analysis', 'review']);

/** Chunks of accepted and partially accepted knowledge: facts, lessons, reviews, scratchpad summaries, final answers, and playbooks. */
export function buildRagCandidates(
  runs: readonly ExportRun[],
  playbooks: readonly Playbook[],
  chunkChars: number,
  redact: TextRedactor,
  counts: Map<string, number>,
): { candidates: Candidate[]; skips: Skip[] } {
  const candidates: Candidate[] = [];
  const skips: Skip[] = [];
  const add = (r: ExportRun, text: string, tags: string[], provenance: Provenance) => {
    const category = r.run.category;
    if (category !== 'accepted' && category !== 'partially_accepted') return;
    for (const piece of chunkText(redact(text, counts), chunkChars)) {
      const id = sha256Hex(piece);
      const task_tags = [...new Set([r.run.task_type, `task:${r.run.task_id}`, ...tags])].sort();
      const row = { schema_version: 1, id, text: piece, task_tags, category, run_id: r.run.run_id, provenance };
      candidates.push({ format: 'rag-chunk', id, group: r.run.task_id, time: startOf(r), text: piece, runs: [{ run_id: r.run.run_id, category }], row, sidecar: null });
    }
  };
  const byRun = new Map<string, ExportRun>();
  for (const r of runs) {
    byRun.set(r.run.run_id, r);
    if (r.run.category !== 'accepted' && r.run.category !== 'partially_accepted') continue;
    for (const e of [...r.evidence].sort(compareEvidence)) {
      if (RAG_KINDS.has(e.kind) && e.output_text !== null && /\S/.test(e.output_text)) add(r, e.output_text, [`kind:${e.kind}`, `source:${e.source_format}`], e.provenance);
      if (e.scratchpad_summary !== null && /\S/.test(e.scratchpad_summary)) add(r, e.scratchpad_summary, ['kind:scratchpad'], e.provenance);
    }
    const conv = buildConversation(r.evidence);
    const final = conv.final === null ? null : conv.turns[conv.final];
    if (final !== null && final !== undefined && /\S/.test(final.content)) add(r, final.content, ['kind:answer'], final.provenance);
  }
  for (const p of [...playbooks].sort((a, b) => (a.playbook_id < b.playbook_id ? -1 : 1))) {
    if (p.status === 'retired') continue;
    const source = [...p.source_run_ids].sort().map((id) => byRun.get(id)).find((r) => r !== undefined && (r.run.category === 'accepted' || r.run.category === 'partially_accepted') && r.evidence.length > 0);
    if (source === undefined) {
      skips.push({ run_id: p.source_run_ids[0]!, code: 'playbook_without_run', reason: `playbook ${p.playbook_id}: none of its source runs is an accepted or partially accepted run of the exported history` });
      continue;
    }
    add(source, renderPlaybookText(p), [`kind:playbook`, `playbook:${p.playbook_id}`, `status:${p.status}`], [...source.evidence].sort(compareEvidence)[0]!.provenance);
  }
  return { candidates, skips };
}

/** A playbook as retrievable text: the fields a reader acts on, one labelled block each. */
export function renderPlaybookText(p: Playbook): string {
  const list = (label: string, items: readonly string[]) => (items.length === 0 ? [] : [`${label}:`, ...items.map((i) => `- ${i}`)]);
  return [
    `Playbook ${p.playbook_id} (${p.task_type}, ${p.status})`,
    `Problem: ${p.problem_pattern}`,
    ...list('Useful context', p.useful_context),
    ...list('Commands that worked', p.commands_worked),
    ...list('Commands that failed', p.commands_failed),
    ...list('Validation steps', p.validation_steps),
    ...list('Files touched', p.repo_files_touched),
    ...(p.recovery_strategy === null ? [] : [`Recovery: ${p.recovery_strategy}`]),
    ...list('Known failure modes', p.known_failure_modes),
    ...list('Acceptance criteria', p.acceptance_criteria),
  ].join('\n');
}

/**
 * The Ragas eval set: per accepted run, the last question before its answer, the contexts the run
 * retrieved (else its own knowledge chunks), and the accepted answer as reference. No `response`: the
 * system under test writes it, so a response metric measures that system, not the run's own answer.
 */
export function buildRagEvalCandidates(runs: readonly ExportRun[], chunks: readonly Candidate[], redact: TextRedactor, counts: Map<string, number>): { candidates: Candidate[]; skips: Skip[] } {
  const candidates: Candidate[] = [];
  const skips: Skip[] = [];
  const chunksByRun = new Map<string, string[]>();
  for (const c of chunks) {
    const row = c.row as { run_id: string; text: string; task_tags: string[] };
    if (row.task_tags.includes('kind:answer')) continue; // the answer is not a context for itself
    const list = chunksByRun.get(row.run_id) ?? [];
    list.push(row.text);
    chunksByRun.set(row.run_id, list);
  }
  for (const r of runs) {
    if (r.run.category !== 'accepted') continue;
    const s = splitRun(r, redact, counts);
    if (isSkip(s)) {
      skips.push(s);
      continue;
    }
    const final = s.completion;
    const question = [...s.prompt].reverse().find((t) => t.role === 'user')!;
    if (!/\S/.test(final.content)) {
      skips.push({ run_id: r.run.run_id, code: 'no_assistant_turn', reason: 'the run ends on tool calls, with no answer to use as the reference' });
      continue;
    }
    const retrieved = [...new Set(r.evidence.flatMap((e) => e.retrieved_context).filter((t) => /\S/.test(t)).map((t) => redact(t, counts)))];
    const contexts = retrieved.length > 0 ? retrieved : (chunksByRun.get(r.run.run_id) ?? []);
    if (contexts.length === 0) {
      skips.push({ run_id: r.run.run_id, code: 'no_context', reason: 'no retrieved context and no knowledge chunk to stand for one' });
      continue;
    }
    const body = { user_input: question.content, retrieved_contexts: contexts, reference: final.content };
    const id = sha256Hex(canonicalJson(body));
    const row = { schema_version: 1, id, user_input: question.content, retrieved_contexts: contexts, reference: final.content, run_id: r.run.run_id, task_type: r.run.task_type, provenance: final.provenance };
    candidates.push({ format: 'rag-eval', id, group: r.run.task_id, time: startOf(r), text: `${question.content}\n${final.content}`, runs: [{ run_id: r.run.run_id, category: r.run.category }], row, sidecar: null });
  }
  return { candidates, skips };
}

// Optional LLM refinement of a deterministic scratchpad summary (OpenAI-compatible /v1/chat/completions); any failure leaves the deterministic summary.
import { z } from 'zod';
import { ScratchpadSummarySchema, ValidationStatusSchema, type ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';

export interface LlmProvider {
  /** Base URL; `/v1/chat/completions` is appended (a trailing `/v1` or slash is tolerated). */
  url: string;
  model: string;
  timeout_ms: number;
  /** Bearer token, read by the caller from the environment variable the config names; null sends none. */
  api_key: string | null;
}

/** Injected so the stage makes no network call of its own. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<Response>;

export interface RefineOutcome {
  summary: ScratchpadSummary;
  /** `refined`, or why the deterministic summary stands. */
  outcome: 'refined' | 'timeout' | 'http_error' | 'bad_response' | 'unreachable';
  detail: string;
}

/** Characters of the scratchpad sent; longer ones are cut (the summary already holds every item). */
const MAX_PROMPT_CHARS = 24_000;

const SYSTEM = [
  'You refine a summary of an AI agent scratchpad. Reply with one JSON object and nothing else, with keys:',
  'current_objective (string or null), decisions (string[]), unresolved_questions (string[]), next_command (string or null),',
  'validation_status ("passed" | "failed" | "partial" | "unknown": whether the work the scratchpad describes was validated).',
  'Use only what the scratchpad says. Do not invent steps; the completed, failed and pending steps are fixed.',
].join(' ');

/** What a refinement may change: the judgement fields. Steps and paths stay as parsed, so checkboxes always match. */
export const RefinementSchema = z.strictObject({
  current_objective: z.string().min(1).max(400).nullable(),
  decisions: z.array(z.string().min(1).max(400)).max(100),
  unresolved_questions: z.array(z.string().min(1).max(400)).max(100),
  next_command: z.string().min(1).max(400).nullable(),
  validation_status: ValidationStatusSchema,
});

export function chatCompletionsUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${trimmed}/v1/chat/completions`;
}

/** The exact request body: deterministic for the same summary and text (temperature 0, JSON mode). */
export function buildRefineRequest(provider: Pick<LlmProvider, 'model'>, summary: ScratchpadSummary, text: string): Record<string, unknown> {
  const { provenance: _p, source_scratchpad_hash: _h, schema_version: _v, ...parsed } = summary;
  return {
    model: provider.model,
    temperature: 0,
    response_format: { type: 'json_object' },
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: `Deterministic summary:\n${JSON.stringify(parsed)}\n\nScratchpad:\n${text.slice(0, MAX_PROMPT_CHARS)}` },
    ],
  };
}

/** The refined summary from a chat completion body, or an error string. */
export function applyRefineResponse(summary: ScratchpadSummary, body: unknown): ScratchpadSummary | string {
  const content = (body as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') return 'no choices[0].message.content string in the response';
  let value: unknown;
  try {
    value = JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    return 'the message content is not JSON';
  }
  const parsed = RefinementSchema.safeParse(value);
  if (!parsed.success) return `the refinement does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`;
  const refined = ScratchpadSummarySchema.safeParse({ ...summary, ...parsed.data });
  return refined.success ? refined.data : 'the refined summary fails ScratchpadSummarySchema';
}

/**
 * Ask the provider to refine `summary`. Absent, slow (past timeout_ms), an HTTP error or a reply that is not
 * the expected JSON: the deterministic summary stands, with validation_status `unknown`.
 */
export async function refineScratchpad(provider: LlmProvider, summary: ScratchpadSummary, text: string, fetchImpl: FetchLike): Promise<RefineOutcome> {
  const fallback = (outcome: RefineOutcome['outcome'], detail: string): RefineOutcome => ({ summary: { ...summary, validation_status: 'unknown' }, outcome, detail });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (provider.api_key !== null) headers['authorization'] = `Bearer ${provider.api_key}`;
  let response: Response;
  const signal = AbortSignal.timeout(provider.timeout_ms);
  try {
    response = await fetchImpl(chatCompletionsUrl(provider.url), { method: 'POST', headers, body: JSON.stringify(buildRefineRequest(provider, summary, text)), signal });
  } catch (err) {
    if (signal.aborted) return fallback('timeout', `no answer within ${provider.timeout_ms} ms`);
    return fallback('unreachable', (err as Error)?.message ?? String(err));
  }
  let body: unknown;
  try {
    if (!response.ok) return fallback('http_error', `HTTP ${response.status}`);
    body = await response.json();
  } catch (err) {
    return fallback(signal.aborted ? 'timeout' : 'bad_response', signal.aborted ? `no answer within ${provider.timeout_ms} ms` : 'the response body is not JSON');
  }
  const refined = applyRefineResponse(summary, body);
  return typeof refined === 'string' ? fallback('bad_response', refined) : { summary: refined, outcome: 'refined', detail: provider.model };
}

// Rows against the TRL and OpenAI format rules (keys, roles, tool calls, argument encoding), and the validators failing closed with reasons.
import { describe, expect, test } from 'bun:test';
import { buildExport, type BuiltExport } from './build-export.ts';
import { fixturePlan, makeLakehouseEvidence, scoreFixtureRuns, type RunSpec } from './export.fixture.ts';
import { validatePreferenceOpenAi, validatePreferenceTrl, validateRagEval, validateSftOpenAi, validateSftTrl } from './validate.ts';

const TOOL_RUNS: RunSpec[] = [
  {
    run_id: 'r-accepted',
    task_id: 'task-push',
    outcome: 'accept',
    prompt: 'push this repository to github',
    answer: 'Pushed main to origin; the remote is up to date.',
    tool: { name: 'Bash', input_summary: '{"command":"git push origin main","timeout":120000}', result: 'main -> main' },
    minute: 10,
  },
  { run_id: 'r-rejected', task_id: 'task-push', outcome: 'reject', prompt: 'push this repository to github', answer: 'I force-pushed over the remote main branch.', minute: 0 },
];

function rows(built: BuiltExport, path: string): Array<Record<string, unknown>> {
  return (built.files.get(path) ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

type Msg = Record<string, unknown> & { role: string };

describe('TRL conversational format', () => {
  const built = buildExport(scoreFixtureRuns(TOOL_RUNS), [], fixturePlan({ kinds: ['sft', 'preference'] }));

  test('an SFT row is prompt-completion with a tools column, tool-call arguments an object', () => {
    const [row] = rows(built, 'sft/instruction_response.jsonl');
    expect(Object.keys(row!).sort()).toEqual(['category', 'completion', 'id', 'prompt', 'provenance', 'run_id', 'schema_version', 'task_type', 'tools']);
    const prompt = row!.prompt as Msg[];
    const completion = row!.completion as Msg[];
    expect(prompt.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(completion.map((m) => m.role)).toEqual(['assistant']);
    expect(completion[0]!.content).toBe('Pushed main to origin; the remote is up to date.');
    const call = (prompt[1]!.tool_calls as Array<{ type: string; function: { name: string; arguments: unknown } }>)[0]!;
    expect(call.type).toBe('function');
    expect(call.function.name).toBe('Bash');
    // An object, with its values as the agent passed them: not a string, not a string of a string.
    expect(call.function.arguments).toEqual({ command: 'git push origin main', timeout: 120000 });
    expect(Object.keys(prompt[2]!).sort()).toEqual(['content', 'name', 'role']);
    expect(prompt[2]!.name).toBe('Bash');
    const tools = row!.tools as Array<{ function: { name: string; parameters: { properties: Record<string, { type: string }> } } }>;
    expect(tools.map((t) => t.function.name)).toEqual(['Bash']);
    expect(tools[0]!.function.parameters.properties).toEqual({ command: { type: 'string' }, timeout: { type: 'integer' } });
    expect(row!.category).toBe('accepted');
  });

  test('a DPO row has prompt, chosen, rejected, reason and both run ids', () => {
    const [row] = rows(built, 'preference/dpo.jsonl');
    expect(Object.keys(row!).sort()).toEqual(['chosen', 'chosen_run_id', 'id', 'origin', 'prompt', 'provenance', 'reason', 'rejected', 'rejected_run_id', 'schema_version', 'task_type', 'tools']);
    expect(row!.chosen_run_id).toBe('r-accepted');
    expect(row!.rejected_run_id).toBe('r-rejected');
    expect(row!.origin).toBe('retry');
    expect(row!.reason).toContain('r-rejected was rejected');
    expect((row!.rejected as Msg[]).map((m) => m.content)).toEqual(['I force-pushed over the remote main branch.']);
  });

  test("a DPO prompt is only what both runs saw; chosen and rejected are each run's own continuation", () => {
    const [row] = rows(built, 'preference/dpo.jsonl');
    // The rejected run never made the accepted run's tool call: it belongs to the chosen side, not to the prompt.
    expect(row!.prompt).toEqual([{ role: 'user', content: 'push this repository to github' }]);
    expect((row!.chosen as Msg[]).map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant']);
    expect((row!.chosen as Msg[]).at(-1)!.content).toBe('Pushed main to origin; the remote is up to date.');
    expect((row!.rejected as Msg[]).map((m) => m.role)).toEqual(['assistant']);
    expect(validatePreferenceTrl(row)).toBeNull();
    // A tool message on one side must answer a call on that side (or in the prompt), not one the other run made.
    const rejected = row!.rejected as Msg[];
    const stray = { ...row, rejected: [...rejected, (row!.chosen as Msg[])[1]!, ...rejected] };
    expect(validatePreferenceTrl(stray)).toContain('answers no earlier tool call');
  });

  test('identical steps before the runs part belong to the prompt', () => {
    const tool = { name: 'Bash', input_summary: '{"command":"git remote -v"}', result: 'origin git@github.com:acme/app.git' };
    const runs = scoreFixtureRuns([
      { run_id: 'r-rej', task_id: 't', outcome: 'reject', prompt: 'push this repository to github', answer: 'I force-pushed over main.', tool, minute: 0 },
      { run_id: 'r-acc', task_id: 't', outcome: 'accept', prompt: 'push this repository to github', answer: 'Pushed main to origin.', tool, minute: 10 },
    ]);
    const [row] = rows(buildExport(runs, [], fixturePlan({ kinds: ['preference'] })), 'preference/dpo.jsonl');
    expect((row!.prompt as Msg[]).map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(row!.chosen).toEqual([{ role: 'assistant', content: 'Pushed main to origin.' }]);
    expect(row!.rejected).toEqual([{ role: 'assistant', content: 'I force-pushed over main.' }]);
  });

  test('runs that part before a later user turn, or share no prompt, give no pair and are counted', () => {
    const runs = scoreFixtureRuns([
      { run_id: 'p-rej', task_id: 'p', outcome: 'reject', prompt: 'rename the flag', answer: 'Renamed it to --nope.', minute: 0 },
      { run_id: 'p-acc', task_id: 'p', outcome: 'accept', prompt: 'rename the --force flag to --yes', answer: 'Renamed --force to --yes.', minute: 5 },
    ]);
    const built = buildExport(runs, [], fixturePlan({ kinds: ['preference'] }));
    expect(built.files.has('preference/dpo.jsonl')).toBe(false);
    const receipt = JSON.parse(built.files.get('receipts/preference.json')!) as { record_counts: Record<string, number>; warnings: string[] };
    expect(receipt.record_counts['skipped:no_shared_prompt']).toBe(1);
    expect(receipt.warnings.join('\n')).toContain('skipped p-rej: no_shared_prompt:');
  });

  test('the validator refuses arguments that were encoded twice', () => {
    const [row] = rows(built, 'sft/instruction_response.jsonl');
    const prompt = structuredClone(row!.prompt) as Array<{ tool_calls?: Array<{ function: { arguments: unknown } }> }>;
    prompt[1]!.tool_calls![0]!.function.arguments = JSON.stringify({ command: 'git push origin main' });
    expect(validateSftTrl({ ...row, prompt })).toContain('arguments');
    prompt[1]!.tool_calls![0]!.function.arguments = { payload: JSON.stringify({ command: 'git push' }) };
    expect(validateSftTrl({ ...row, prompt })).toContain('encoded twice');
  });
});

describe('OpenAI fine-tuning format', () => {
  const built = buildExport(scoreFixtureRuns(TOOL_RUNS), [], fixturePlan({ kinds: ['sft', 'preference'], format: 'openai' }));
  const ALLOWED: Record<string, string[]> = {
    user: ['content', 'role'],
    tool: ['content', 'role', 'tool_call_id'],
    assistant: ['content', 'role', 'tool_calls', 'weight'],
  };

  test('a chat line holds only messages, tools and parallel_tool_calls; arguments are a JSON string parsed once to the object', () => {
    const lines = rows(built, 'sft/instruction_response.jsonl');
    const sidecar = rows(built, 'sft/instruction_response.provenance.jsonl');
    expect(lines.length).toBe(1);
    expect(sidecar.length).toBe(lines.length);
    const line = lines[0]!;
    expect(Object.keys(line).sort()).toEqual(['messages', 'parallel_tool_calls', 'tools']);
    const messages = line.messages as Msg[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    for (const m of messages) for (const k of Object.keys(m)) expect(ALLOWED[m.role]).toContain(k);
    expect(messages.filter((m) => 'weight' in m).every((m) => m.role === 'assistant')).toBe(true);
    expect(messages.map((m) => m.weight ?? null)).toEqual([null, 0, null, 1]);
    const call = (messages[1]!.tool_calls as Array<{ id: string; function: { arguments: unknown } }>)[0]!;
    expect(typeof call.function.arguments).toBe('string');
    const parsed: unknown = JSON.parse(call.function.arguments as string);
    expect(parsed).toEqual({ command: 'git push origin main', timeout: 120000 });
    expect(messages[2]!.tool_call_id).toBe(call.id);
    expect(sidecar[0]!.line).toBe(1);
    expect(sidecar[0]!.run_ids).toEqual(['r-accepted']);
    expect(sidecar[0]!.categories).toEqual(['accepted']);
    expect((sidecar[0]!.provenance as unknown[]).length).toBe(4);
  });

  test('the validator refuses extra keys, a tool message with no call, and arguments encoded twice', () => {
    const line = rows(built, 'sft/instruction_response.jsonl')[0]!;
    const side = rows(built, 'sft/instruction_response.provenance.jsonl')[0]!;
    expect(validateSftOpenAi(line, side)).toBeNull();
    expect(validateSftOpenAi({ ...line, run_id: 'r-accepted' }, side)).toContain('run_id');
    const messages = structuredClone(line.messages) as Array<Record<string, unknown> & { tool_calls?: Array<{ function: { arguments: string } }> }>;
    messages[1]!.tool_calls![0]!.function.arguments = JSON.stringify(JSON.stringify({ command: 'git push origin main' }));
    expect(validateSftOpenAi({ ...line, messages }, side)).toContain('encoded twice');
    const orphan = structuredClone(line.messages) as Array<Record<string, unknown>>;
    orphan[2]!.tool_call_id = 'call_nobody';
    expect(validateSftOpenAi({ ...line, messages: orphan }, side)).toContain('answers no earlier call');
  });

  test('a pair whose sides are not one assistant message each is skipped, with a counted reason', () => {
    // The accepted run called a tool before answering: its side is three messages, which OpenAI's format cannot hold.
    expect(built.files.has('preference/dpo.jsonl')).toBe(false);
    const receipt = JSON.parse(built.files.get('receipts/preference.json')!) as { record_counts: Record<string, number>; warnings: string[] };
    expect(receipt.record_counts['skipped:openai_multi_message']).toBe(1);
    expect(receipt.warnings).toEqual(['skipped r-rejected: openai_multi_message: the runs part over 3 messages (r-accepted) and 1 (r-rejected); OpenAI takes exactly one assistant message per output']);
  });

  test('a preference line is input / preferred_output / non_preferred_output with one assistant message each', () => {
    const tool = { name: 'Bash', input_summary: '{"command":"git remote -v"}', result: 'origin git@github.com:acme/app.git' };
    const pair = buildExport(
      scoreFixtureRuns([
        { run_id: 'r-rejected', task_id: 't', outcome: 'reject', prompt: 'push this repository to github', answer: 'I force-pushed over main.', tool, minute: 0 },
        { run_id: 'r-accepted', task_id: 't', outcome: 'accept', prompt: 'push this repository to github', answer: 'Pushed main to origin.', tool, minute: 10 },
      ]),
      [],
      fixturePlan({ kinds: ['preference'], format: 'openai' }),
    );
    const [line] = rows(pair, 'preference/dpo.jsonl');
    const [side] = rows(pair, 'preference/dpo.provenance.jsonl');
    expect(Object.keys(line!).sort()).toEqual(['input', 'non_preferred_output', 'preferred_output']);
    expect(Object.keys(line!.input as object).sort()).toEqual(['messages', 'parallel_tool_calls', 'tools']);
    expect(((line!.input as { messages: Msg[] }).messages).map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    for (const key of ['preferred_output', 'non_preferred_output']) {
      const out = line![key] as Msg[];
      expect(out.length).toBe(1);
      expect(out[0]!.role).toBe('assistant');
      expect('weight' in out[0]!).toBe(false);
    }
    expect(side!.run_ids).toEqual(['r-accepted', 'r-rejected']);
    expect(validatePreferenceOpenAi(line, side)).toBeNull();
    expect(validatePreferenceOpenAi({ ...line, non_preferred_output: line!.preferred_output }, side)).toContain('identical');
    expect(validatePreferenceOpenAi({ ...line, preferred_output: [...(line!.preferred_output as Msg[]), ...(line!.preferred_output as Msg[])] }, side)).toContain('exactly one assistant message');
    expect(validatePreferenceOpenAi(line, { ...side, run_ids: ['r-accepted', 'r-accepted'] })).toContain('two different runs');
  });
});

describe('consensus splits (audit_discrepancies)', () => {
  const head = 'f753e11c2a9d4b8e6f0a1b3c5d7e9f2a4b6c8d0e';
  const vote = (model: string, verdict: string, reasoning?: string) => ({ model, verdict, ...(reasoning === undefined ? {} : { reasoning }) });
  const splits = makeLakehouseEvidence('audit_discrepancies', [
    { pr_number: 41, head_sha: head, claim_idx: 2, claim: '48 tests passing in 502ms', resolution: 'fake (2 of 3)', votes: [vote('kimi-k2:1t', 'fake', 'only 46 test() calls'), vote('qwen3-coder:480b', 'verified', 'the PR body quotes the runner'), vote('gpt-oss:120b', 'fake', 'count mismatch')] },
    { pr_number: 41, head_sha: head, claim_idx: 3, claim: 'no new dependency', votes: [vote('a', 'fake'), vote('b', 'verified'), vote('c', 'partial')] },
    { pr_number: 41, head_sha: head, claim_idx: 4, claim: 'docs updated', resolution: 'verified by a person', votes: [vote('a', 'fake'), vote('b', 'verified'), vote('c', 'fake')] },
    { pr_number: 41, head_sha: head, claim_idx: 6, claim: 'lint passes', votes: [vote('a', 'verified'), vote('b', 'verified'), vote('c', 'verified')] },
  ]);
  const runs = scoreFixtureRuns([], splits);

  test('the majority answer is chosen over the minority, with the votes and resolution as the reason and the record as provenance', () => {
    const built = buildExport(runs, [], fixturePlan({ kinds: ['preference'] }));
    const all = rows(built, 'preference/dpo.jsonl').concat(rows(built, 'preference/dpo.validation.jsonl'), rows(built, 'preference/dpo.test.jsonl'));
    expect(all.length).toBe(1);
    const row = all[0]!;
    expect(row.origin).toBe('consensus_split');
    expect(row.prompt).toEqual([{ role: 'user', content: 'Is this claim true of the change under review? Give your verdict and why.\n\nClaim: 48 tests passing in 502ms' }]);
    expect(row.chosen).toEqual([{ role: 'assistant', content: 'fake — only 46 test() calls' }]);
    expect(row.rejected).toEqual([{ role: 'assistant', content: 'verified — the PR body quotes the runner' }]);
    expect(row.chosen_run_id).toBe('pr-41@f753e11c2a9d#vote-1:kimi-k2:1t');
    expect(row.rejected_run_id).toBe('pr-41@f753e11c2a9d#vote-2:qwen3-coder:480b');
    expect(row.task_type).toBe('pr_audit');
    expect(row.reason).toBe(
      "consensus split: 2 of 3 verifiers (kimi-k2:1t, gpt-oss:120b) voted fake, qwen3-coder:480b voted verified; resolution: fake (2 of 3); the prompt is rebuilt from the record's claim (the verifiers' own prompt is not logged)",
    );
    expect(row.provenance).toEqual([splits[0]!.provenance]);
    expect(validatePreferenceTrl(row)).toBeNull();
    // No majority, a resolution against the majority, no minority: no pair, each counted by reason.
    const receipt = JSON.parse(built.files.get('receipts/preference.json')!) as { record_counts: Record<string, number> };
    expect(receipt.record_counts['skipped:consensus_no_majority']).toBe(1);
    expect(receipt.record_counts['skipped:consensus_resolution_disagrees']).toBe(1);
    expect(receipt.record_counts['skipped:consensus_no_minority']).toBe(1);
  });

  test('as OpenAI lines: one assistant message per output, the two voters as the sidecar runs', () => {
    const built = buildExport(runs, [], fixturePlan({ kinds: ['preference'], format: 'openai' }));
    const path = [...built.files.keys()].find((p) => p.startsWith('preference/dpo') && !p.includes('provenance'))!;
    const [line] = rows(built, path);
    const [side] = rows(built, path.replace('.jsonl', '.provenance.jsonl'));
    expect(line!.preferred_output).toEqual([{ role: 'assistant', content: 'fake — only 46 test() calls' }]);
    expect(side!.run_ids).toEqual(['pr-41@f753e11c2a9d#vote-1:kimi-k2:1t', 'pr-41@f753e11c2a9d#vote-2:qwen3-coder:480b']);
    expect(validatePreferenceOpenAi(line, side)).toBeNull();
  });
});

describe('auditor-loop runs (mode_experiments)', () => {
  // The loop logs what a model answered, not what it was asked: such a run gives no chat row, and says why.
  const call = (run_id: string, prompt: string | null) => ({
    run_id,
    ts: '2026-04-25T14:02:11Z',
    task_class: 'scrum_review',
    mode: 'codereview_lakehouse',
    model: 'kimi-k2:1t',
    file_path: 'crates/vectord/src/pathway_memory.rs',
    sources: ['pathway_memory'],
    response: 'insert clones the whole trace vector on every call; take &Trace instead.',
    ...(prompt === null ? {} : { prompt }),
  });
  const review = (run_id: string) => ({ run_id, ts: '2026-04-25T14:06:10Z', verdict: 'accept', confidence: 0.92 });
  const runs = scoreFixtureRuns(
    [],
    [
      ...makeLakehouseEvidence('mode_experiments', [call('mx-no-prompt', null), call('mx-prompt', 'Review crates/vectord/src/pathway_memory.rs:\n\nfn insert(&mut self, t: Trace)')]),
      ...makeLakehouseEvidence('observer_reviews', [review('mx-no-prompt'), review('mx-prompt')]),
    ],
  );

  test('a call logged without its prompt gives no SFT, KTO or eval row, counted as no_user_turn; one with its prompt does', () => {
    expect(runs.map((r) => [r.run.run_id, r.run.category])).toEqual([
      ['mx-no-prompt', 'accepted'],
      ['mx-prompt', 'accepted'],
    ]);
    const built = buildExport(runs, [], fixturePlan({ kinds: ['rag', 'sft', 'kto'] }));
    for (const kind of ['sft', 'kto', 'rag']) {
      const receipt = JSON.parse(built.files.get(`receipts/${kind}.json`)!) as { record_counts: Record<string, number>; warnings: string[] };
      expect(receipt.record_counts['skipped:no_user_turn']).toBe(1);
      expect(receipt.warnings.some((w) => w.startsWith('skipped mx-no-prompt: no_user_turn: '))).toBe(true);
    }
    const sft = [...built.files].filter(([p]) => p.startsWith('sft/')).map(([, t]) => t).join('');
    expect(sft).toContain('"run_id":"mx-prompt"');
    expect(sft).not.toContain('mx-no-prompt');
    expect(built.files.get('README.md')).toContain('| sft | no_user_turn | 1 |');
  });
});

describe('Ragas eval set', () => {
  test('a row leaves response to the system under test: the accepted answer is only the reference', () => {
    const runs = scoreFixtureRuns([{ ...TOOL_RUNS[0]!, retrieved_context: ['origin is the GitHub remote'] }]);
    const [row] = rows(buildExport(runs, [], fixturePlan({ kinds: ['rag'] })), 'rag/eval.test.jsonl');
    expect(Object.keys(row!).sort()).toEqual(['id', 'provenance', 'reference', 'retrieved_contexts', 'run_id', 'schema_version', 'task_type', 'user_input']);
    expect(row!.reference).toBe('Pushed main to origin; the remote is up to date.');
    expect(row!.user_input).toBe('push this repository to github');
    // A response copied from the reference would score any response metric perfectly: the validator refuses it.
    expect(validateRagEval(row)).toBeNull();
    expect(validateRagEval({ ...row, response: row!.reference })).toContain('response');
  });
});

describe('fail-closed export', () => {
  test('a pair whose chosen and rejected answers are identical is refused with a reason, never written', () => {
    const runs = scoreFixtureRuns([
      { run_id: 'a', task_id: 't', outcome: 'reject', prompt: 'rename the flag', answer: 'Renamed --force to --yes.', minute: 0 },
      { run_id: 'b', task_id: 't', outcome: 'accept', prompt: 'rename the flag', answer: 'Renamed --force to --yes.', minute: 5 },
    ]);
    const built = buildExport(runs, [], fixturePlan({ kinds: ['preference'] }));
    expect(built.files.has('preference/dpo.jsonl')).toBe(false);
    const refused = rows(built, 'refused.jsonl');
    expect(refused).toEqual([{ format: 'preference-trl', id: expect.any(String), kind: 'preference', reason: 'rejected: chosen and rejected are identical', run_ids: ['b', 'a'] }]);
    const receipt = JSON.parse(built.files.get('receipts/preference.json')!) as { record_counts: Record<string, number>; validation_pass: boolean };
    expect(receipt.record_counts.refused).toBe(1);
    expect(receipt.record_counts.out).toBe(0);
    expect(receipt.validation_pass).toBe(true);
  });

  test('a secret in a stored text is redacted again at export and counted by rule', () => {
    const key = ['AKIA', 'Q3EGRIXWZ7T2LM4N'].join('');
    const runs = scoreFixtureRuns([{ run_id: 'a', outcome: 'accept', prompt: `deploy with ${key}`, answer: 'Deployed.' }]);
    const built = buildExport(runs, [], fixturePlan({ kinds: ['sft', 'rag'] }));
    for (const text of built.files.values()) expect(text.includes(key)).toBe(false);
    const receipt = JSON.parse(built.files.get('receipts/sft.json')!) as { record_counts: Record<string, number> };
    expect(receipt.record_counts.redacted).toBeGreaterThanOrEqual(1);
    expect(Object.keys(receipt.record_counts).some((k) => k.startsWith('redacted:aws'))).toBe(true);
  });
});

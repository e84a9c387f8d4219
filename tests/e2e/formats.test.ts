// Every public sample and format fixture: `git distill ingest <file> --json` with no --format names the right format and yields evidence.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliCaptured } from '../helpers/cli.ts';
import { resolveSamplesDir } from '../../src/collect/adapters/adapter-test-helper.ts';
import { SKIPPED_HINT } from '../../src/ingest/ingest.ts';

const SAMPLES = join(resolveSamplesDir('claude-code'), '..');

const EXPECTED: Array<[string, string]> = [
  ['aider/afi-core/.aider.chat.history.md', 'aider'],
  ['aider/mozgoslav/.aider.chat.history.md', 'aider'],
  ['claude-code/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl', 'claude-code'],
  ['claude-code/b98095d7-b7ee-4d23-9d4c-beb9725d1dc5.jsonl', 'claude-code'],
  ['claude-code/ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl', 'claude-code'],
  ['claude-code/cc1df109-4282-4321-8248-8bbcd471da78.jsonl', 'claude-code'],
  ['claude-code/cc1df109-4282-4321-8248-8bbcd471da78/subagents/agent-a0a2928875cb36a92.jsonl', 'claude-code'],
  ['claude-code/d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl', 'claude-code'],
  ['claude-code/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl', 'claude-code'],
  ['claude-code/fed8ce56-bc79-401f-a83e-af084253362f.jsonl', 'claude-code'],
  ['claude-code/test_conversation_claude_code.jsonl', 'claude-code'],
  ['codex/rollout-2026-01-22T10-15-23-019be37c-2706-70c0-8e0e-51985de49079.jsonl', 'codex'],
  ['codex/rollout-2026-03-13T10-19-05-019ce4fd-8290-7501-afc4-0e9486733614.jsonl', 'codex'],
  ['codex/test_conversation_codex.jsonl', 'codex'],
  ['copilot-cli/test_conversation_copilot.json', 'copilot-cli'],
  ['gemini-cli/test_conversation_gemini.json', 'gemini-cli'],
  ['gemini-cli/test_conversation_gemini.jsonl', 'gemini-cli-jsonl'],
  ['langfuse/google-adk-2025-08-28.json', 'langfuse'],
  ['langfuse/langgraph-2025-08-22.json', 'langfuse'],
  ['langfuse/openai-agents-2025-09-30.json', 'langfuse'],
  ['langfuse/pydantic-ai-tools-2025-12-04.json', 'langfuse'],
  ['mini-swe-agent/github_issue.traj.json', 'mini-swe-agent'],
  ['openhands/basic_gui_mode.json', 'openhands'],
  ['openhands/wrong_initial_state.json', 'openhands'],
  ['openhands/multi_swe_bench-examples/output.jsonl', 'openhands-eval'],
  ['openhands/resolver-mock_output/output.jsonl', 'openhands-eval'],
  ['swe-agent/marshmallow-code__marshmallow-1867.traj', 'swe-agent'],
  ['swe-agent/pydicom__pydicom-1458.traj', 'swe-agent'],
  ['swe-agent/swe-agent__test-repo-i1.traj', 'swe-agent'],
];

for (const [file, format] of EXPECTED) {
  test(`ingest detects ${format} in ${file}, quarantines nothing and yields evidence`, async () => {
    const r = await runCliCaptured(['ingest', join(SAMPLES, file), '--json'], { cwd: SAMPLES });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.formats).toEqual({ [format]: 1 });
    expect(s.skipped).toEqual([]);
    expect(s.evidence).toBeGreaterThan(0);
    expect(s.quarantined).toBe(0);
    expect(s.lines).toBe(s.evidence + s.quarantined + s.blank);
    expect(s.runs).toBeGreaterThan(0);
  });
}

const FIXTURES = join(import.meta.dir, '..', 'fixtures');

// Formats with no public sample: our own fixtures, written from the format's description.
for (const [file, format] of [
  ['aider/lint-fixed.aider.chat.history.md', 'aider'],
  ['aider/sessions.aider.chat.history.md', 'aider'],
  ['atif/fix-tests.trajectory.json', 'atif'],
  ['atif/errored-no-session.trajectory.json', 'atif'],
  ['atif/no-outcome.trajectory.json', 'atif'],
] as const) {
  test(`ingest detects ${format} in the fixture ${file}`, async () => {
    const r = await runCliCaptured(['ingest', join(FIXTURES, file), '--json'], { cwd: FIXTURES });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.formats).toEqual({ [format]: 1 });
    expect(s.skipped).toEqual([]);
    expect(s.evidence).toBeGreaterThan(0);
    expect(s.lines).toBe(s.evidence + s.quarantined + s.blank);
  });
}

const temp = mkdtempSync(join(tmpdir(), 'gd-formats-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

// A file no adapter claims is named, with why and what to do, and none of its lines are counted.
for (const [name, text, reason] of [
  ['notes.md', '# Notes\n\nNothing an agent wrote.\n', 'no adapter recognised the text'],
  ['export.json', '{"rows": [1, 2, 3]}', 'no adapter recognised the document'],
] as const) {
  test(`ingest names ${name}, which no adapter claims, as skipped with a reason and a hint`, async () => {
    writeFileSync(join(temp, name), text);
    const r = await runCliCaptured(['ingest', name, '--json'], { cwd: temp });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.lines).toBe(0);
    expect(s.skipped).toEqual([{ source_file: name, reason, hint: SKIPPED_HINT }]);
    const text_ = await runCliCaptured(['ingest', name], { cwd: temp });
    expect(text_.stdout).toContain(`skipped ${name}: ${reason} (${SKIPPED_HINT})`);
  });
}

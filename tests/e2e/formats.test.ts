// Every public sample: `git distill ingest <file> --json` with no --format names the right format and yields evidence.
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { runCliCaptured } from '../helpers/cli.ts';
import { resolveSamplesDir } from '../../src/collect/adapters/adapter-test-helper.ts';

const SAMPLES = join(resolveSamplesDir('claude-code'), '..');

const EXPECTED: Array<[string, string]> = [
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

// Formats not read yet are reported by name with a reason, never silently dropped or half-read.
for (const file of ['aider/afi-core/.aider.chat.history.md']) {
  test(`ingest names ${file} as skipped with a reason`, async () => {
    const r = await runCliCaptured(['ingest', join(SAMPLES, file), '--json'], { cwd: SAMPLES });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.lines).toBe(0);
    expect(s.skipped).toHaveLength(1);
    expect(s.skipped[0].source_file).toBe(file);
    expect(s.skipped[0].reason.length).toBeGreaterThan(10);
  });
}

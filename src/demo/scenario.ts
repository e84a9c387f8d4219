// The demo's story: three commits an agent team makes, with the session logs and loop streams they leave (pure).

export interface DemoStep {
  subject: string;
  /** Repository files this commit writes (path → text). */
  files: Record<string, string>;
  /** Log lines appended before the commit (path under the repository → JSONL lines). */
  logs: Record<string, string[]>;
  /** What the step shows, for the narration. */
  note: string;
}

interface SessionWriter {
  lines: string[];
  user(text: string): void;
  assistantText(text: string): void;
  tool(name: string, input: Record<string, unknown>, result: string, isError: boolean): void;
}

/** Claude Code session lines in the shape Claude Code writes them (type, sessionId, cwd, uuid chain, message). */
function claudeSession(sessionId: string, cwd: string, start: Date, model: string): SessionWriter {
  let n = 0;
  let parent: string | null = null;
  const uuid = () => `${sessionId.slice(0, 8)}-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const ts = () => new Date(start.getTime() + n * 2000).toISOString();
  const base = () => ({ parentUuid: parent, isSidechain: false, userType: 'external', cwd, sessionId, version: '2.1.74', gitBranch: 'main' });
  const lines: string[] = [];
  const push = (record: Record<string, unknown>) => {
    lines.push(JSON.stringify(record));
    parent = record['uuid'] as string;
  };
  return {
    lines,
    user(text) {
      const id = uuid();
      push({ ...base(), type: 'user', message: { role: 'user', content: text }, uuid: id, timestamp: ts() });
    },
    assistantText(text) {
      const id = uuid();
      push({
        ...base(),
        type: 'assistant',
        message: { id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], usage: { input_tokens: 1200, output_tokens: 180, cache_read_input_tokens: 9000 } },
        uuid: id,
        timestamp: ts(),
      });
    },
    tool(name, input, result, isError) {
      const callId = `toolu_${sessionId.slice(0, 6)}${String(n).padStart(4, '0')}`;
      const id = uuid();
      push({
        ...base(),
        type: 'assistant',
        message: { id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [{ type: 'tool_use', id: callId, name, input }], usage: { input_tokens: 40, output_tokens: 60 } },
        uuid: id,
        timestamp: ts(),
      });
      const rid = uuid();
      push({
        ...base(),
        type: 'user',
        message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: callId, content: result, is_error: isError }] },
        uuid: rid,
        timestamp: ts(),
      });
    },
  };
}

const CSV_V1 = `// Split one CSV record into fields, honouring double-quoted fields.
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '"' && line[i + 1] === '"') { field += '"'; i++; }
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) { out.push(field); field = ''; }
    else field += c;
  }
  out.push(field);
  return out;
}
`;

const CSV_V2 = CSV_V1.replace('export function parseCsvLine(line: string): string[] {', 'export function parseCsvLine(raw: string): string[] {\n  const line = raw.endsWith(\'\\r\') ? raw.slice(0, -1) : raw;');

/**
 * Three commits. `token` is a credential-shaped string made by the caller at run time, so the demo shows
 * redaction without a key-shaped literal in the source.
 */
export function buildDemoSteps(cwd: string, now: Date, token: string): DemoStep[] {
  const t = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const iso = (d: Date) => d.toISOString();

  const s1 = claudeSession('5e55a001-aaaa-4bbb-8ccc-000000000001', cwd, t(30), 'claude-sonnet-4-5');
  s1.user('Add a CSV line parser that handles quoted fields, with tests.');
  s1.assistantText("I'll add src/csv.ts and a test file, then run the tests.");
  s1.tool('Write', { file_path: `${cwd}/src/csv.ts`, content: CSV_V1 }, 'File created successfully at: src/csv.ts', false);
  s1.tool('Write', { file_path: `${cwd}/test/csv.test.ts`, content: '// 4 cases\n' }, 'File created successfully at: test/csv.test.ts', false);
  s1.tool('Bash', { command: 'npm test', description: 'Run the tests' }, 'Tests: 4 passed, 4 total', false);
  s1.assistantText('Added parseCsvLine with quoted-field support; all 4 tests pass.');

  const s2 = claudeSession('5e55a002-aaaa-4bbb-8ccc-000000000002', cwd, t(20), 'claude-sonnet-4-5');
  s2.user('Windows files break the parser: the last field keeps a \\r. Fix it.');
  s2.tool('Bash', { command: 'npm test', description: 'Reproduce' }, 'Exit code 1\nFAIL test/csv.test.ts > strips CR at end of line', true);
  s2.tool('Edit', { file_path: `${cwd}/src/csv.ts`, old_string: 'export function parseCsvLine(line: string)', new_string: 'export function parseCsvLine(raw: string)' }, 'The file src/csv.ts has been updated.', false);
  s2.tool('Bash', { command: 'npm test', description: 'Run the tests again' }, 'Tests: 5 passed, 5 total', false);
  s2.tool('Bash', { command: `curl -s -H "Authorization: Bearer ${token}" https://api.example.com/v1/ping` }, '{"ok":true}', false);
  s2.assistantText('Fixed: a trailing \\r is stripped before splitting. Tests pass (5/5).');

  const runId = 'scrum-demo-fetch-a2';
  return [
    {
      subject: 'Add CSV line parser',
      files: { 'src/csv.ts': CSV_V1, 'test/csv.test.ts': '// 4 cases\n' },
      logs: { 'agent-logs/claude-code/5e55a001.jsonl': s1.lines },
      note: 'a Claude Code session writes the parser and its tests; the tests pass',
    },
    {
      subject: 'Strip CR at end of CSV lines',
      files: { 'src/csv.ts': CSV_V2 },
      logs: {
        'agent-logs/claude-code/5e55a002.jsonl': s2.lines,
        'data/_kb/mode_experiments.jsonl': [
          JSON.stringify({ ts: iso(t(15)), task_class: 'scrum_review', mode: 'codereview_lakehouse', model: 'qwen3-coder:30b', file_path: 'src/csv.ts', sources: ['lakehouse_arch_v1'], latency_ms: 8421, response: 'The CR fix is minimal; consider CRLF inside quoted fields later.', run_id: 'mx-demo-csv-1' }),
          '{"ts":"' + iso(t(14)) + '","task_class":"scrum_review","model":"qwen3-coder:30b","response":"truncated by a crash',
        ],
        'data/_kb/observer_reviews.jsonl': [JSON.stringify({ run_id: 'mx-demo-csv-1', ts: iso(t(14)), verdict: 'accept', confidence: 0.86, notes: 'Grounded in the diff.', model: 'kimi-k2:1t' })],
      },
      note: 'the fix fails its tests once, then passes; a reviewer model and the observer weigh in; one log line is truncated',
    },
    {
      subject: 'Retry failed fetches',
      files: { 'src/fetch.ts': 'export async function fetchWithRetry(url: string) {\n  return fetch(url);\n}\n' },
      logs: {
        'data/_kb/scrum_reviews.jsonl': [
          JSON.stringify({ file: 'src/fetch.ts', reviewed_at: iso(t(6)), accepted_model: 'kimi-k2:1t', accepted_on_attempt: 2, verdict: 'needs_work', review: 'Retry loop has no backoff.', run_id: runId }),
        ],
        'data/_kb/auto_apply.jsonl': [
          JSON.stringify({ file: 'src/fetch.ts', ts: iso(t(5)), action: 'gate_failed', patches_applied: 0, gates: [{ name: 'cargo check', passed: true }, { name: 'tests', passed: false, detail: 'retry.test.ts timed out' }], run_id: runId }),
        ],
        'data/_kb/human_overrides.jsonl': [JSON.stringify({ run_id: runId, ts: iso(t(4)), decision: 'reject', reason: 'No backoff: this would hammer the API.', by: 'maintainer' })],
      },
      note: 'the applier\'s test gate fails and a maintainer rejects the patch',
    },
  ];
}

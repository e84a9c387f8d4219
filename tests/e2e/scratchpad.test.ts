// `git distill scratchpad`: deterministic summaries of the shared samples, and the optional LLM provider against a local server the test runs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCliCaptured } from '../helpers/cli.ts';
import { makeRepo } from '../helpers/git-repo.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import { COMMIT_FILES } from '../../src/store/layout.ts';
import type { ScratchpadSummary } from '../../schemas/scratchpad-summary.ts';
import { buildRefineRequest } from '../../src/scratchpad/refine-scratchpad.ts';
import { parseScratchpad } from '../../src/scratchpad/parse-scratchpad.ts';

const SAMPLE = resolve(import.meta.dir, '../../../shared/samples/prd/agent-sessions/onboarding-implementation-plan.md');
const dir = mkdtempSync(join(tmpdir(), 'gd-scratchpad-'));
const NOTES = ['# Ship the parser', '- [x] write it', '- [ ] run `bun test`', '## Decisions', '- no regexes with backtracking'].join('\n') + '\n';
writeFileSync(join(dir, 'notes.md'), NOTES);
const NOW = '2026-02-03T04:05:06.000Z';

type Mode = 'good' | 'slow' | 'garbage' | 'error' | 'wrong-shape';
let mode: Mode = 'good';
const requests: Array<{ path: string; auth: string | null; body: unknown }> = [];
let server: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      requests.push({ path: new URL(req.url).pathname, auth: req.headers.get('authorization'), body: await req.json() });
      if (mode === 'slow') await Bun.sleep(1500);
      if (mode === 'error') return new Response('overloaded', { status: 503 });
      if (mode === 'garbage') return Response.json({ choices: [{ message: { content: 'Sure! Here is a summary: it went well.' } }] });
      if (mode === 'wrong-shape') return Response.json({ choices: [{ message: { content: JSON.stringify({ current_objective: 7 }) } }] });
      const refined = { current_objective: 'Ship the parser to main', decisions: ['no regexes with backtracking'], unresolved_questions: [], next_command: 'bun test', validation_status: 'partial' };
      return Response.json({ choices: [{ message: { role: 'assistant', content: JSON.stringify(refined) } }] });
    },
  });
  // The key's value is built at run time: no key-shaped string is committed.
  const config = { schema_version: 1, scratchpad: { llm: { url: `http://127.0.0.1:${server.port}`, model: 'local-7b', timeout_ms: 500, api_key_env: 'TEST_LLM_KEY' } } };
  mkdirSync(join(dir, 'with-llm', '.distill'), { recursive: true });
  writeFileSync(join(dir, 'with-llm', '.distill', 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'with-llm', 'notes.md'), NOTES);
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const key = ['local', 'test', 'token'].join('-');
const run = (cwd: string, args: string[]) => runCliCaptured(['scratchpad', ...args], { cwd, now: NOW, env: { TEST_LLM_KEY: key } });

describe('git distill scratchpad', () => {
  test('the shared plan sample: every unchecked item is pending, none completed; no provider means no network', async () => {
    const r = await run(dir, [SAMPLE, '--json']);
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.stdout) as ScratchpadSummary[];
    expect(s!.completed_steps).toEqual([]);
    expect(s!.pending_steps.length).toBeGreaterThan(70);
    expect(s!.pending_steps).toContain('Implement `OnboardingDefaults.swift` (UserDefaults extension)');
    expect(s!.current_objective).toBe('Onboarding System Implementation Plan - v2.9');
    expect(s!.validation_status).toBe('unknown');
    expect(s!.provenance.recorded_at).toBe(NOW);
    expect(requests.length).toBe(0);
  });

  test('the terminal view names the counts and the next command', async () => {
    const r = await run(dir, ['notes.md']);
    expect(r.stdout).toContain('steps       1 completed, 0 failed, 1 pending');
    expect(r.stdout).toContain('next        bun test');
  });

  test('a configured provider refines the summary; the test checks the exact request', async () => {
    mode = 'good';
    requests.length = 0;
    const r = await run(join(dir, 'with-llm'), ['notes.md', '--json']);
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.stdout) as ScratchpadSummary[];
    expect(s!.current_objective).toBe('Ship the parser to main');
    expect(s!.validation_status).toBe('partial');
    // Steps stay as parsed whatever the provider says.
    expect(s!.completed_steps).toEqual(['write it']);
    expect(s!.pending_steps).toEqual(['run `bun test`']);
    expect(requests.length).toBe(1);
    expect(requests[0]!.path).toBe('/v1/chat/completions');
    expect(requests[0]!.auth).toBe(`Bearer ${key}`);
    const deterministic = parseScratchpad({ run_id: 'scratchpad:notes.md', source_file: 'notes.md', bytes: new TextEncoder().encode(NOTES), recorded_at: NOW });
    expect(requests[0]!.body).toEqual(buildRefineRequest({ model: 'local-7b' }, deterministic, NOTES));
    expect(requests[0]!.body).toMatchObject({ model: 'local-7b', temperature: 0, response_format: { type: 'json_object' } });
  });

  for (const [m, why] of [
    ['slow', 'timeout'],
    ['garbage', 'bad_response'],
    ['wrong-shape', 'bad_response'],
    ['error', 'http_error'],
  ] as const) {
    test(`a ${m} provider leaves the deterministic summary with validation_status unknown (${why})`, async () => {
      mode = m;
      const r = await run(join(dir, 'with-llm'), ['notes.md', '--json']);
      expect(r.code).toBe(0);
      const [s] = JSON.parse(r.stdout) as ScratchpadSummary[];
      expect(s!.current_objective).toBe('Ship the parser');
      expect(s!.validation_status).toBe('unknown');
      expect(s!.next_command).toBe('bun test');
      expect(r.stderr).toContain(`(${why}:`);
    });
  }

  test('an unreachable provider (a closed port) leaves the deterministic summary with validation_status unknown', async () => {
    // A port that was just listening and is closed now: the connection is refused, no timeout involved.
    const gone = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const port = gone.port;
    gone.stop(true);
    const cwd = join(dir, 'unreachable');
    mkdirSync(join(cwd, '.distill'), { recursive: true });
    const config = { schema_version: 1, scratchpad: { llm: { url: `http://127.0.0.1:${port}`, model: 'local-7b', timeout_ms: 30_000, api_key_env: null } } };
    writeFileSync(join(cwd, '.distill', 'config.json'), JSON.stringify(config));
    writeFileSync(join(cwd, 'notes.md'), NOTES);
    requests.length = 0;
    const r = await run(cwd, ['notes.md', '--json']);
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.stdout) as ScratchpadSummary[];
    const deterministic = parseScratchpad({ run_id: 'scratchpad:notes.md', source_file: 'notes.md', bytes: new TextEncoder().encode(NOTES), recorded_at: NOW });
    expect(s).toEqual({ ...deterministic, validation_status: 'unknown' });
    expect(r.stderr).toContain('git-distill: notes.md: the LLM provider did not refine it (unreachable:');
    expect(r.stderr).toContain('the deterministic summary stands');
    expect(requests.length).toBe(0);
  });

  test('--no-llm keeps the deterministic path without calling the configured provider', async () => {
    requests.length = 0;
    const off = await run(join(dir, 'with-llm'), ['notes.md', '--json', '--no-llm']);
    expect((JSON.parse(off.stdout) as ScratchpadSummary[])[0]!.current_objective).toBe('Ship the parser');
    expect(off.stderr).toBe('');
    expect(requests.length).toBe(0);
  });

  test('a missing file is a clear error with exit 3', async () => {
    const r = await run(dir, ['nope.md']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot read scratchpad nope.md');
  });
});

describe('a scratchpad source on the distill branch', () => {
  test('git distill run stores the changed scratchpad as scratchpads.jsonl, verify covers it, unchanged bytes are not summarized again', async () => {
    const repo = await makeRepo();
    try {
      const config = JSON.stringify({ schema_version: 1, sources: [{ path: 'notes/*.md', format: 'scratchpad' }] }) + '\n';
      const first = await repo.commit({ '.distill/config.json': config, 'notes/plan.md': NOTES }, 'plan', { date: '2024-01-01T10:00:00Z' });
      expect((await runCliCaptured(['run', first, '--sync'], { cwd: repo.dir, now: NOW })).code).toBe(0);
      const second = await repo.commit({ 'README.md': 'hi\n' }, 'readme', { date: '2024-01-01T11:00:00Z' });
      expect((await runCliCaptured(['run', second, '--sync'], { cwd: repo.dir, now: NOW })).code).toBe(0);
      const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
      try {
        const stored = (await store.readCommit(first))!.get(COMMIT_FILES.scratchpads);
        expect(stored).toBeDefined();
        const [s] = new TextDecoder().decode(stored).trim().split('\n').map((l) => JSON.parse(l) as ScratchpadSummary);
        expect(s!.run_id).toBe('scratchpad:notes/plan.md');
        expect(s!.completed_steps).toEqual(['write it']);
        expect(s!.pending_steps).toEqual(['run `bun test`']);
        // The second commit did not touch the notes: nothing summarized again.
        expect((await store.readCommit(second))?.get(COMMIT_FILES.scratchpads)).toBeUndefined();
      } finally {
        await store.close();
      }
      const verify = await runCliCaptured(['verify'], { cwd: repo.dir, now: NOW });
      expect(verify.code).toBe(0);
    } finally {
      await repo.cleanup();
    }
  });
});

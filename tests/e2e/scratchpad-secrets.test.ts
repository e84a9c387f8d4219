// Invariant 5 for scratchpad sources: key-shaped strings in an agent's notes never reach the distill branch; the manifest counts them by rule.
import { afterAll, expect, test } from 'bun:test';
import { createGitStore } from '../../src/store/git-store.ts';
import { COMMIT_FILES } from '../../src/store/layout.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

let repo: TestRepo;
afterAll(async () => repo?.cleanup());

// Built at run time: no key-shaped string is committed.
const AWS = ['AKIA', 'Q3EGRXWJ', '7ZL4N2PD'].join('');
const GITHUB = ['ghp', '_', 'x9Kq2LmN4pR7sT1vW3yZ5aB8cD0eF6gH2jK4'].join('');

test('a scratchpad naming an AWS key and a GitHub token is stored redacted, with the redactions counted', async () => {
  repo = await makeRepo();
  const notes = ['# Objective', `rotate ${AWS}`, '', '- [x] revoked the old token', `- [ ] push with ${GITHUB}`, '', `Next: curl -H "Authorization: token ${GITHUB}" https://api.github.com`, ''].join('\n');
  const config = JSON.stringify({ schema_version: 1, sources: [{ path: 'notes/*.md', format: 'scratchpad' }] }) + '\n';
  // The notes are read from the working tree, as a scratchpad source is; they are not committed.
  const oid = await repo.commit({ '.distill/config.json': config, '.gitignore': 'notes/\n.distill/cache/\n' }, 'config');
  await Bun.write(`${repo.dir}/notes/plan.md`, notes);
  expect((await runCliCaptured(['run', oid], { cwd: repo.dir })).code).toBe(0);
  const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
  try {
    const folder = (await store.readCommit(oid))!;
    const text = new TextDecoder().decode(folder.get(COMMIT_FILES.scratchpads));
    expect(text).toContain('rotate');
    for (const secret of [AWS, GITHUB]) {
      for (const [path, bytes] of folder) expect({ path, leaks: new TextDecoder().decode(bytes).includes(secret) }).toEqual({ path, leaks: false });
    }
    const manifest = JSON.parse(new TextDecoder().decode(folder.get(COMMIT_FILES.manifest)));
    expect(manifest.redactions_by_rule['aws-access-key-id']).toBe(1);
    expect(manifest.redactions_by_rule['github-pat']).toBeGreaterThanOrEqual(1);
    expect(manifest.counts.redacted).toBeGreaterThanOrEqual(2);
    expect(manifest.counts.redacted).toBe(Object.values(manifest.redactions_by_rule as Record<string, number>).reduce((a, n) => a + n, 0));
  } finally {
    await store.close();
  }
  expect((await runCliCaptured(['verify', '--all'], { cwd: repo.dir })).code).toBe(0);
});

test('git distill scratchpad never sends a key to the LLM provider, and prints none', async () => {
  const bodies: string[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      bodies.push(await req.text());
      return Response.json({ choices: [{ message: { role: 'assistant', content: JSON.stringify({ current_objective: 'rotate the key', decisions: [], unresolved_questions: [], next_command: null, validation_status: 'partial' }) } }] });
    },
  });
  const dir = await makeRepo();
  try {
    await Bun.write(`${dir.dir}/.distill/config.json`, JSON.stringify({ schema_version: 1, scratchpad: { llm: { url: `http://127.0.0.1:${server.port}`, model: 'm', timeout_ms: 5000, api_key_env: null } } }));
    await Bun.write(`${dir.dir}/notes.md`, `# Objective\nrotate ${AWS}\n\n- [ ] push with ${GITHUB}\n`);
    const r = await runCliCaptured(['scratchpad', 'notes.md', '--json'], { cwd: dir.dir });
    expect(r.code).toBe(0);
    expect(bodies).toHaveLength(1);
    for (const secret of [AWS, GITHUB]) {
      expect(bodies[0]!.includes(secret)).toBe(false);
      expect(r.stdout.includes(secret)).toBe(false);
    }
    expect(bodies[0]).toContain('[REDACTED:aws-access-key-id]');
  } finally {
    server.stop(true);
    await dir.cleanup();
  }
});

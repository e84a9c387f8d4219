// `git distill action` with the checks git-distill ships (kb_query and prd_drift, unmocked) on a real PR range against the test forge.
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMENT_MARKER } from '../../src/action/run-action.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { startFakeForge } from '../helpers/fake-forge.ts';
import { makeRepo } from '../helpers/git-repo.ts';
import { sarifErrors } from '../helpers/sarif.ts';

setDefaultTimeout(60_000);
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const PRD = (sso: string) => ['# Plan', '', '## Phase 1: Login ✅', `- [x] Login in \`src/login.ts\`${sso}`, '  Tests: `tests/login.test.ts`', ''].join('\n');

test('a PR whose PRD claims a file it never adds: prd_drift blocks it on the forge; fixed, the same comment turns green', async () => {
  const repo = await makeRepo();
  cleanups.push(() => repo.cleanup());
  const server = startFakeForge();
  cleanups.push(() => server.stop());
  const dir = mkdtempSync(join(tmpdir(), 'distill-action-checks-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

  const base = await repo.commit(
    {
      '.distill/config.json': JSON.stringify({ schema_version: 1 }),
      '.gitignore': '.distill/cache/\n',
      'src/login.ts': 'export function login() {}\n',
      'tests/login.test.ts': 'import { login } from "../src/login";\n',
      'docs/PRD.md': PRD(''),
    },
    'base',
  );
  await repo.git.run(['checkout', '-q', '-b', 'feature']);
  const head1 = await repo.commit({ 'docs/PRD.md': PRD(' and SSO in `src/sso.ts`') }, 'claim SSO');

  const run = async (head: string) => {
    const eventPath = join(dir, `event-${head.slice(0, 7)}.json`);
    writeFileSync(eventPath, JSON.stringify({ action: 'synchronize', pull_request: { number: 3, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' } } }));
    // The real command line, so the checks are the ones git-distill ships.
    return runCliCaptured(['action'], {
      cwd: repo.dir,
      env: {
        GITHUB_API_URL: server.api_url,
        GITHUB_REPOSITORY: 'octo/proj',
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_TOKEN: 'test-token',
        GITHUB_OUTPUT: join(dir, 'output'),
        GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
        RUNNER_TEMP: dir,
      },
    });
  };

  const first = await run(head1);
  expect(first.code).toBe(1);
  expect(server.comments).toHaveLength(1);
  const body = server.comments[0]!.body;
  expect(body.startsWith(COMMENT_MARKER)).toBe(true);
  expect(body).toContain('prd_drift');
  expect(body).toContain("'src/sso.ts' does not exist");
  const annotations = server.requests
    .filter((r) => r.path.includes('/check-runs'))
    .flatMap((r) => (r.body as { output?: { annotations?: Array<{ path: string; start_line: number; annotation_level: string; title: string }> } }).output?.annotations ?? []);
  expect(annotations.filter((a) => a.annotation_level === 'failure').map((a) => [a.path, a.start_line, a.title])).toEqual([['docs/PRD.md', 4, 'prd_drift/dangling_reference: A claim names something that does not exist']]);
  expect(sarifErrors(readFileSync(join(dir, 'git-distill.sarif'), 'utf8'))).toEqual([]);

  const head2 = await repo.commit({ 'src/sso.ts': 'export function sso() {}\n', 'tests/sso.test.ts': 'import { sso } from "../src/sso";\n' }, 'add SSO');
  const second = await run(head2);
  expect(second.code).toBe(0);
  expect(server.comments).toHaveLength(1);
  expect(server.comments[0]!.body).not.toContain('does not exist');
  expect(server.requests.filter((r) => r.path.includes('/comments')).map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
});

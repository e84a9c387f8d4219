// End-to-end: Aider's history in a real repository — "Commit <hash>" lines become oid links to commits that exist, read across appends.
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { createGitStore } from '../../src/store/git-store.ts';
import type { EvidenceRecord } from '../../schemas/evidence-record.ts';
import type { Manifest } from '../../schemas/manifest.ts';

// Each test runs several git-distill steps on a machine shared with other work.
setDefaultTimeout(60_000);

const repos: TestRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.cleanup();
});

const CONFIG = JSON.stringify({ schema_version: 1, sources: [{ path: '.aider.chat.history.md', format: 'auto' }] }) + '\n';
const HISTORY = '.aider.chat.history.md';

async function newRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repos.push(repo);
  return repo;
}

/** One aider session that edits `file`; `commit` is the hash its Commit line names (none: aider has not written it yet). */
function session(start: string, file: string, commit: string | null): string {
  return [
    '',
    `# aider chat started at ${start}`,
    '',
    '> Aider v0.86.2  ',
    '> Model: gpt-4o with diff edit format  ',
    '',
    `#### create ${file}  `,
    '',
    file,
    '```',
    '<<<<<<< SEARCH',
    '=======',
    'print("hi")',
    '>>>>>>> REPLACE',
    '```',
    '',
    '> Tokens: 1.2k sent, 30 received. Cost: $0.0040 message, $0.0040 session.  ',
    `> Applied edit to ${file}  `,
    ...(commit === null ? [] : [`> Commit ${commit} feat: add ${file}  `]),
    '',
  ].join('\n');
}

async function folder(repo: TestRepo, oid: string): Promise<{ manifest: Manifest; evidence: EvidenceRecord[] } | null> {
  const store = createGitStore({ git: repo.git, ref: 'refs/heads/distill', tool_version: 'x' });
  try {
    const files = await store.readCommit(oid);
    if (files === null) return null;
    const text = (name: string) => new TextDecoder().decode(files.get(name) ?? new Uint8Array());
    const evidence = text('evidence.jsonl')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as EvidenceRecord);
    return { manifest: JSON.parse(text('manifest.json')) as Manifest, evidence };
  } finally {
    await store.close();
  }
}

async function run(repo: TestRepo, rev: string): Promise<Record<string, unknown>> {
  const r = await runCliCaptured(['run', rev, '--json'], { cwd: repo.dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!;
}

describe('aider Commit lines link to the commits they name', () => {
  test('git distill run on the commit the history names links its run by oid; a hash no commit has links nothing', async () => {
    const repo = await newRepo();
    await repo.commit({ '.distill/config.json': CONFIG }, 'configure git-distill');
    const made = await repo.commit({ 'src/greet.py': 'print("hi")\n' }, 'feat: add src/greet.py');
    const short = made.slice(0, 7);
    writeFileSync(join(repo.dir, HISTORY), session('2025-03-01 10:00:00', 'src/greet.py', short) + session('2025-03-01 11:00:00', 'src/other.py', 'deadbee'));

    const result = await run(repo, made);
    expect(result.links_by).toEqual({ oid: 1 });
    // The second session names deadbee, which no commit is: it waits, unlinked.
    expect(result.pending).toBe(5);

    const f = (await folder(repo, made))!;
    const runId = 'aider:.aider.chat.history.md@2025-03-01T10:00:00';
    expect(new Set(f.evidence.map((r) => r.run_id))).toEqual(new Set([runId]));
    expect(f.evidence).toHaveLength(5);
    for (const r of f.evidence) expect(r.links).toEqual([{ oid: made, by: 'oid', detail: `.aider.chat.history.md:17 names ${short}` }]);
    const tool = f.evidence.find((r) => r.kind === 'tool_result')!;
    expect(tool.link_hints.oids).toEqual([short]);
    expect(tool.source_files).toEqual(['src/greet.py']);
    expect(f.manifest.counts).toMatchObject({ evidence: 5, quarantined: 0 });
    expect(f.manifest.counts.runs_by_category).toMatchObject({ accepted: 1 });
    expect(f.evidence.some((r) => r.link_hints.oids.includes('deadbee'))).toBe(false);
  });

  test('the Commit line aider writes after the post-commit hook links its run at the next commit; a commit off this branch is never named', async () => {
    const repo = await newRepo();
    await repo.commit({ '.distill/config.json': CONFIG }, 'configure git-distill');
    // A commit on another branch: its hash exists, but it is no ancestor of what is distilled here.
    await repo.git.run(['checkout', '-q', '-b', 'side']);
    const side = await repo.commit({ 'side.txt': 'x\n' }, 'side work');
    await repo.git.run(['checkout', '-q', 'main']);

    const c1 = await repo.commit({ 'src/a.py': 'a\n' }, 'feat: add src/a.py');
    // The hook for c1 runs while aider is still committing: the history stops at "Applied edit".
    writeFileSync(join(repo.dir, HISTORY), session('2025-03-02 09:00:00', 'src/a.py', null));
    const first = await run(repo, c1);
    expect(first.links_by).toEqual({});
    expect(first.pending).toBe(5);

    // Then aider writes its Commit line, and a later session names the side branch's commit.
    appendFileSync(join(repo.dir, HISTORY), `> Commit ${c1.slice(0, 7)} feat: add src/a.py  \n` + session('2025-03-02 10:00:00', 'side.txt', side.slice(0, 9)));
    const c2 = await repo.commit({ 'notes.txt': 'n\n' }, 'notes');
    const second = await run(repo, c2);
    expect(second.updated).toEqual([c1]);
    expect(second.links_by).toEqual({});
    expect(second.pending).toBe(5);

    const f1 = (await folder(repo, c1))!;
    const runId = 'aider:.aider.chat.history.md@2025-03-02T09:00:00';
    expect(new Set(f1.evidence.map((r) => r.run_id))).toEqual(new Set([runId]));
    // The Commit line came in a later read: it is its own item, after the block the first read ended in.
    expect(f1.evidence.map((r) => [r.provenance.line_offset, r.kind])).toEqual([
      [2, 'meta'],
      [4, 'meta'],
      [7, 'message'],
      [9, 'model_call'],
      [17, 'tool_result'],
      [19, 'tool_result'],
    ]);
    expect(f1.evidence.every((r) => r.links.length === 1 && r.links[0]!.oid === c1 && r.links[0]!.by === 'oid')).toBe(true);
    expect(f1.evidence[5]!.links[0]!.detail).toBe(`.aider.chat.history.md:19 names ${c1.slice(0, 7)}`);
    expect(f1.manifest.counts.runs_by_category).toMatchObject({ accepted: 1 });
    expect(await folder(repo, c2)).toMatchObject({ evidence: [] });
    expect(await folder(repo, side)).toBeNull();

    // Each read is counted once, in the folder of the commit that read it: 5 items and 5 blank lines in the
    // first; the cut-off Commit line, then the second session's 5 items and 5 blank lines in the second. The
    // Commit line's record followed its run into c1's folder.
    expect(f1.manifest.counts).toMatchObject({ lines: 10, evidence: 6, blank: 5 });
    expect((await folder(repo, c2))!.manifest.counts).toMatchObject({ lines: 11, evidence: 0, blank: 5 });
    const verify = await runCliCaptured(['verify', '--all'], { cwd: repo.dir });
    expect(verify.code).toBe(0);

    // The cache is deleted, then the user types on in the second session: the new line is read with that
    // session's header state (replayed from the top), and nothing read before is counted or pending twice.
    rmSync(join(repo.dir, '.distill', 'cache'), { recursive: true, force: true });
    appendFileSync(join(repo.dir, HISTORY), '#### one more thing  \n');
    const c3 = await repo.commit({ 'more.txt': 'm\n' }, 'more');
    const third = await run(repo, c3);
    expect(third.pending).toBe(6);
    expect((await folder(repo, c3))!.manifest.counts).toMatchObject({ lines: 1, evidence: 0, quarantined: 0, blank: 0 });
    const attached = await runCliCaptured(['run', c3, '--attach', '--json'], { cwd: repo.dir });
    const f3 = (await folder(repo, c3))!;
    expect(attached.code).toBe(0);
    expect(f3.evidence).toHaveLength(6);
    expect(new Set(f3.evidence.map((r) => r.run_id))).toEqual(new Set(['aider:.aider.chat.history.md@2025-03-02T10:00:00']));
    expect(f3.evidence.at(-1)).toMatchObject({ kind: 'message', input_text: 'one more thing' });
  });
});

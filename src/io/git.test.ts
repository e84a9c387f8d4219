// The git edge: error shapes, compare-and-swap, batch readers and writers, dates, environment isolation.
import { afterEach, describe, expect, test } from 'bun:test';
import { makeRepo, type TestRepo } from '../../tests/helpers/git-repo.ts';
import { DistillError, isDistillError } from '../errors.ts';
import { createGit, formatGitDate, parseRawTree } from './git.ts';

const repos: TestRepo[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.cleanup();
});
async function repo(): Promise<TestRepo> {
  const r = await makeRepo();
  repos.push(r);
  return r;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isDistillError(err) ? err.code : String(err);
  }
}

const ID = { name: 'git-distill', email: 'git-distill@localhost' };

describe('createGit', () => {
  test('a non-zero exit becomes E_GIT_FAILED with argv, status and trimmed stderr', async () => {
    const r = await repo();
    let err: unknown = null;
    try {
      await r.git.run(['cat-file', '-t', 'no-such-object']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DistillError);
    const e = err as DistillError;
    expect(e.code).toBe('E_GIT_FAILED');
    expect(e.details.status).toBe(128);
    expect(e.details.argv).toEqual(['git', '--no-pager', '-c', 'core.hooksPath=/dev/null', 'cat-file', '-t', 'no-such-object']);
    expect(e.details.stderr).toBe('fatal: Not a valid object name no-such-object');
    expect(e.message).toBe('git cat-file failed (exit 128): fatal: Not a valid object name no-such-object');
  });

  test('allowExit turns an expected non-zero exit into an answer', async () => {
    const r = await repo();
    const res = await r.git.run(['rev-parse', '--verify', '-q', 'refs/heads/nope'], { allowExit: [1] });
    expect(res.exitCode).toBe(1);
    expect(res.stdoutText).toBe('');
  });

  test('outside a repository the error is E_GIT_NOT_A_REPO with a hint', async () => {
    const git = createGit({ cwd: '/' });
    let e: unknown = null;
    try {
      await git.gitDir();
    } catch (err) {
      e = err;
    }
    expect(isDistillError(e) ? e.code : null).toBe('E_GIT_NOT_A_REPO');
    expect(isDistillError(e) ? e.hint : null).toContain('git init');
  });

  test('ignores GIT_DIR and GIT_INDEX_FILE inherited from a hook environment', async () => {
    const a = await repo();
    const b = await repo();
    const saved = { dir: process.env.GIT_DIR, index: process.env.GIT_INDEX_FILE };
    process.env.GIT_DIR = `${b.dir}/.git`;
    process.env.GIT_INDEX_FILE = `${b.dir}/.git/other-index`;
    try {
      const git = createGit({ cwd: a.dir });
      expect(await git.gitDir()).toBe(`${a.dir}/.git`);
    } finally {
      if (saved.dir === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved.dir;
      if (saved.index === undefined) delete process.env.GIT_INDEX_FILE;
      else process.env.GIT_INDEX_FILE = saved.index;
    }
  });

  test('revParse resolves a revision and refuses an unknown one or an option', async () => {
    const r = await repo();
    const c = await r.commit({ 'a.txt': 'a' }, 'one');
    expect(await r.git.revParse('HEAD')).toBe(c);
    expect(await codeOf(r.git.revParse('nope'))).toBe('E_GIT_BAD_REVISION');
    expect(await codeOf(r.git.revParse('--all'))).toBe('E_GIT_BAD_REVISION');
    expect(await r.git.resolveRef('refs/heads/main')).toBe(c);
    expect(await r.git.resolveRef('refs/heads/absent')).toBeNull();
  });

  test('hashObject and hashObjects store bytes unfiltered and agree with each other', async () => {
    const r = await repo();
    await r.git.run(['config', 'core.autocrlf', 'true']);
    const blobs = Array.from({ length: 12 }, (_, i) => `line ${i}\r\nnext\n`);
    const one = await Promise.all(blobs.map((b) => r.git.hashObject(b)));
    const many = await r.git.hashObjects(blobs);
    expect(many).toEqual(one);
    expect((await r.git.run(['cat-file', 'blob', many[3]!])).stdoutText).toBe('line 3\r\nnext\n');
    expect(one[0]).toBe((await r.git.run(['hash-object', '--no-filters', '--stdin'], { input: blobs[0]! })).stdoutText.trim());
  });

  test('mktree, the batch tree writer and lsTree agree; names with quotes and spaces survive', async () => {
    const r = await repo();
    const blob = await r.git.hashObject('x');
    const entries = [
      { mode: '100644', type: 'blob' as const, oid: blob, name: '"quoted name' },
      { mode: '100644', type: 'blob' as const, oid: blob, name: 'b c' },
    ];
    const single = await r.git.mktree(entries);
    const w = r.git.openTreeWriter();
    const [t1, t2] = await Promise.all([w.write(entries), w.write([entries[1]!])]);
    await w.close();
    expect(t1).toBe(single);
    const outer = await r.git.mktree([{ mode: '040000', type: 'tree', oid: t2!, name: 'dir' }]);
    expect((await r.git.lsTree(single))!.map((e) => e.name)).toEqual(['"quoted name', 'b c']);
    expect(await r.git.lsTree(outer, 'dir')).toEqual([{ mode: '100644', type: 'blob', oid: blob, name: 'b c' }]);
    expect(await r.git.lsTree(outer, 'missing')).toBeNull();
  });

  test('catFileBatch pipelines reads, returns null for missing objects and parses trees', async () => {
    const r = await repo();
    const c = await r.commit({ 'a.txt': 'alpha', 'd/b.txt': 'beta' }, 'one');
    const batch = r.git.catFileBatch();
    try {
      const [a, missing, b, tree] = await Promise.all([
        batch.read(`${c}:a.txt`),
        batch.read(`${c}:nope.txt`),
        batch.read(`${c}:d/b.txt`),
        batch.readTree(`${c}^{tree}`),
      ]);
      expect(new TextDecoder().decode(a!.content)).toBe('alpha');
      expect(a!.type).toBe('blob');
      expect(missing).toBeNull();
      expect(new TextDecoder().decode(b!.content)).toBe('beta');
      expect(tree!.map((e) => [e.name, e.type, e.mode])).toEqual([
        ['a.txt', 'blob', '100644'],
        ['d', 'tree', '040000'],
      ]);
      expect(await codeOf(batch.readTree(`${c}:a.txt`))).toBe('E_STORE_CORRUPT');
      const big = 'z'.repeat(300_000);
      const bigOid = await r.git.hashObject(big);
      expect((await batch.read(bigOid))!.content.length).toBe(300_000);
    } finally {
      await batch.close();
    }
  });

  test('commitTree is reproducible: the same tree, identity, date and message give the same oid', async () => {
    const r = await repo();
    await r.git.run(['config', 'commit.gpgsign', 'true']);
    await r.git.run(['config', 'i18n.commitEncoding', 'ISO-8859-1']);
    const tree = await r.git.mktree([]);
    const opts = { tree, parents: [], message: 'm\n', identity: ID, date: '2024-05-01T14:00:00+02:00' };
    const a = await r.git.commitTree(opts);
    expect(await r.git.commitTree(opts)).toBe(a);
    const body = (await r.git.run(['cat-file', 'commit', a])).stdoutText;
    expect(body).toBe(`tree ${tree}\nauthor git-distill <git-distill@localhost> 1714564800 +0200\ncommitter git-distill <git-distill@localhost> 1714564800 +0200\n\nm\n`);
  });

  test('updateRefCas creates, moves and refuses stale or existing refs with E_STORE_RACE_LOST', async () => {
    const r = await repo();
    const tree = await r.git.mktree([]);
    const c1 = await r.git.commitTree({ tree, parents: [], message: '1\n', identity: ID, date: '2024-01-01T00:00:00Z' });
    const c2 = await r.git.commitTree({ tree, parents: [c1], message: '2\n', identity: ID, date: '2024-01-01T00:00:00Z' });
    const ref = 'refs/heads/distill';
    await r.git.updateRefCas(ref, c1, null, 'create');
    expect(await codeOf(r.git.updateRefCas(ref, c2, null, 'create again'))).toBe('E_STORE_RACE_LOST');
    await r.git.updateRefCas(ref, c2, c1, 'move');
    expect(await codeOf(r.git.updateRefCas(ref, c1, c1, 'stale'))).toBe('E_STORE_RACE_LOST');
    expect(await r.git.resolveRef(ref)).toBe(c2);
    expect(await codeOf(r.git.updateRefCas('distill', c1, c2, 'short name'))).toBe('E_INTERNAL');
  });

  test('a held ref lock is a lost race whose hint names the lock file', async () => {
    const r = await repo();
    const tree = await r.git.mktree([]);
    const c1 = await r.git.commitTree({ tree, parents: [], message: '1\n', identity: ID, date: '2024-01-01T00:00:00Z' });
    await r.git.updateRefCas('refs/heads/distill', c1, null, 'create');
    await Bun.write(`${r.dir}/.git/refs/heads/distill.lock`, '');
    let e: unknown = null;
    try {
      await r.git.updateRefCas('refs/heads/distill', c1, c1, 'locked');
    } catch (err) {
      e = err;
    }
    expect(isDistillError(e) ? e.code : null).toBe('E_STORE_RACE_LOST');
    expect(isDistillError(e) ? e.hint : null).toContain('refs/heads/distill.lock');
  });

  test('records streams NUL-separated output and fails at the end on a non-zero exit', async () => {
    const r = await repo();
    await r.commit({ 'a.txt': 'a' }, 'first');
    await r.commit({ 'b.txt': 'b' }, 'second');
    const subjects: string[] = [];
    for await (const rec of r.git.records(['log', '-z', '--format=%s'], 0)) subjects.push(rec);
    expect(subjects).toEqual(['second', 'first']);
    const failing = (async () => {
      for await (const _ of r.git.records(['log', 'no-such-rev'], 10)) void _;
    })();
    expect(await codeOf(failing)).toBe('E_GIT_FAILED');
  });
});

describe('formatGitDate', () => {
  test('keeps the stated offset and converts to seconds', () => {
    expect(formatGitDate('2024-05-01T12:00:00Z')).toBe('1714564800 +0000');
    expect(formatGitDate('2024-05-01T14:00:00+02:00')).toBe('1714564800 +0200');
    expect(formatGitDate('2024-05-01T07:30:00.900-0430')).toBe('1714564800 -0430');
  });

  test('refuses a date without a timezone, which would depend on the machine', () => {
    expect(() => formatGitDate('2024-05-01T12:00:00')).toThrow(/timezone/);
    expect(() => formatGitDate('yesterday')).toThrow(/timezone/);
  });
});

describe('parseRawTree', () => {
  test('reads modes, names and binary oids', () => {
    const oid = 'ab'.repeat(20);
    const bytes = new Uint8Array([...new TextEncoder().encode('40000 dir\0'), ...Buffer.from(oid, 'hex')]);
    expect(parseRawTree(bytes, 20)).toEqual([{ mode: '040000', type: 'tree', oid, name: 'dir' }]);
    expect(() => parseRawTree(bytes.subarray(0, 15), 20)).toThrow(/malformed/);
  });
});

describe('git errors', () => {
  test('name the subcommand even after -c options', async () => {
    const r = await repo();
    let e: unknown = null;
    try {
      await r.git.commitTree({ tree: '0'.repeat(40), parents: [], message: 'm\n', identity: ID, date: '2024-01-01T00:00:00Z' });
    } catch (err) {
      e = err;
    }
    expect(isDistillError(e) ? e.message : String(e)).toMatch(/^git commit-tree failed \(exit 128\): fatal: /);
  });
});

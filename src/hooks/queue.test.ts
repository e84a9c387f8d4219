// Tests of the post-commit queue and the post-rewrite files: parsing, claiming safely against a concurrent append, listing.
import { afterEach, describe, expect, test } from 'bun:test';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimQueue, drainQueue, finishClaim, listRewrites, parseQueue, parseRewritePairs, queuePath, readQueue, rewritesDir } from './queue.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(64);

const dirs: string[] = [];
function gitDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'distill-queue-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function enqueue(dir: string, ...oids: string[]): void {
  mkdirSync(join(dir, 'distill'), { recursive: true });
  for (const oid of oids) appendFileSync(queuePath(dir), `${oid}\n`);
}

describe('parseQueue', () => {
  test('keeps the first occurrence of each oid in order and reports lines that are not oids', () => {
    expect(parseQueue(`${B}\n${A}\n${B}\n\nnot-an-oid\n${C}\n${A.slice(0, 20)}`)).toEqual({
      oids: [B, A, C],
      invalid: ['not-an-oid', A.slice(0, 20)],
    });
  });
});

describe('claimQueue / finishClaim', () => {
  test('an empty or missing queue yields nothing', async () => {
    const dir = gitDir();
    expect(await drainQueue(dir)).toEqual({ oids: [], invalid: [] });
    expect(await readQueue(dir)).toEqual({ oids: [], invalid: [] });
  });

  test('takes every queued oid and leaves an empty state behind', async () => {
    const dir = gitDir();
    enqueue(dir, A, B, A);
    expect((await readQueue(dir)).oids).toEqual([A, B]);
    expect(await drainQueue(dir)).toEqual({ oids: [A, B], invalid: [] });
    expect(readdirSync(join(dir, 'distill'))).toEqual([]);
  });

  test('a commit queued after the claim starts a new queue and is not lost', async () => {
    const dir = gitDir();
    enqueue(dir, A);
    const claim = await claimQueue(dir);
    enqueue(dir, B);
    await finishClaim(dir, claim);
    expect(claim.oids).toEqual([A]);
    expect(readFileSync(queuePath(dir), 'utf8')).toBe(`${B}\n`);
  });

  test('bytes a late writer put into the claimed file go back onto the queue', async () => {
    const dir = gitDir();
    enqueue(dir, A);
    const claim = await claimQueue(dir);
    // A post-commit that opened the queue before the rename writes into the claimed file.
    appendFileSync(claim.files[0]!.path, `${B}\n`);
    await finishClaim(dir, claim);
    expect(claim.oids).toEqual([A]);
    expect(readFileSync(queuePath(dir), 'utf8')).toBe(`${B}\n`);
    expect(existsSync(claim.files[0]!.path)).toBe(false);
  });

  test('a batch claimed by a worker that died is taken by the next claim', async () => {
    const dir = gitDir();
    enqueue(dir, A);
    const dead = await claimQueue(dir);
    enqueue(dir, B);
    const next = await claimQueue(dir);
    expect(dead.oids).toEqual([A]);
    expect(next.oids).toEqual([A, B]);
    await finishClaim(dir, next);
    expect(readdirSync(join(dir, 'distill'))).toEqual([]);
  });
});

describe('post-rewrite files', () => {
  test('lists published files oldest first and skips ones still being written', async () => {
    const dir = gitDir();
    const rw = rewritesDir(dir);
    mkdirSync(rw, { recursive: true });
    writeFileSync(join(rw, 'rebase.Zz9'), `${A} ${B}\n`);
    writeFileSync(join(rw, 'amend.Aa1'), `${B} ${A}\n`);
    writeFileSync(join(rw, '.amend.Qq5'), 'partial');
    utimesSync(join(rw, 'rebase.Zz9'), 1000, 1000);
    utimesSync(join(rw, 'amend.Aa1'), 2000, 2000);
    expect((await listRewrites(dir)).map((f) => [f.kind, f.path])).toEqual([
      ['rebase', join(rw, 'rebase.Zz9')],
      ['amend', join(rw, 'amend.Aa1')],
    ]);
  });

  test('parses git pairs, with or without extra info', () => {
    expect(parseRewritePairs(`${A} ${B}\n${B} ${C} extra\nbroken\n`)).toEqual({
      pairs: [
        { old_oid: A, new_oid: B },
        { old_oid: B, new_oid: C },
      ],
      invalid: ['broken'],
    });
  });
});

// One behaviour suite for every DistillStore implementation (git-bug's repo_testing.go pattern): the twin may only differ in speed.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { isDistillError } from '../errors.ts';
import { commitDir, FORMAT_CONTENT, FORMAT_FILE, LEDGER_MODELS_FILE, playbookFile, receiptFile } from './layout.ts';
import { writeWithRetry, type DistillStore, type StoreChange } from './store.ts';

export interface StoreFixture {
  store: DistillStore;
  cleanup(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (b: Uint8Array | null | undefined) => (b === null || b === undefined ? null : dec.decode(b));

/** A deterministic fake source oid: `n` as 40 hex digits, spread over fan-out folders by its first byte. */
export function fakeOid(n: number, fanout = n): string {
  return (fanout % 256).toString(16).padStart(2, '0') + n.toString(16).padStart(38, '0');
}

const DATE = '2024-05-01T12:00:00Z';

function change(
  source: string,
  expected: string | null,
  files: Record<string, string>,
  derived: Record<string, string | null> = {},
): StoreChange {
  return {
    source_oid: source,
    subject: `subject of ${source.slice(0, 7)}`,
    files: new Map(Object.entries(files).map(([k, v]) => [k, bytes(v)])),
    derived: new Map(Object.entries(derived).map(([k, v]) => [k, v === null ? null : bytes(v)])),
    expected_head: expected,
    date: DATE,
  };
}

function textMap(m: Map<string, Uint8Array> | null): Record<string, string> | null {
  return m === null ? null : Object.fromEntries([...m].map(([k, v]) => [k, dec.decode(v)]));
}

async function expectRaceLost(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(isDistillError(err) ? err.code : String(err)).toBe('E_STORE_RACE_LOST');
    return;
  }
  throw new Error('expected E_STORE_RACE_LOST, but the write succeeded');
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(isDistillError(err) ? err.code : String(err)).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Run the store behaviour suite against one implementation. */
export function runStoreConformance(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`DistillStore conformance: ${name}`, () => {
    let fx: StoreFixture;
    beforeEach(async () => {
      fx = await makeStore();
    });
    afterEach(async () => {
      await fx.store.close();
      await fx.cleanup();
    });

    const A = fakeOid(1, 0xab);
    const B = fakeOid(2, 0xab);
    const C = fakeOid(3, 0x07);

    test('starts empty: no head, no sources, no history', async () => {
      const s = fx.store;
      expect(await s.head()).toBeNull();
      expect(await s.listSources()).toEqual([]);
      expect(await s.readCommit(A)).toBeNull();
      expect(await s.readPath(FORMAT_FILE)).toBeNull();
      expect(await s.listPaths('')).toEqual([]);
      expect(await collect(s.history())).toEqual([]);
    });

    test('reads back what it wrote, with FORMAT at the root of the first write', async () => {
      const s = fx.store;
      const h = await s.write(
        change(A, null, { 'manifest.json': '{"a":1}', [receiptFile('collect')]: '{"r":1}' }, { [LEDGER_MODELS_FILE]: 'l1\n' }),
      );
      expect(h).toMatch(/^[0-9a-f]{40}$/);
      expect(await s.head()).toBe(h);
      expect(textMap(await s.readCommit(A))).toEqual({ 'manifest.json': '{"a":1}', 'receipts/collect.json': '{"r":1}' });
      expect(text(await s.readPath(FORMAT_FILE))).toBe(FORMAT_CONTENT);
      expect(text(await s.readPath(`${commitDir(A)}/manifest.json`))).toBe('{"a":1}');
      expect(text(await s.readPath(LEDGER_MODELS_FILE))).toBe('l1\n');
      expect(await s.readPath('ledger')).toBeNull();
      expect(await s.readPath('missing.json')).toBeNull();
      expect(await s.listPaths('')).toEqual([
        FORMAT_FILE,
        `${commitDir(A)}/manifest.json`,
        `${commitDir(A)}/receipts/collect.json`,
        LEDGER_MODELS_FILE,
      ]);
    });

    test('readPaths reads many files at one head, in the order asked, null for a missing file or a folder', async () => {
      const s = fx.store;
      expect(await Array.fromAsync(s.readPaths([`${commitDir(A)}/manifest.json`]))).toEqual([[`${commitDir(A)}/manifest.json`, null]]);
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a', 'evidence.jsonl': 'ea\n' }));
      await s.write(change(B, h1, { 'manifest.json': 'b' }));
      const [p0, p1, p2, p3, p4] = [`${commitDir(B)}/manifest.json`, `${commitDir(A)}/evidence.jsonl`, `${commitDir(A)}/nope.json`, commitDir(A), `${commitDir(A)}/manifest.json`];
      const got = (await Array.fromAsync(s.readPaths([p0, p1, p2, p3, p4]))).map(([p, b]) => [p, b === null ? null : text(b)]);
      expect(got).toEqual([
        [p0, 'b'],
        [p1, 'ea\n'],
        [p2, null],
        [p3, null],
        [p4, 'a'],
      ]);
    });

    test('replaces a commit folder whole: files left out of the new write disappear', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'v1', 'evidence.jsonl': 'e1\n', 'receipts/score.json': 's' }));
      await s.write(change(A, h1, { 'manifest.json': 'v2', 'scored.jsonl': 's2\n' }));
      expect(textMap(await s.readCommit(A))).toEqual({ 'manifest.json': 'v2', 'scored.jsonl': 's2\n' });
      expect(await s.listPaths(commitDir(A))).toEqual([`${commitDir(A)}/manifest.json`, `${commitDir(A)}/scored.jsonl`]);
    });

    test('keeps other commit folders, including one in the same fan-out folder', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }));
      const h2 = await s.write(change(B, h1, { 'manifest.json': 'b' }));
      await s.write(change(C, h2, { 'manifest.json': 'c' }));
      expect(await s.listSources()).toEqual([C, A, B].sort());
      expect(textMap(await s.readCommit(A))).toEqual({ 'manifest.json': 'a' });
      expect(textMap(await s.readCommit(B))).toEqual({ 'manifest.json': 'b' });
      expect(textMap(await s.readCommit(C))).toEqual({ 'manifest.json': 'c' });
    });

    test('adds, replaces and deletes derived files; a deleted last file removes its folder', async () => {
      const s = fx.store;
      const h1 = await s.write(
        change(A, null, { 'manifest.json': 'a' }, { [playbookFile('p1')]: 'one', [playbookFile('p2')]: 'two', [LEDGER_MODELS_FILE]: 'l' }),
      );
      const h2 = await s.write(change(B, h1, { 'manifest.json': 'b' }, { [playbookFile('p1')]: 'one!', [playbookFile('p2')]: null }));
      expect(await s.listPaths('playbooks')).toEqual([playbookFile('p1')]);
      expect(text(await s.readPath(playbookFile('p1')))).toBe('one!');
      expect(await s.readPath(playbookFile('p2'))).toBeNull();
      await s.write(change(C, h2, { 'manifest.json': 'c' }, { [LEDGER_MODELS_FILE]: null, 'playbooks/absent.json': null }));
      expect(await s.listPaths('ledger')).toEqual([]);
      expect((await s.listPaths('')).filter((p) => !p.startsWith('commits/'))).toEqual([FORMAT_FILE, playbookFile('p1')]);
    });

    test('a null derived directory deletes the directory before the same change adds into it', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }, { [playbookFile('old1')]: 'x', [playbookFile('old2')]: 'y' }));
      await s.write(change(B, h1, { 'manifest.json': 'b' }, { playbooks: null, [playbookFile('new')]: 'z' }));
      expect(await s.listPaths('playbooks')).toEqual([playbookFile('new')]);
    });

    test('a stale expected_head loses the race and changes nothing', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }));
      await expectRaceLost(s.write(change(B, null, { 'manifest.json': 'b' })));
      const h2 = await s.write(change(B, h1, { 'manifest.json': 'b' }));
      await expectRaceLost(s.write(change(C, h1, { 'manifest.json': 'c' })));
      await expectRaceLost(s.write(change(C, fakeOid(999), { 'manifest.json': 'c' })));
      expect(await s.head()).toBe(h2);
      expect(await s.listSources()).toEqual([A, B].sort());
    });

    test('the first write loses when the ref already exists, even with the same content', async () => {
      const s = fx.store;
      await s.write(change(A, null, { 'manifest.json': 'a' }));
      await expectRaceLost(s.write(change(A, null, { 'manifest.json': 'a' })));
    });

    test('history lists distill commits newest first with their source oids', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }));
      const h2 = await s.write(change(C, h1, { 'manifest.json': 'c' }));
      const h3 = await s.write(change(A, h2, { 'manifest.json': 'a2' }));
      expect(new Set([h1, h2, h3]).size).toBe(3);
      expect(await collect(s.history())).toEqual([
        { commit: h3, source_oid: A },
        { commit: h2, source_oid: C },
        { commit: h1, source_oid: A },
      ]);
    });

    test('merge commits theirs as second parent with the given files set and deleted on top of our tree', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }, { [LEDGER_MODELS_FILE]: 'old', [playbookFile('p')]: 'p' }));
      const h2 = await s.write(change(B, h1, { 'manifest.json': 'b' }));
      const files = new Map<string, Uint8Array | null>([
        [`${commitDir(C)}/manifest.json`, bytes('c')],
        [`${commitDir(C)}/${receiptFile('collect')}`, bytes('r')],
        [LEDGER_MODELS_FILE, bytes('new')],
        ['playbooks', null],
        ['meta/approvals.txt', bytes('x\ny\n')],
      ]);
      const m = await s.merge({ theirs: h1, expected_head: h2, files, subject: 'from origin', date: DATE });
      expect(await s.head()).toBe(m);
      expect(await s.listSources()).toEqual([A, B, C].sort());
      expect(textMap(await s.readCommit(C))).toEqual({ 'manifest.json': 'c', [receiptFile('collect')]: 'r' });
      expect(text(await s.readPath(LEDGER_MODELS_FILE))).toBe('new');
      expect(await s.listPaths('playbooks')).toEqual([]);
      expect(text(await s.readPath('meta/approvals.txt'))).toBe('x\ny\n');
      expect(text(await s.readPath(FORMAT_FILE))).toBe(FORMAT_CONTENT);
      // A merge names no source commit; history follows first parents (ours).
      expect(await collect(s.history())).toEqual([
        { commit: m, source_oid: null },
        { commit: h2, source_oid: B },
        { commit: h1, source_oid: A },
      ]);
    });

    test('merge always commits, even when the tree stays ours, and loses the race on a stale head', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }));
      const h2 = await s.write(change(B, h1, { 'manifest.json': 'b' }));
      const m = await s.merge({ theirs: h1, expected_head: h2, files: new Map(), subject: 'nothing new', date: DATE });
      expect(m).not.toBe(h2);
      expect(textMap(await s.readCommit(B))).toEqual({ 'manifest.json': 'b' });
      await expectRaceLost(s.merge({ theirs: h1, expected_head: h2, files: new Map(), subject: 'stale', date: DATE }));
      expect(await s.head()).toBe(m);
    });

    test('merge refuses a head it cannot read, FORMAT in the files, and unsafe paths', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }));
      await expectCode(s.merge({ theirs: fakeOid(77), expected_head: h1, files: new Map(), subject: 'x', date: DATE }), 'E_STORE_CORRUPT');
      await expectCode(s.merge({ theirs: h1, expected_head: h1, files: new Map([[FORMAT_FILE, bytes('x')]]), subject: 'x', date: DATE }), 'E_INTERNAL');
      await expectCode(s.merge({ theirs: h1, expected_head: h1, files: new Map([['../x', bytes('x')]]), subject: 'x', date: DATE }), 'E_INTERNAL');
      expect(await s.head()).toBe(h1);
    });

    test('a write that changes nothing returns the head and adds no commit', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }, { [LEDGER_MODELS_FILE]: 'l' }));
      const again = await s.write(change(A, h1, { 'manifest.json': 'a' }, { [LEDGER_MODELS_FILE]: 'l', 'playbooks/none.json': null }));
      expect(again).toBe(h1);
      expect((await collect(s.history())).length).toBe(1);
    });

    test('a change without a source commit writes meta and derived files only, titled "distill: <subject>"', async () => {
      const s = fx.store;
      const h1 = await s.write(change(A, null, { 'manifest.json': 'a' }, { [LEDGER_MODELS_FILE]: 'l1' }));
      const meta: StoreChange = {
        source_oid: null,
        subject: 'approve playbook x',
        files: new Map(),
        derived: new Map([
          ['meta/playbook-approvals.jsonl', bytes('{"a":1}\n')],
          [LEDGER_MODELS_FILE, bytes('l2')],
        ]),
        expected_head: h1,
        date: DATE,
      };
      const h2 = await s.write(meta);
      expect(h2).not.toBe(h1);
      expect(text(await s.readPath('meta/playbook-approvals.jsonl'))).toBe('{"a":1}\n');
      expect(text(await s.readPath(LEDGER_MODELS_FILE))).toBe('l2');
      // The folder it did not name is untouched.
      expect(textMap(await s.readCommit(A))).toEqual({ 'manifest.json': 'a' });
      expect(await s.listSources()).toEqual([A]);
      expect(await collect(s.history())).toEqual([
        { commit: h2, source_oid: null },
        { commit: h1, source_oid: A },
      ]);
      // The same decision again changes nothing; a stale head still loses.
      expect(await s.write({ ...meta, expected_head: h2 })).toBe(h2);
      await expectRaceLost(s.write({ ...meta, expected_head: h1 }));
      // Folder files need a source commit.
      await expectCode(s.write({ ...meta, expected_head: h2, files: new Map([['manifest.json', bytes('x')]]) }), 'E_INTERNAL');
    });

    test('bytes round-trip exactly, including non-UTF-8 and empty files', async () => {
      const s = fx.store;
      const raw = new Uint8Array([0, 255, 10, 13, 0xc3, 0x28, 1, 2]);
      await s.write({ ...change(A, null, { 'empty.json': '' }), files: new Map([['bin.dat', raw], ['empty.json', new Uint8Array(0)]]) });
      const back = await s.readCommit(A);
      expect([...(back?.get('bin.dat') ?? [])]).toEqual([...raw]);
      expect(back?.get('empty.json')?.length).toBe(0);
    });

    test('rejects unsafe paths, bad oids, derived paths under commits/, and a file over a folder', async () => {
      const s = fx.store;
      await expectCode(s.write(change(A, null, { '../escape': 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, { '.git/config': 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, { 'a//b': 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, { 'a\nb': 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, {})), 'E_INTERNAL');
      await expectCode(s.write(change('abc', null, { 'manifest.json': 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, { 'manifest.json': 'x' }, { [`${commitDir(B)}/manifest.json`]: 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, { 'manifest.json': 'x' }, { [FORMAT_FILE]: 'x' })), 'E_INTERNAL');
      await expectCode(s.write(change(A, null, { receipts: 'x', 'receipts/a.json': 'y' })), 'E_INTERNAL');
      const h1 = await s.write(change(A, null, { 'manifest.json': 'x' }, { [LEDGER_MODELS_FILE]: 'l' }));
      await expectCode(s.write(change(B, h1, { 'manifest.json': 'x' }, { ledger: 'now a file' })), 'E_INTERNAL');
      await expectCode(s.write(change(B, h1, { 'manifest.json': 'x' }, { [`${LEDGER_MODELS_FILE}/x`]: 'under a file' })), 'E_INTERNAL');
      expect(await s.head()).toBe(h1);
      await expectCode(s.readCommit('not-an-oid'), 'E_INTERNAL');
    });

    test('writeWithRetry rebuilds the change from the new head after a lost race', async () => {
      const s = fx.store;
      const heads: Array<string | null> = [];
      const sleeps: number[] = [];
      let interfered = false;
      const h = await writeWithRetry(
        s,
        async (head) => {
          heads.push(head);
          if (!interfered) {
            interfered = true;
            // Another writer lands between our read of head and our write.
            await s.write(change(B, head, { 'manifest.json': 'other' }));
          }
          const { expected_head: _ignored, ...rest } = change(A, head, { 'manifest.json': `built on ${head ?? 'nothing'}` });
          return rest;
        },
        { attempts: 3, sleep: async (ms) => void sleeps.push(ms) },
      );
      expect(heads.length).toBe(2);
      expect(heads[0]).toBeNull();
      expect(heads[1]).not.toBeNull();
      expect(sleeps).toEqual([10]);
      expect(await s.head()).toBe(h);
      expect(textMap(await s.readCommit(A))).toEqual({ 'manifest.json': `built on ${heads[1]}` });
      expect(await s.listSources()).toEqual([A, B].sort());
    });

    test('writeWithRetry gives up with E_STORE_RACE_LOST after its attempts', async () => {
      const s = fx.store;
      let n = 0;
      const p = writeWithRetry(
        s,
        async (head) => {
          n++;
          await s.write(change(fakeOid(100 + n), head, { 'manifest.json': 'x' }));
          const { expected_head: _ignored, ...rest } = change(A, head, { 'manifest.json': 'a' });
          return rest;
        },
        { attempts: 3, sleep: async () => {} },
      );
      await expectRaceLost(p);
      expect(n).toBe(3);
      expect(await s.readCommit(A)).toBeNull();
    });

    test('read-after-write holds for any sequence of folder writes (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              source: fc.integer({ min: 0, max: 5 }),
              files: fc.dictionary(fc.constantFrom('manifest.json', 'evidence.jsonl', 'receipts/a.json'), fc.string(), {
                minKeys: 1,
              }),
              ledger: fc.option(fc.string(), { nil: null }),
            }),
            { minLength: 1, maxLength: 5 },
          ),
          async (writes) => {
            const local = await makeStore();
            try {
              const model = new Map<string, Record<string, string>>();
              let ledger: string | null = null;
              for (const w of writes) {
                const oid = fakeOid(w.source, w.source % 2);
                await local.store.write(change(oid, await local.store.head(), w.files, { [LEDGER_MODELS_FILE]: w.ledger }));
                model.set(oid, { ...w.files });
                ledger = w.ledger;
              }
              expect(await local.store.listSources()).toEqual([...model.keys()].sort());
              for (const [oid, files] of model) expect(textMap(await local.store.readCommit(oid))).toEqual(files);
              expect(text(await local.store.readPath(LEDGER_MODELS_FILE))).toBe(ledger);
            } finally {
              await local.store.close();
              await local.cleanup();
            }
          },
        ),
        { numRuns: 12, seed: 20240501 },
      );
      // Each run builds a fresh store (a git repository for the git store): a budget, not a speed claim.
    }, 60_000);
  });
}

// The distill branch in git, written with plumbing only (blob → tree → commit → compare-and-swap update-ref); never the working tree or the index.
import { DistillError } from '../errors.ts';
import type { CatFileBatch, Git, TreeEntry, TreeWriter } from '../io/git.ts';
import {
  buildCommitMessage,
  buildMergeMessage,
  commitDir,
  COMMITS_DIR,
  DISTILL_IDENTITY,
  FORMAT_CONTENT,
  FORMAT_FILE,
  FORMAT_VERSION,
  isSourceOid,
  parseCommitSource,
  parseFormat,
} from './layout.ts';
import {
  assertSourceOid,
  assertStorePath,
  validateChange,
  validateMerge,
  type DistillStore,
  type HistoryEntry,
  type MergeChange,
  type StoreChange,
} from './store.ts';

export interface GitStoreOptions {
  git: Git;
  /** Full ref name, usually DEFAULT_DISTILL_REF. */
  ref: string;
  /** Goes into the Distill-Tool trailer. */
  tool_version: string;
}

/** A node of the edit trie: which entries of one tree change. Only trees on an edited path are rebuilt. */
interface EditNode {
  /** Start this path from nothing (delete what was there) before applying children and blob. */
  del: boolean;
  /** Set this path to a blob. */
  blob: string | null;
  children: Map<string, EditNode>;
  /** Whether this subtree writes anything; a pure delete under a missing path is a no-op. */
  has_sets: boolean;
}

const newNode = (): EditNode => ({ del: false, blob: null, children: new Map(), has_sets: false });

function nodeAt(root: EditNode, path: string, marksSets: boolean): EditNode {
  let node = root;
  if (marksSets) node.has_sets = true;
  for (const name of path.split('/')) {
    let child = node.children.get(name);
    if (child === undefined) {
      child = newNode();
      node.children.set(name, child);
    }
    if (marksSets) child.has_sets = true;
    node = child;
  }
  return node;
}

function clash(path: string, why: string): DistillError {
  return new DistillError('E_INTERNAL', `store path clash at ${JSON.stringify(path)}: ${why}`, { details: { path } });
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The git-backed DistillStore. Holds one `cat-file --batch` process until close(). */
export function createGitStore(opts: GitStoreOptions): DistillStore {
  const { git, ref } = opts;
  let batch: CatFileBatch | null = null;
  const reader = (): CatFileBatch => (batch ??= git.catFileBatch());

  const head = () => git.resolveRef(ref);

  /** Every file under a tree, as [path relative to that tree, blob oid], read with pipelined batch requests. */
  async function walk(treeOid: string, prefix: string): Promise<Array<[string, string]>> {
    const entries = (await reader().readTree(treeOid)) ?? [];
    const nested = await Promise.all(
      entries.map(async (e): Promise<Array<[string, string]>> => {
        const path = prefix === '' ? e.name : `${prefix}/${e.name}`;
        if (e.type === 'tree') return walk(e.oid, path);
        return e.type === 'blob' ? [[path, e.oid]] : [];
      }),
    );
    return nested.flat();
  }

  async function readBlob(oid: string): Promise<Uint8Array> {
    const obj = await reader().read(oid);
    if (obj === null || obj.type !== 'blob') {
      throw new DistillError('E_STORE_CORRUPT', `${ref} references a missing blob ${oid}`, {
        hint: 'check the repository with: git fsck',
        details: { ref, oid },
      });
    }
    return obj.content;
  }

  /** Throw unless the tree at `headOid` is a git-distill tree this version can write. */
  async function assertFormat(headOid: string): Promise<void> {
    const obj = await reader().read(`${headOid}:${FORMAT_FILE}`);
    const version = obj === null || obj.type !== 'blob' ? null : parseFormat(decoder.decode(obj.content));
    if (version === null) {
      throw new DistillError('E_STORE_CORRUPT', `${ref} is not a git-distill branch (no ${FORMAT_FILE} file at ${headOid})`, {
        hint: `a branch of that name already exists; point git-distill at another ref in .distill/config.json`,
        details: { ref, head: headOid },
      });
    }
    if (version > FORMAT_VERSION) {
      throw new DistillError('E_SCHEMA_VERSION_NEWER', `${ref} uses format ${version}; this git-distill writes format ${FORMAT_VERSION}`, {
        hint: 'upgrade git-distill',
        details: { ref, head: headOid, format: version },
      });
    }
  }

  async function writeNode(baseOid: string | null, node: EditNode, path: string, writer: TreeWriter): Promise<string | null> {
    const entries = new Map<string, TreeEntry>();
    if (baseOid !== null && !node.del) {
      for (const e of (await reader().readTree(baseOid)) ?? []) entries.set(e.name, e);
    }
    await Promise.all(
      [...node.children].map(async ([name, child]) => {
        const childPath = path === '' ? name : `${path}/${name}`;
        const existing = entries.get(name);
        if (child.blob !== null) {
          if (existing?.type === 'tree' && !child.del) throw clash(childPath, 'it is a directory');
          entries.set(name, { mode: '100644', type: 'blob', oid: child.blob, name });
          return;
        }
        if (existing !== undefined && existing.type !== 'tree') {
          if (child.del) entries.delete(name);
          else if (child.has_sets) throw clash(childPath, `${childPath} is a file`);
          // A delete below a file deletes nothing.
          if (!child.has_sets) return;
        } else if (existing === undefined && !child.has_sets) {
          return;
        }
        const base = child.del || existing?.type !== 'tree' ? null : existing.oid;
        const sub = await writeNode(base, child, childPath, writer);
        if (sub === null) entries.delete(name);
        else entries.set(name, { mode: '040000', type: 'tree', oid: sub, name });
      }),
    );
    // Git drops empty directories; so do we, so a store never holds an empty tree.
    if (entries.size === 0) return null;
    return writer.write([...entries.values()]);
  }

  async function raceLost(expected: string | null, found: string | null): Promise<never> {
    throw new DistillError('E_STORE_RACE_LOST', `${ref} moved while writing: expected ${expected ?? 'no ref'}, found ${found ?? 'no ref'}`, {
      hint: 'another git-distill wrote the branch first; run the command again',
      details: { ref, expected_old: expected, found },
    });
  }

  return {
    ref,
    head,

    async listSources() {
      const at = await head();
      if (at === null) return [];
      const fanout = (await reader().readTree(`${at}:${COMMITS_DIR}`)) ?? [];
      const lists = await Promise.all(
        fanout
          .filter((e) => e.type === 'tree')
          .map(async (e) =>
            ((await reader().readTree(e.oid)) ?? [])
              .filter((s) => s.type === 'tree' && isSourceOid(s.name) && s.name.startsWith(e.name))
              .map((s) => s.name),
          ),
      );
      return lists.flat().sort();
    },

    async readCommit(sourceOid) {
      assertSourceOid(sourceOid);
      const at = await head();
      if (at === null) return null;
      const tree = await reader().read(`${at}:${commitDir(sourceOid)}`);
      if (tree === null || tree.type !== 'tree') return null;
      const files = (await walk(tree.oid, '')).sort(([a], [b]) => (a < b ? -1 : 1));
      const contents = await Promise.all(files.map(([, oid]) => readBlob(oid)));
      return new Map(files.map(([path], i) => [path, contents[i]!]));
    },

    async readPath(path) {
      assertStorePath(path);
      const at = await head();
      if (at === null) return null;
      const obj = await reader().read(`${at}:${path}`);
      return obj === null || obj.type !== 'blob' ? null : obj.content;
    },

    async *readPaths(paths) {
      for (const p of paths) assertStorePath(p);
      const at = await head();
      const WINDOW = 256;
      // Keep up to WINDOW requests in flight on the one cat-file process; yield in order.
      for (let i = 0; i < paths.length; i += WINDOW) {
        const slice = paths.slice(i, i + WINDOW);
        const objects = at === null ? slice.map(() => null) : await Promise.all(slice.map((p) => reader().read(`${at}:${p}`)));
        for (const [j, path] of slice.entries()) {
          const obj = objects[j] ?? null;
          yield [path, obj !== null && obj.type === 'blob' ? obj.content : null] as [string, Uint8Array | null];
        }
      }
    },

    async listPaths(dir) {
      if (dir !== '') assertStorePath(dir);
      const at = await head();
      if (at === null) return [];
      const tree = await reader().read(dir === '' ? `${at}^{tree}` : `${at}:${dir}`);
      if (tree === null || tree.type !== 'tree') return [];
      // One recursive ls-tree instead of a cat-file round trip per tree: the whole history's folders in one spawn.
      const listed = await git.run(['ls-tree', '-r', '-z', '--full-tree', '--name-only', at, '--', ...(dir === '' ? [] : [dir])]);
      return listed.stdoutText
        .split('\0')
        .filter((p) => p !== '')
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },

    async write(change: StoreChange) {
      const v = validateChange(change);
      const current = await head();
      // Cheap early answer; the compare-and-swap in update-ref is what makes it safe.
      if (current !== change.expected_head) return raceLost(change.expected_head, current);

      let baseRoot: string | null = null;
      if (current !== null) {
        await assertFormat(current);
        const root = await reader().read(`${current}^{tree}`);
        if (root === null) {
          throw new DistillError('E_STORE_CORRUPT', `${ref} at ${current} has no tree`, { details: { ref, head: current } });
        }
        baseRoot = root.oid;
      }

      const sets: Array<[string, Uint8Array]> = [...v.folder];
      for (const [path, bytes] of v.derived) if (bytes !== null) sets.push([path, bytes]);
      if (current === null) sets.push([FORMAT_FILE, encoder.encode(FORMAT_CONTENT)]);
      const oids = await git.hashObjects(sets.map(([, bytes]) => bytes));

      const root = newNode();
      if (v.folder_path !== null) nodeAt(root, v.folder_path, false).del = true;
      for (const [path, bytes] of v.derived) if (bytes === null) nodeAt(root, path, false).del = true;
      sets.forEach(([path], i) => {
        nodeAt(root, path, true).blob = oids[i]!;
      });

      const writer = git.openTreeWriter();
      let newRoot: string | null;
      try {
        newRoot = await writeNode(baseRoot, root, '', writer);
      } finally {
        await writer.close();
      }
      if (newRoot === null) throw new DistillError('E_INTERNAL', 'a distill tree cannot be empty');
      if (current !== null && newRoot === baseRoot) return current;

      const commit = await git.commitTree({
        tree: newRoot,
        parents: current === null ? [] : [current],
        message: buildCommitMessage(v.source_oid, change.subject, opts.tool_version),
        identity: DISTILL_IDENTITY,
        date: change.date,
      });
      await git.updateRefCas(ref, commit, current, v.source_oid === null ? `git-distill: ${change.subject}` : `git-distill: distill ${v.source_oid}`);
      return commit;
    },

    async merge(change: MergeChange) {
      const files = validateMerge(change);
      const current = await head();
      if (current !== change.expected_head) return raceLost(change.expected_head, current);
      await assertFormat(current);
      // Theirs must be a git-distill tree this version can read: merging a foreign branch would corrupt ours.
      await assertFormat(change.theirs);
      const root = await reader().read(`${current}^{tree}`);
      if (root === null) throw new DistillError('E_STORE_CORRUPT', `${ref} at ${current} has no tree`, { details: { ref, head: current } });

      const sets = files.filter((f): f is [string, Uint8Array] => f[1] !== null);
      const oids = await git.hashObjects(sets.map(([, bytes]) => bytes));
      const edits = newNode();
      for (const [path, bytes] of files) if (bytes === null) nodeAt(edits, path, false).del = true;
      sets.forEach(([path], i) => {
        nodeAt(edits, path, true).blob = oids[i]!;
      });
      const writer = git.openTreeWriter();
      let newRoot: string | null;
      try {
        newRoot = await writeNode(root.oid, edits, '', writer);
      } finally {
        await writer.close();
      }
      if (newRoot === null) throw new DistillError('E_INTERNAL', 'a distill tree cannot be empty');
      const commit = await git.commitTree({
        tree: newRoot,
        parents: [current, change.theirs],
        message: buildMergeMessage(change.theirs, change.subject, opts.tool_version),
        identity: DISTILL_IDENTITY,
        date: change.date,
      });
      await git.updateRefCas(ref, commit, current, `git-distill: merge ${change.theirs}`);
      return commit;
    },

    async *history(): AsyncGenerator<HistoryEntry> {
      const at = await head();
      if (at === null) return;
      const args = ['log', '--no-show-signature', '--no-color', '--first-parent', '-z', '--format=%H%n%B', at, '--'];
      for await (const record of git.records(args, 0)) {
        const nl = record.indexOf('\n');
        const commit = nl < 0 ? record : record.slice(0, nl);
        yield { commit, source_oid: nl < 0 ? null : parseCommitSource(record.slice(nl + 1)) };
      }
    },

    async close() {
      if (batch !== null) await batch.close();
      batch = null;
    },
  };
}

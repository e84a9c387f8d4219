// The in-memory twin of the git store: same semantics (folders, derived files, compare-and-swap, history), no git.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { DistillError } from '../errors.ts';
import { buildCommitMessage, buildMergeMessage, commitDir, DEFAULT_DISTILL_REF, FORMAT_CONTENT, FORMAT_FILE, sourceOidOfPath } from './layout.ts';
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

interface MemoryCommit {
  parent: string | null;
  /** The second parent of a merge. */
  merged: string | null;
  source_oid: string | null;
  files: ReadonlyMap<string, Uint8Array>;
}

export interface MemoryStoreOptions {
  ref: string;
  tool_version: string;
}

const encoder = new TextEncoder();

function sameFiles(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, bytes] of a) {
    const other = b.get(path);
    if (other === undefined || Buffer.compare(bytes, other) !== 0) return false;
  }
  return true;
}

function clash(path: string, why: string): DistillError {
  return new DistillError('E_INTERNAL', `store path clash at ${JSON.stringify(path)}: ${why}`, { details: { path } });
}

/** An in-memory DistillStore; commit ids are content hashes, so the same writes give the same ids. */
export function createMemoryStore(opts: MemoryStoreOptions = { ref: DEFAULT_DISTILL_REF, tool_version: '0.0.0' }): DistillStore {
  const commits = new Map<string, MemoryCommit>();
  let headOid: string | null = null;

  const filesAtHead = (): ReadonlyMap<string, Uint8Array> =>
    headOid === null ? new Map() : (commits.get(headOid)?.files ?? new Map());

  return {
    ref: opts.ref,

    async head() {
      return headOid;
    },

    async listSources() {
      const oids = new Set<string>();
      for (const path of filesAtHead().keys()) {
        const oid = sourceOidOfPath(path);
        if (oid !== null) oids.add(oid);
      }
      return [...oids].sort();
    },

    async readCommit(sourceOid) {
      assertSourceOid(sourceOid);
      const prefix = `${commitDir(sourceOid)}/`;
      const out = new Map<string, Uint8Array>();
      for (const [path, bytes] of filesAtHead()) {
        if (path.startsWith(prefix)) out.set(path.slice(prefix.length), bytes.slice());
      }
      return out.size === 0 ? null : new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
    },

    async readPath(path) {
      assertStorePath(path);
      return filesAtHead().get(path)?.slice() ?? null;
    },

    async *readPaths(paths) {
      const files = filesAtHead();
      for (const path of paths) {
        assertStorePath(path);
        yield [path, files.get(path)?.slice() ?? null] as [string, Uint8Array | null];
      }
    },

    async listPaths(dir) {
      if (dir !== '') assertStorePath(dir);
      const prefix = dir === '' ? '' : `${dir}/`;
      return [...filesAtHead().keys()].filter((p) => p.startsWith(prefix)).sort();
    },

    async write(change: StoreChange) {
      const v = validateChange(change);
      if (change.expected_head !== headOid) {
        throw new DistillError('E_STORE_RACE_LOST', `${opts.ref} moved while writing: expected ${change.expected_head ?? 'no ref'}, found ${headOid ?? 'no ref'}`, {
          hint: 'another git-distill wrote the branch first; run the command again',
          details: { ref: opts.ref, expected_old: change.expected_head, found: headOid },
        });
      }
      const base = filesAtHead();
      const next = new Map(base);
      if (headOid === null) next.set(FORMAT_FILE, encoder.encode(FORMAT_CONTENT));
      // Deletes first (the old folder, derived nulls, each a file or a whole directory), then sets.
      const deletes = [...(v.folder_path === null ? [] : [v.folder_path]), ...v.derived.filter(([, b]) => b === null).map(([p]) => p)];
      for (const del of deletes) {
        for (const path of [...next.keys()]) {
          if (path === del || path.startsWith(`${del}/`)) next.delete(path);
        }
      }
      const sets: Array<[string, Uint8Array]> = [...v.folder];
      for (const [path, bytes] of v.derived) if (bytes !== null) sets.push([path, bytes]);
      for (const [path] of sets) {
        const parts = path.split('/');
        for (let i = 1; i < parts.length; i++) {
          const dir = parts.slice(0, i).join('/');
          if (next.has(dir)) throw clash(path, `${dir} is a file`);
        }
        for (const existing of next.keys()) {
          if (existing.startsWith(`${path}/`)) throw clash(path, 'it is a directory');
        }
      }
      for (const [path, bytes] of sets) next.set(path, bytes.slice());
      if (headOid !== null && sameFiles(base, next)) return headOid;

      const treeDigest = sha256Hex(
        canonicalJson([...next].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, b]) => [p, sha256Hex(b)])),
      );
      const message = buildCommitMessage(v.source_oid, change.subject, opts.tool_version);
      const oid = sha256Hex(canonicalJson({ tree: treeDigest, parent: headOid, message, date: change.date })).slice(0, 40);
      commits.set(oid, { parent: headOid, merged: null, source_oid: v.source_oid, files: next });
      headOid = oid;
      return oid;
    },

    async merge(change: MergeChange) {
      const files = validateMerge(change);
      if (change.expected_head !== headOid) {
        throw new DistillError('E_STORE_RACE_LOST', `${opts.ref} moved while merging: expected ${change.expected_head}, found ${headOid ?? 'no ref'}`, {
          hint: 'another git-distill wrote the branch first; run the command again',
          details: { ref: opts.ref, expected_old: change.expected_head, found: headOid },
        });
      }
      if (!commits.has(change.theirs)) {
        throw new DistillError('E_STORE_CORRUPT', `cannot merge ${change.theirs}: no such distill commit`, {
          hint: 'fetch it first: git distill pull',
          details: { ref: opts.ref, theirs: change.theirs },
        });
      }
      const next = new Map(filesAtHead());
      for (const [del, bytes] of files) {
        if (bytes !== null) continue;
        for (const path of [...next.keys()]) if (path === del || path.startsWith(`${del}/`)) next.delete(path);
      }
      for (const [path, bytes] of files) {
        if (bytes === null) continue;
        const parts = path.split('/');
        for (let i = 1; i < parts.length; i++) if (next.has(parts.slice(0, i).join('/'))) throw clash(path, `${parts.slice(0, i).join('/')} is a file`);
        for (const existing of next.keys()) if (existing.startsWith(`${path}/`)) throw clash(path, 'it is a directory');
        next.set(path, bytes.slice());
      }
      const treeDigest = sha256Hex(canonicalJson([...next].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, b]) => [p, sha256Hex(b)])));
      const message = buildMergeMessage(change.theirs, change.subject, opts.tool_version);
      const oid = sha256Hex(canonicalJson({ tree: treeDigest, parents: [headOid, change.theirs], message, date: change.date })).slice(0, 40);
      commits.set(oid, { parent: headOid, merged: change.theirs, source_oid: null, files: next });
      headOid = oid;
      return oid;
    },

    async *history(): AsyncGenerator<HistoryEntry> {
      let at = headOid;
      while (at !== null) {
        const c = commits.get(at);
        if (c === undefined) break;
        yield { commit: at, source_oid: c.source_oid };
        at = c.parent;
      }
    },

    async close() {},
  };
}

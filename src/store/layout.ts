// The distill branch's on-disk format: the ref name, every tree path and the commit message live here and nowhere else.

/** Default ref of the distill branch (configurable per repository). */
export const DEFAULT_DISTILL_REF = 'refs/heads/distill';

/** Remote-tracking refs of the distill branch, `refs/remotes/<remote>/distill`, as a test for a ref name. */
export function isRemoteDistillRef(ref: string): boolean {
  return /^refs\/remotes\/[^/]+\/distill$/.test(ref);
}

/** At the root of every distill tree; tells a reader which layout it is looking at. */
export const FORMAT_FILE = 'FORMAT';
export const FORMAT_VERSION = 1;
export const FORMAT_CONTENT = `git-distill ${FORMAT_VERSION}\n`;

/** Parse the FORMAT file: its version, or null when it is not a git-distill FORMAT file at all. */
export function parseFormat(content: string): number | null {
  const m = /^git-distill (\d+)\n?$/.exec(content);
  return m === null ? null : Number(m[1]);
}

export const COMMITS_DIR = 'commits';

/** The folder of one distilled source commit: `commits/<oid[0:2]>/<oid>`. */
export function commitDir(oid: string): string {
  return `${COMMITS_DIR}/${oid.slice(0, 2)}/${oid}`;
}

/** File names inside a commit folder. */
export const COMMIT_FILES = {
  manifest: 'manifest.json',
  evidence: 'evidence.jsonl',
  scored: 'scored.jsonl',
  quarantine: 'quarantine.jsonl',
  scratchpads: 'scratchpads.jsonl',
  drift: 'drift.json',
} as const;

export const RECEIPTS_DIR = 'receipts';

/** A stage's receipt inside a commit folder: `receipts/<stage>.json`. */
export function receiptFile(stage: string): string {
  return `${RECEIPTS_DIR}/${stage}.json`;
}

/** Derived files: recomputed from all commit folders, never merged by text. */
export const PLAYBOOKS_DIR = 'playbooks';
export const LEDGER_DIR = 'ledger';
export const LEDGER_MODELS_FILE = `${LEDGER_DIR}/models.jsonl`;

export function playbookFile(playbookId: string): string {
  return `${PLAYBOOKS_DIR}/${playbookId}.json`;
}

/** Append-only logs of people's decisions (playbook approvals, ...): line sets, so a sync merges them as the sorted union of their lines, never recomputed. */
export const META_DIR = 'meta';
export const PLAYBOOK_APPROVALS_FILE = `${META_DIR}/playbook-approvals.jsonl`;

/** Author and committer of every distill commit; with the injected date, the commit oid is reproducible. */
export const DISTILL_IDENTITY = { name: 'git-distill', email: 'git-distill@localhost' } as const;

export const TRAILER_SOURCE = 'Distill-Source';
export const TRAILER_TOOL = 'Distill-Tool';

/**
 * `distill <oid> <subject>`, a blank line, then the trailers. The subject is folded onto one line
 * (git shows only the first line in `log --oneline`, and a newline would break the trailer block).
 */
export function buildCommitMessage(sourceOid: string | null, subject: string, toolVersion: string): string {
  const oneLine = subject.replace(/\s+/g, ' ').trim();
  // A write that distills no commit (a playbook approval): `distill: <subject>`, no Distill-Source trailer.
  if (sourceOid === null) return `distill: ${oneLine}\n\n${TRAILER_TOOL}: git-distill/${toolVersion}\n`;
  const title = oneLine === '' ? `distill ${sourceOid}` : `distill ${sourceOid} ${oneLine}`;
  return `${title}\n\n${TRAILER_SOURCE}: ${sourceOid}\n${TRAILER_TOOL}: git-distill/${toolVersion}\n`;
}

export const TRAILER_MERGE = 'Distill-Merge';

/** A sync merge's message: `distill merge <subject>`, then the other head and the tool as trailers. */
export function buildMergeMessage(theirs: string, subject: string, toolVersion: string): string {
  const oneLine = subject.replace(/\s+/g, ' ').trim();
  return `distill merge${oneLine === '' ? '' : ` ${oneLine}`}\n\n${TRAILER_MERGE}: ${theirs}\n${TRAILER_TOOL}: git-distill/${toolVersion}\n`;
}

/** Where `git distill pull/push` fetches a remote's distill branch: `refs/remotes/<remote>/<branch>`, never the live ref. */
export function remoteTrackingRef(remote: string, ref: string): string {
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref.replace(/^refs\//, '');
  return `refs/remotes/${remote}/${branch}`;
}

/** The source oid a distill commit message names in its trailer, or null when it names none. */
export function parseCommitSource(message: string): string | null {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const trailers = paragraphs.length > 1 ? (paragraphs[paragraphs.length - 1] ?? '') : '';
  for (const line of trailers.split('\n')) {
    const m = /^Distill-Source:\s*([0-9a-f]{40}|[0-9a-f]{64})\s*$/.exec(line);
    if (m !== null) return m[1] ?? null;
  }
  return null;
}

/** A full source commit oid (sha1 or sha256, lowercase hex). */
export function isSourceOid(value: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}

/** The source oid a path `commits/<xx>/<oid>/...` belongs to, or null for any other path. */
export function sourceOidOfPath(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== COMMITS_DIR || parts.length < 3) return null;
  const [, fanout, oid] = parts;
  if (oid === undefined || !isSourceOid(oid) || oid.slice(0, 2) !== fanout) return null;
  return oid;
}

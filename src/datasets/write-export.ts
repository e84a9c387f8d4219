// Writes a built export to its folder: never over tracked files or a folder that is not an export, swapped in whole so a failure loses nothing.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { DistillError } from '../errors.ts';
import type { Git } from '../io/git.ts';

/** Marks a folder as ours: only a folder holding it (or an empty or new one) is replaced. */
export const EXPORT_MARKER = '.git-distill-export';
/** What an export folder holds: a datasets export never replaces a playbooks export, nor the reverse. */
export type ExportKind = 'datasets' | 'playbooks';
const markerContent = (kind: ExportKind) => `git-distill export 1 ${kind}\n`;

/** The kind a marker names; null for a marker written before kinds were recorded (either may replace it). */
function markerKind(text: string): string | null {
  const m = /^git-distill export 1(?: (\S+))?\s*$/.exec(text);
  return m?.[1] ?? null;
}

/** Refuse an output folder that holds tracked files of the repository, or files that are not a previous export of this kind. */
export async function assertExportTarget(git: Git, repoRoot: string, out: string, kind: ExportKind): Promise<void> {
  const rel = relative(repoRoot, out);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    // :(top) makes the pathspec relative to the repository root whatever directory the command ran in.
    const tracked = (await git.run(['ls-files', '-z', '--', `:(top)${rel}`])).stdoutText;
    if (tracked !== '') {
      throw new DistillError('E_USAGE', `--out ${out} holds files tracked by the repository; an export never replaces them`, {
        hint: 'name a folder outside the tracked tree with --out DIR',
        details: { path: out },
      });
    }
  }
  if (existsSync(out)) {
    if (!lstatSync(out).isDirectory()) {
      throw new DistillError('E_USAGE', `--out ${out} exists and is not a folder`, { hint: 'name a new or empty folder with --out DIR' });
    }
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes(EXPORT_MARKER)) {
      throw new DistillError('E_USAGE', `--out ${out} holds files that are not a git-distill export; they would be replaced`, {
        hint: 'name a new or empty folder with --out DIR',
        details: { path: out },
      });
    }
    if (entries.length > 0) {
      const held = markerKind(readFileSync(join(out, EXPORT_MARKER), 'utf8'));
      if (held !== null && held !== kind) {
        throw new DistillError('E_USAGE', `--out ${out} holds a git-distill ${held} export; a ${kind} export would replace it`, {
          hint: `name another folder with --out DIR (the ${held} export stays where it is)`,
          details: { path: out, holds: held },
        });
      }
    }
  }
}

/** Write every file into a sibling temporary folder, then swap it for `out` (the previous export goes only once the new one is whole). */
export function writeExportFolder(out: string, kind: ExportKind, files: ReadonlyMap<string, string>, pid: number): void {
  const tmp = `${out}.tmp-${pid}`;
  const old = `${out}.old-${pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const [path, text] of files) {
      const full = join(tmp, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, EXPORT_MARKER), markerContent(kind));
    mkdirSync(dirname(out), { recursive: true });
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(out) && existsSync(old)) renameSync(old, out);
    throw new DistillError('E_INPUT_UNREADABLE', `could not write the export to ${out}: ${(error as Error).message}`, {
      hint: 'check the folder is writable, or name another with --out DIR',
      details: { path: out },
      cause: error,
    });
  }
}

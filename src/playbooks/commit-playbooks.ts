// Which playbooks a distilled commit's runs created or updated, for `git distill show` and `log`.
import { PlaybookSchema, type PlaybookStatus } from '../../schemas/playbook.ts';
import type { DerivedView } from '../derived/derived-files.ts';
import { summarizeFolderFiles } from '../derived/folder-summary.ts';
import { playbookFile } from '../store/layout.ts';
import { playbookIdOf } from './compute-playbooks.ts';

export interface PlaybookMention {
  playbook_id: string;
  status: PlaybookStatus;
  /** `created`: this commit holds the playbook's earliest supporting run; `updated`: a later one. */
  how: 'created' | 'updated';
}

/** The playbooks at head that this folder's runs feed, sorted by id. */
export async function readCommitPlaybooks(view: DerivedView, sourceOid: string, files: ReadonlyMap<string, Uint8Array>): Promise<PlaybookMention[]> {
  let runs;
  try {
    runs = summarizeFolderFiles(sourceOid, files).groups.flatMap((g) => g.runs);
  } catch {
    // A folder that does not parse is reported by verify; it names no playbook.
    return [];
  }
  const ids = [...new Set(runs.map(playbookIdOf))].sort();
  const out: PlaybookMention[] = [];
  for (const id of ids) {
    const bytes = await view.readPath(playbookFile(id));
    if (bytes === null) continue;
    const parsed = PlaybookSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) continue;
    const p = parsed.data;
    const mine = runs.filter((r) => playbookIdOf(r) === id && r.category !== 'rejected' && p.source_run_ids.includes(r.run_id));
    if (!runs.some((r) => playbookIdOf(r) === id && p.source_run_ids.includes(r.run_id))) continue;
    out.push({ playbook_id: id, status: p.status, how: mine.some((r) => r.scored_at === p.created_at) ? 'created' : 'updated' });
  }
  return out;
}

export function renderMentions(mentions: readonly PlaybookMention[]): string {
  return mentions.map((m) => `${m.playbook_id} (${m.how}, ${m.status})`).join(', ');
}

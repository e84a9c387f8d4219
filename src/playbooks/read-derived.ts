// Reads the derived files at the distill branch's head: playbooks and the ledger, each record checked against its schema.
import { DistillError } from '../errors.ts';
import { PlaybookSchema, type Playbook } from '../../schemas/playbook.ts';
import { ModelLedgerEntrySchema, type ModelLedgerEntry } from '../../schemas/model-ledger-entry.ts';
import { parseRecord } from '../../schemas/versioned.ts';
import type { DerivedView } from '../derived/derived-files.ts';
import { LEDGER_MODELS_FILE, PLAYBOOKS_DIR, playbookFile } from '../store/layout.ts';

const decoder = new TextDecoder();

function corrupt(path: string, cause: unknown): DistillError {
  return new DistillError('E_STORE_CORRUPT', `${path} on the distill branch is not valid: ${(cause as Error)?.message ?? String(cause)}`, {
    hint: 'recompute it with: git distill run (or inspect with: git distill verify --all)',
    details: { path },
    cause,
  });
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw corrupt(path, cause);
  }
}

/** Every playbook at head, sorted by id. */
export async function readPlaybooks(view: DerivedView): Promise<Playbook[]> {
  const paths = (await view.listPaths(PLAYBOOKS_DIR)).filter((p) => p.endsWith('.json'));
  const out: Playbook[] = [];
  for await (const [path, bytes] of view.readPaths(paths)) {
    if (bytes === null) continue;
    out.push(parseRecord(PlaybookSchema, 'playbook', parseJson(path, decoder.decode(bytes))));
  }
  return out.sort((a, b) => (a.playbook_id < b.playbook_id ? -1 : 1));
}

/** One playbook, or null when no playbook has that id. */
export async function readPlaybook(view: DerivedView, id: string): Promise<Playbook | null> {
  if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(id)) return null;
  const bytes = await view.readPath(playbookFile(id));
  return bytes === null ? null : parseRecord(PlaybookSchema, 'playbook', parseJson(playbookFile(id), decoder.decode(bytes)));
}

/** The ledger at head, in file order (task type, then model). */
export async function readLedger(view: DerivedView): Promise<ModelLedgerEntry[]> {
  const bytes = await view.readPath(LEDGER_MODELS_FILE);
  if (bytes === null) return [];
  return decoder
    .decode(bytes)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseRecord(ModelLedgerEntrySchema, 'model-ledger-entry', parseJson(LEDGER_MODELS_FILE, l)));
}

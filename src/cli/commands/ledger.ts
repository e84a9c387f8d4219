// `git distill ledger`: how each model fares per task type (success with a Wilson interval, latency, cost, failures, rescuer); reads only.
import { EXIT } from '../../errors.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { openRepoStore } from '../../read/read-distilled.ts';
import { readLedger } from '../../playbooks/read-derived.ts';
import { describeNoRow, filterLedger, renderLedger, sortLedger } from '../../ledger/render-ledger.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill ledger [--task-type T] [--model M] [--json]

The model routing ledger, recomputed from every stored scored run on each distill: one row per task
type × model with its success rate and 95% Wilson interval, the runs behind it, latency p50/p95, cost
per run and per accepted run, the most common failure mode, and the model that most often rescued a
failed attempt. Sorted by task type, then success. Rows with fewer runs than ledger.min_samples
(default 5) say so: too few runs to trust.

A run counts for every model that attempted it (executor models, or every model but observers, people
and tools); it is a success for the model whose attempt came last when the run is accepted or partially
accepted. An earlier model's attempt in a run another model won is a failure ("retried") rescued by it.

A filter that selects no row says which name no row has and the closest one ("did you mean").

options:
  --task-type T  only rows of this task type
  --model M      only rows of this model
  --json         print {min_samples, entries: [ModelLedgerEntry + small_sample]}
  -h, --help     this help
`;

async function run(env: CliEnv, values: ParsedValues): Promise<number> {
  const { root, store } = await openRepoStore(env.cwd, env.version);
  try {
    const { config } = loadRepoConfig(root);
    const min = config.ledger.min_samples;
    const all = sortLedger(await readLedger(store));
    const filters = { task_type: typeof values['task-type'] === 'string' ? values['task-type'] : null, model: typeof values.model === 'string' ? values.model : null };
    const entries = filterLedger(all, filters);
    // A filter that selects nothing from a ledger that has rows says so (with the closest name), not "empty".
    const noRow = entries.length === 0 && all.length > 0 ? describeNoRow(all, filters) : null;
    if (values.json === true) {
      env.stdout(JSON.stringify({ min_samples: min, entries: entries.map((e) => ({ ...e, small_sample: e.sample_count < min })) }) + '\n');
      if (noRow !== null) env.stderr(`git-distill: ${noRow}\n`);
    } else {
      env.stdout(noRow !== null ? `${noRow}\n` : renderLedger(entries, min));
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export const ledgerCommand: Command = {
  name: 'ledger',
  summary: 'the model routing ledger: success, latency and cost per task type × model',
  help: HELP,
  options: { 'task-type': { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: false,
  run: (env, values) => run(env, values),
};

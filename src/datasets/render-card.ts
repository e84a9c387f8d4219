// The dataset card README.md: Hugging Face `configs` (one per dataset, splits declared), counts, source range, no-leak proof, curation; pure.
import type { ExportPlan, KindSummary } from './build-export.ts';
import { SPLIT_NAMES } from './curate.ts';

/** YAML scalars we write are paths and names; quote them so no character can change their meaning. */
const q = (s: string): string => JSON.stringify(s);

export function renderDatasetCard(input: { plan: ExportPlan; kinds: readonly KindSummary[]; refused: number }): string {
  const { plan, kinds } = input;
  const datasets = kinds.flatMap((k) => k.datasets);
  const withRows = datasets.filter((d) => d.rows > 0);
  const yaml: string[] = ['---', 'configs:'];
  if (withRows.length === 0) yaml.pop();
  for (const d of withRows) {
    yaml.push(`- config_name: ${q(d.config_name)}`, '  data_files:');
    for (const split of SPLIT_NAMES) {
      if (d.splits[split] === 0) continue;
      const path = split === 'train' ? `${d.dir}/${d.stem}.jsonl` : `${d.dir}/${d.stem}.${split}.jsonl`;
      yaml.push(`  - split: ${split}`, `    path: ${q(path)}`);
    }
  }
  yaml.push('tags:', '- git-distill', '---', '');

  const nd = plan.config.near_dup;
  const sp = plan.config.splits;
  const lines: string[] = [
    '# git-distill export',
    '',
    `Exported from the distill branch by \`${plan.command}\` (git-distill ${plan.tool_version}).`,
    '',
    `- source range: ${plan.since === null ? `every distilled commit reachable from HEAD ${plan.head.oid}` : `commits reachable from HEAD ${plan.head.oid} and not from ${plan.since.rev} (${plan.since.oid})`}`,
    `- distilled commits read: ${plan.commits}`,
    `- format: ${plan.format === 'trl' ? 'TRL conversational (tool-call arguments are objects)' : 'OpenAI fine-tuning JSONL (tool-call arguments are JSON strings; provenance in the line-matched *.provenance.jsonl sidecars)'}`,
    `- rows refused by a format validator: ${input.refused} (see refused.jsonl: which runs and why, never their text)`,
    '',
    '## Datasets',
    '',
    '| config | rows | train | validation | test | files |',
    '|---|---|---|---|---|---|',
    ...datasets.map((d) => `| ${d.config_name} | ${d.rows} | ${d.splits.train} | ${d.splits.validation} | ${d.splits.test} | ${d.files.length === 0 ? '(none)' : d.files.join(', ')} |`),
    '',
    '## Runs drawn from, by category',
    '',
    '| export | accepted | partially_accepted | rejected | needs_human_review |',
    '|---|---|---|---|---|',
    ...kinds.map((k) => `| ${k.kind} | ${k.runs_by_category.accepted} | ${k.runs_by_category.partially_accepted} | ${k.runs_by_category.rejected} | ${k.runs_by_category.needs_human_review} |`),
    '',
  ];
  const skipped = kinds.flatMap((k) => Object.entries(k.skipped_by_code).map(([code, n]) => `| ${k.kind} | ${code} | ${n} |`));
  if (skipped.length > 0) {
    lines.push('## Runs that gave no row, by reason', '', '| export | reason | runs |', '|---|---|---|', ...skipped, '', 'Each one is listed with its run id and the reason in the warnings of `receipts/<export>.json`.', '');
  }
  const sft = kinds.find((k) => k.kind === 'sft');
  if (sft !== undefined) {
    const others = sft.runs_by_category.partially_accepted + sft.runs_by_category.rejected + sft.runs_by_category.needs_human_review;
    lines.push(
      '## No-leak proof (SFT)',
      '',
      `SFT rows come only from runs scored \`accepted\`: ${sft.runs_by_category.accepted} accepted runs, ${others} of any other category.`,
      'Three checks hold it: the builder takes only accepted runs, every row is validated against a schema whose `category` admits only',
      '`accepted` (OpenAI rows: the sidecar line), and the written bytes are validated again. `receipts/sft.json` counts `runs:<category>`.',
      '',
    );
  }
  if (kinds.some((k) => k.kind === 'preference')) {
    lines.push(
      '## Preference pairs',
      '',
      "- human_override, retry: a rejected run against an accepted run of the same task; the prompt is what both runs saw, each side is",
      "  that run's own turns from where they part (its tool calls and results, then its answer).",
      '- consensus_split: one disputed claim of an auditor consensus vote; the majority\'s verdict and reason is chosen over each minority',
      "  vote's. The verifiers' prompt is not logged, so the user turn is rebuilt from the claim; the two sides are two voters of one",
      '  stored run, named `<run_id>#vote-<n>:<voter>`, and the pair is drawn whatever the category of that run.',
      '',
    );
  }
  const kto = kinds.find((k) => k.kind === 'kto');
  if (kto?.labels != null) {
    lines.push('## KTO balance', '', `desirable (label true): ${kto.labels.true}, undesirable (label false): ${kto.labels.false}.`, '');
  }
  lines.push(
    '## Curation',
    '',
    '- secrets: every text was redacted again at export with the project\'s rules; receipts count `redacted:<rule>`.',
    '- exact duplicates: sha256 of the text after NFKC, lower case, every run of whitespace made one space, trimmed.',
    `- near duplicates: MinHash over ${nd.shingle_words}-word shingles of that text (each word hashed with murmur3 x86_32, seed 0; a shingle is its`,
    `  words folded from h = ${nd.shingle_words} as h = fmix32((h * 0x9e3779b1 mod 2^32) xor word)), ${nd.num_perm} functions h_i(x) = fmix32(x xor seed_i) with`,
    `  seed_i the first 32 bits of sha256("minhash" NUL ${q(plan.config.seed)} NUL i), LSH with ${nd.bands} bands of ${nd.num_perm / nd.bands} rows; an estimated`,
    `  Jaccard >= ${nd.threshold} is a duplicate${nd.enabled ? '' : ' (disabled)'}.`,
    '- survivor of a duplicate cluster: rows are visited by time (the latest start among the runs a row draws on), then id, and a row',
    '  duplicating one already kept is dropped: the survivor never depends on the order the runs were read.',
    `- splits: by task group (task_id): u = the first 32 bits of sha256("split" NUL ${q(plan.config.seed)} NUL task_id) / 2^32; u < ${sp.train} is train,`,
    `  u < ${sp.train + sp.validation} validation, else test. A row's split depends on its task group alone, so a row never changes split and a task`,
    '  group never straddles splits. Adding runs that start after every run already exported keeps every row written before, byte for',
    '  byte (OpenAI sidecar line numbers aside), in the same file: their rows sort after every existing row. A run that starts',
    "  earlier (older logs distilled late) can win a duplicate cluster over an existing row, a run's own rows change when its score",
    '  or evidence does, and playbook chunks follow the playbooks, which are recomputed from every run. The RAG corpus is one train',
    '  split, its eval set one test split.',
    '- rag_eval: Ragas single-turn rows with `user_input`, `retrieved_contexts` and `reference` (the accepted answer); `response` is left out',
    '  for the system under test to fill, so no response metric is scored against a copy of its own reference.',
    '',
    '## Loading',
    '',
    '```python',
    'from datasets import load_dataset',
    ...withRows.slice(0, 1).map((d) => `ds = load_dataset("path/to/this/folder", ${q(d.config_name)})`),
    '```',
    '',
  );
  return yaml.join('\n') + lines.join('\n');
}

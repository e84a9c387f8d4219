// `git distill scratchpad <file...>`: agent notes, plans and TODO lists → ScratchpadSummary records (deterministic; optional LLM refinement).
import { readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { DistillError, EXIT } from '../../errors.ts';
import { loadConfig } from '../../config/load.ts';
import { parseScratchpad } from '../../scratchpad/parse-scratchpad.ts';
import { redactScratchpad } from '../../scratchpad/redact-scratchpad.ts';
import { buildRedactor } from '../../wiring.ts';
import { refineScratchpad, type LlmProvider, type RefineOutcome } from '../../scratchpad/refine-scratchpad.ts';
import { renderScratchpadSummary } from '../../scratchpad/render-scratchpad.ts';
import type { ScratchpadSummary } from '../../../schemas/scratchpad-summary.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill scratchpad <file>... [--json] [--no-llm] [--config FILE]

Summarize free-text agent notes, tree-split shards, plans, backlogs and TODO lists (Markdown or text) as
ScratchpadSummary records, by deterministic parsing: checkbox items by their box ([x] completed, [ ] pending,
[-] or [!] failed; fenced code is skipped); list items with an indented "Status:" line by their status
(done → completed, blocked or failed → failed with the item's whole "Blocker:" text, anything else →
pending); otherwise list items by their heading (Objective, Done, Failed, Next/TODO, Questions, Decisions)
and label lines such as "Next: ...". The objective is the Objective section's first paragraph, else the
first "## Objective: X" heading not marked done. Shell fences and "$ " lines are commands, paths are read
wherever they appear. Works outside a repository too.

When .distill/config.json sets scratchpad.llm {url, model, timeout_ms, api_key_env}, each summary is sent to
that OpenAI-compatible /v1/chat/completions endpoint, which may refine the objective, decisions, questions,
next command and validation_status; steps always stay as parsed. When the provider is absent, slow or
wrong, the deterministic summary stands with validation_status "unknown" (the reason goes to stderr).

options:
  --json         print a JSON array of ScratchpadSummary records, in the order given
  --no-llm       do not call the configured provider
  --config FILE  use this config instead of the nearest .distill/config.json
  -h, --help     this help
`;

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  if (positionals.length === 0) throw new DistillError('E_USAGE', 'scratchpad needs at least one file', { hint: 'git distill scratchpad notes/plan.md' });
  const { config } = loadConfig(env.cwd, typeof values.config === 'string' ? resolve(env.cwd, values.config) : null);
  const llm = values['no-llm'] === true ? null : config.scratchpad.llm;
  const redact = buildRedactor(config);
  const provider: LlmProvider | null =
    llm === null ? null : { url: llm.url, model: llm.model, timeout_ms: llm.timeout_ms, api_key: llm.api_key_env === null ? null : (env.env[llm.api_key_env] ?? null) };
  const summaries: ScratchpadSummary[] = [];
  for (const file of positionals) {
    const path = resolve(env.cwd, file);
    let bytes: Uint8Array;
    try {
      if (!statSync(path).isFile()) throw new Error('not a regular file');
      bytes = readFileSync(path);
    } catch (cause) {
      throw new DistillError('E_INPUT_NOT_FOUND', `cannot read scratchpad ${file}: ${(cause as Error).message}`, {
        hint: 'name a Markdown or text file, e.g. git distill scratchpad notes/plan.md',
        details: { path: file },
        cause,
      });
    }
    const shown = relative(env.cwd, path) || file;
    // Redacted like a stored summary, and before anything is sent to a provider: notes are where agents paste keys.
    const counts = new Map<string, number>();
    let summary = redactScratchpad(parseScratchpad({ run_id: `scratchpad:${shown}`, source_file: shown, bytes, recorded_at: env.now().toISOString() }), redact, counts);
    if (provider !== null) {
      const text = redact(new TextDecoder().decode(bytes), counts);
      const refined: RefineOutcome = await refineScratchpad(provider, summary, text, (url, init) => fetch(url, init));
      summary = refined.summary;
      if (refined.outcome !== 'refined') env.stderr(`git-distill: ${shown}: the LLM provider did not refine it (${refined.outcome}: ${refined.detail}); the deterministic summary stands\n`);
    }
    summaries.push(summary);
  }
  env.stdout(values.json === true ? JSON.stringify(summaries) + '\n' : summaries.map(renderScratchpadSummary).join('\n'));
  return EXIT.ok;
}

export const scratchpadCommand: Command = {
  name: 'scratchpad',
  summary: 'summarize agent notes, plans and TODO lists: objective, done/failed/pending steps, paths, next command',
  help: HELP,
  options: { json: { type: 'boolean' }, 'no-llm': { type: 'boolean' }, config: { type: 'string' } },
  allowPositionals: true,
  run,
};

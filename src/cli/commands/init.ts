// `git distill init`: write .distill/config.json with the sources found in this repository and on this machine, and ignore .distill/cache/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXIT } from '../../errors.ts';
import { CONFIG_PATH } from '../../config/load.ts';
import { createGit } from '../../io/git.ts';
import { discoverSources, type Discovery } from '../../read/discover-sources.ts';
import { planGitignore, renderInitConfig, type GitignoreAction } from '../../read/plan-init.ts';
import { readRepoRoot } from '../../read/read-distilled.ts';
import { DEFAULT_DISTILL_REF } from '../../store/layout.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill init [--force] [--json]

Write .distill/config.json (commit it) with the agent logs found for this repository, and add
.distill/cache/ to .gitignore. It looks for:
  data/_kb/*.jsonl, data/_auditor/, data/_observer/   the auditor loop's streams, in the repository
  ~/.claude/projects/<project>/                      Claude Code sessions whose cwd is this repository
                                                     (CLAUDE_CONFIG_DIR replaces ~/.claude)
  ~/.codex/sessions/**/rollout-*.jsonl               Codex rollouts whose cwd is this repository
                                                     (CODEX_HOME replaces ~/.codex)
  ~/.gemini/tmp/<sha256 of the path>/chats/          Gemini CLI sessions of this repository
  .aider.chat.history.md                             Aider's chat history, in the repository
and reports what it found and what it skipped, and why. Session files are named by absolute path;
edit the sources list to add or drop any. An existing config is kept unless --force.

options:
  --force     rewrite an existing .distill/config.json
  --json      print {root, config_path, config_written, config_existed, ref, sources, found, skipped,
              gitignore}
  -h, --help  this help
`;

interface InitResult {
  root: string;
  config_path: string;
  config_written: boolean;
  config_existed: boolean;
  discovery: Discovery | null;
  gitignore: GitignoreAction;
}

function renderText(r: InitResult): string {
  const lines: string[] = [];
  if (!r.config_written) {
    lines.push(`${CONFIG_PATH} already exists: kept it (git distill init --force rewrites it)`);
  } else {
    const d = r.discovery!;
    lines.push(`${r.config_existed ? 'rewrote' : 'wrote'} ${CONFIG_PATH} (ref ${DEFAULT_DISTILL_REF}, ${d.found.length} source${d.found.length === 1 ? '' : 's'})`);
    lines.push('', d.found.length === 0 ? 'found: nothing yet (add sources to the config by hand, or rerun init once logs exist)' : 'found:');
    const w = Math.max(0, ...d.found.map((f) => f.source.path.length));
    for (const f of d.found) lines.push(`  ${f.source.path.padEnd(w)}  ${f.source.format.padEnd(11)}  ${f.detail}`);
    if (d.skipped.length > 0) {
      lines.push('', 'skipped:');
      const sw = Math.max(0, ...d.skipped.map((s) => s.what.length));
      for (const s of d.skipped) lines.push(`  ${s.what.padEnd(sw)}  ${s.reason}`);
    }
    lines.push('');
  }
  const ignore = { created: 'created .gitignore with .distill/cache/', appended: 'added .distill/cache/ to .gitignore', unchanged: '.gitignore already ignores .distill/cache/' }[r.gitignore];
  lines.push(ignore);
  lines.push(`next: git add ${CONFIG_PATH} .gitignore && git distill hooks install`);
  return lines.join('\n') + '\n';
}

async function run(env: CliEnv, values: ParsedValues): Promise<number> {
  const root = await readRepoRoot(createGit({ cwd: env.cwd }));
  const configFile = join(root, CONFIG_PATH);
  const existed = existsSync(configFile);
  const write = !existed || values.force === true;
  let discovery: Discovery | null = null;
  if (write) {
    discovery = discoverSources({
      root,
      home: env.env['HOME'] || null,
      claude_dir: env.env['CLAUDE_CONFIG_DIR'] || null,
      codex_dir: env.env['CODEX_HOME'] || null,
    });
    mkdirSync(dirname(configFile), { recursive: true });
    writeFileSync(configFile, renderInitConfig(DEFAULT_DISTILL_REF, discovery.found.map((f) => f.source)));
  }
  const ignoreFile = join(root, '.gitignore');
  const plan = planGitignore(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : null);
  if (plan.action !== 'unchanged') writeFileSync(ignoreFile, plan.text);

  const result: InitResult = { root, config_path: configFile, config_written: write, config_existed: existed, discovery, gitignore: plan.action };
  if (values.json === true) {
    env.stdout(
      JSON.stringify({
        root,
        config_path: configFile,
        config_written: write,
        config_existed: existed,
        ref: write ? DEFAULT_DISTILL_REF : null,
        sources: discovery?.found.map((f) => f.source) ?? null,
        found: discovery?.found.map((f) => ({ path: f.source.path, format: f.source.format, files: f.files, detail: f.detail })) ?? null,
        skipped: discovery?.skipped ?? null,
        gitignore: plan.action,
      }) + '\n',
    );
  } else {
    env.stdout(renderText(result));
  }
  return EXIT.ok;
}

export const initCommand: Command = {
  name: 'init',
  summary: 'write .distill/config.json with the agent logs found for this repository',
  help: HELP,
  options: {
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  allowPositionals: false,
  run,
};

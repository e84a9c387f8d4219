// `git distill demo`: a temporary repository where an agent team commits with the hooks installed, then `git distill log`.
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EXIT } from '../../errors.ts';
import type { CliEnv, Command } from '../command.ts';
import { buildDemoSteps } from '../../demo/scenario.ts';
import { driftCommand } from './drift.ts';
import { runUserGit } from '../../io/user-git.ts';
import { initCommand } from './init.ts';
import { hooksCommand } from './hooks.ts';
import { hookCommand } from './hook.ts';
import { logCommand } from './log.ts';
import { verifyCommand } from './verify.ts';

const HELP = `usage: git distill demo

Builds a temporary repository, runs \`git distill init\` and \`git distill hooks install\`, then makes
three commits the way an agent team does, writing realistic logs beside them: Claude Code sessions
(a passing change, a fix that fails its tests once), the auditor loop's review, observer, applier and
human-override streams, one truncated log line and one credential in a command. The post-commit hook
distills each commit onto the distill branch; the demo ends by printing \`git distill log\` and
\`git distill verify --all\`. The repository is kept under your temp directory and its path is printed
so you can look around.
`;

async function run(env: CliEnv): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'git-distill-demo-'));
  // The demo is read by a person: narration and output share stdout so they stay in order.
  const say = (text: string) => env.stdout(text + '\n');
  const quiet: CliEnv = { ...env, cwd: dir, stdout: () => undefined, stderr: () => undefined };
  say(`demo repository: ${dir}`);
  runUserGit(dir, ['init', '-q', '-b', 'main']);
  runUserGit(dir, ['config', 'user.name', 'Demo Agent Team']);
  runUserGit(dir, ['config', 'user.email', 'agents@example.com']);
  runUserGit(dir, ['config', 'commit.gpgsign', 'false']);
  mkdirSync(join(dir, 'data', '_kb'), { recursive: true });
  mkdirSync(join(dir, 'agent-logs', 'claude-code'), { recursive: true });
  // The logs live beside the code but are not committed: agents append to them all day.
  writeFileSync(join(dir, '.gitignore'), 'agent-logs/\ndata/_kb/\n');
  writeFileSync(join(dir, 'README.md'), '# csv-tools\n');
  // The team's plan, ahead of the code as plans are: the drift report follows it commit by commit.
  mkdirSync(join(dir, 'docs'), { recursive: true });
  writeFileSync(join(dir, 'docs', 'PRD.md'), DEMO_PRD);
  runUserGit(dir, ['add', '-A']);
  const now = env.now();
  const base = new Date(now.getTime() - 40 * 60_000).toISOString();
  runUserGit(dir, ['commit', '-q', '-m', 'Initial commit'], { GIT_AUTHOR_DATE: base, GIT_COMMITTER_DATE: base });

  say('$ git distill init');
  await initCommand.run(quiet, {}, []);
  // init lists only sources that exist; the demo's agents start writing logs right after.
  writeFileSync(
    join(dir, '.distill', 'config.json'),
    JSON.stringify({ schema_version: 1, sources: [{ path: 'agent-logs/claude-code/*.jsonl' }, { path: 'data/_kb/*.jsonl' }] }, null, 2) + '\n',
  );
  say('$ git distill hooks install');
  await hooksCommand.run(quiet, {}, ['install']);
  runUserGit(dir, ['add', '-A']);
  runUserGit(dir, ['commit', '-q', '-m', 'Configure git-distill'], { GIT_AUTHOR_DATE: base, GIT_COMMITTER_DATE: base });
  await hookCommand.run(quiet, {}, ['worker']);

  // Built at run time: a credential-shaped token for the redaction to find (never a literal in source).
  const token = 'gh' + 'p_' + 'Demo0Token1Value2For3Redaction4Xyz5';
  const steps = buildDemoSteps(dir, now, token);
  const commitMinutesAgo = [25, 10, 3];
  for (const [i, step] of steps.entries()) {
    for (const [path, lines] of Object.entries(step.logs)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      appendFileSync(join(dir, path), lines.map((l) => l + '\n').join(''));
    }
    for (const [path, text] of Object.entries(step.files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const date = new Date(now.getTime() - commitMinutesAgo[i]! * 60_000).toISOString();
    say(`$ git commit -m "${step.subject}"    # ${step.note}`);
    runUserGit(dir, ['add', '-A']);
    runUserGit(dir, ['commit', '-q', '-m', step.subject], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    // The hook started a detached worker; wait for the queue to drain before the next commit.
    await hookCommand.run(quiet, {}, ['worker']);
  }

  say('\n$ git distill log');
  const code = await logCommand.run({ ...env, cwd: dir }, {}, []);
  say('$ git distill drift');
  await driftCommand.run({ ...env, cwd: dir, stderr: () => undefined }, {}, []);
  say('$ git distill verify --all');
  const verified = await verifyCommand.run({ ...env, cwd: dir }, { all: true }, []);
  const launcher = join(import.meta.dir, '..', '..', '..', 'bin', 'git-distill');
  say(`\nlook around: cd ${dir} && ${launcher} show HEAD~1`);
  say('(or `git distill show HEAD~1` once `npm link` has put git-distill on your PATH)');
  return code === EXIT.ok && verified === EXIT.ok ? EXIT.ok : EXIT.findings;
}

const DEMO_PRD = [
  '# csv-tools plan',
  '',
  '## Phase 1: Parsing ✅',
  '- [x] `parseCsvLine` in `src/csv.ts` splits a record, quotes included',
  '  Tests: `test/csv.test.ts`',
  '- [x] CRLF line endings',
  '',
  '## Phase 2: Fetching — shipped',
  '- [x] Retries in `src/fetch.ts` (`fetchWithRetry`)',
  '- [ ] Backoff with jitter',
  '',
].join('\n');

export const demoCommand: Command = {
  name: 'demo',
  summary: 'make commits with agent logs in a temp repository and show git distill log',
  help: HELP,
  options: {},
  allowPositionals: false,
  run,
};

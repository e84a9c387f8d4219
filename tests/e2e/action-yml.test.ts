// action.yml against the command it runs: each input reaches `git distill action` as a flag it accepts (or the variable it reads), each output it writes is declared.
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { z } from 'zod';
import { readActionEnv, type ActionEnv } from '../../src/action/env.ts';
import { runAction, type ActionDeps } from '../../src/action/run-action.ts';
import { actionCommand } from '../../src/cli/commands/action.ts';

const ROOT = join(import.meta.dir, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'distill-action-yml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const StepSchema = z.looseObject({ id: z.string().optional(), run: z.string().optional(), shell: z.string().optional(), env: z.record(z.string(), z.string()).optional() });
const ActionYmlSchema = z.looseObject({
  inputs: z.record(z.string(), z.looseObject({ description: z.string(), default: z.string().optional() })),
  outputs: z.record(z.string(), z.looseObject({ description: z.string(), value: z.string() })),
  runs: z.looseObject({ using: z.literal('composite'), steps: z.array(StepSchema) }),
});

const action = ActionYmlSchema.parse(parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')));
const runSteps = action.runs.steps.filter((s) => /\/bin\/git-distill"?\s+action\b/.test(s.run ?? ''));
const step = runSteps[0]!;

/** Inputs the command reads from the environment instead of a flag: a token on the command line would show in `ps`. */
const ENV_INPUTS: Record<string, keyof ActionEnv> = { token: 'token' };
const marker = (input: string) => `value-of-${input}`;

/** Run the step's script as the runner does (bash, inputs substituted into its env) with a git-distill that records what it was given. */
function runStep(): { argv: string[]; env: Map<string, string> } {
  const actionPath = join(dir, 'action');
  mkdirSync(join(actionPath, 'bin'), { recursive: true });
  const stub = join(actionPath, 'bin', 'git-distill');
  writeFileSync(stub, `#!/bin/sh\nprintf '%s\\0' "$@" > "$CAPTURE/argv"\nenv -0 > "$CAPTURE/env"\n`);
  chmodSync(stub, 0o755);
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GITHUB_ACTION_PATH: actionPath, CAPTURE: dir };
  for (const [name, value] of Object.entries(step.env ?? {})) {
    const input = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(value)?.[1];
    if (input === undefined) throw new Error(`env ${name} of the step is not an input: ${value}`);
    env[name] = marker(input);
  }
  const r = Bun.spawnSync(['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], { env });
  if (r.exitCode !== 0) throw new Error(`the step failed: ${r.stderr.toString()}`);
  const nul = (file: string) => readFileSync(join(dir, file), 'utf8').split('\0').slice(0, -1);
  return { argv: nul('argv'), env: new Map(nul('env').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
}

/** The names `git distill action` writes to GITHUB_OUTPUT, when the job passes and when it crashes. */
async function writtenOutputs(crash: boolean): Promise<string[]> {
  let written = '';
  const deps: ActionDeps = {
    env: { ...readActionEnv({ GITHUB_REPOSITORY: 'octo/proj', GITHUB_EVENT_PATH: 'event.json' }), output_path: 'GITHUB_OUTPUT' },
    event: { number: 1, action: 'synchronize', head_sha: 'b'.repeat(40), base_sha: 'a'.repeat(40), base_ref: 'main', merged_as: null },
    inputs: { fail_level: null, push: false, sarif_path: join(dir, 'out.sarif'), check_name: 'git-distill' },
    forge: null,
    distill: async () => {
      if (crash) throw new Error('boom');
      return 'distilled';
    },
    runChecks: async () => ({ reports: [], fail_level: 'block' }),
    linkMerged: async () => [],
    push: async () => 'pushed',
    writeFile: () => {},
    appendFile: (path, text) => {
      if (path === 'GITHUB_OUTPUT') written += text;
    },
    stdout: () => {},
    tool_version: '0.0.0',
  };
  await runAction(deps);
  return written
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(0, l.indexOf('=')));
}

/** The README's section on the action (up to the next `## ` heading). */
function readmeActionSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## The PR action\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('action.yml', () => {
  test('one step runs git distill action, and no input is spliced into a script', () => {
    expect(runSteps).toHaveLength(1);
    expect(step.id).toMatch(/^[A-Za-z_][\w-]*$/);
    expect(step.shell).toBe('bash');
    for (const s of action.runs.steps) expect(s.run ?? '').not.toContain('${{');
  });

  test('every input reaches the command: as the flag of the same name it accepts, or as the variable it reads', () => {
    const { argv, env } = runStep();
    expect(argv[0]).toBe('action');
    // The CLI's own parse: strict, so a flag the command does not accept fails here.
    const { values, positionals } = parseArgs({ args: argv.slice(1), options: actionCommand.options, allowPositionals: actionCommand.allowPositionals, strict: true });
    expect(positionals).toEqual([]);
    for (const input of Object.keys(action.inputs)) {
      const field = ENV_INPUTS[input];
      if (field === undefined) {
        expect({ input, value: values[input] }).toEqual({ input, value: marker(input) });
        continue;
      }
      const variable = [...env].find(([, v]) => v === marker(input))?.[0];
      expect({ input, variable }).toEqual({ input, variable: expect.any(String) });
      const read = readActionEnv({ GITHUB_REPOSITORY: 'octo/proj', GITHUB_EVENT_PATH: 'event.json', [variable!]: marker(input) });
      expect({ input, value: read[field] }).toEqual({ input, value: marker(input) });
    }
    // Every flag the step passes comes from an input.
    expect(Object.values(values).filter((v) => !Object.keys(action.inputs).some((i) => v === marker(i)))).toEqual([]);
  });

  test('every output the command writes is declared, pointing at the step that runs it, and none else', async () => {
    const passing = await writtenOutputs(false);
    expect(await writtenOutputs(true)).toEqual(passing);
    expect(Object.keys(action.outputs).sort()).toEqual([...passing].sort());
    for (const [name, output] of Object.entries(action.outputs)) {
      expect({ name, value: output.value }).toEqual({ name, value: `\${{ steps.${step.id}.outputs.${name} }}` });
    }
  });

  test("the README's action section and the command's help name every input and output", () => {
    const section = readmeActionSection();
    const help = actionCommand.help;
    for (const name of Object.keys(action.inputs)) expect({ name, in_readme: section.includes(`\`${name}\``) }).toEqual({ name, in_readme: true });
    for (const name of Object.keys(action.outputs)) {
      expect({ name, in_readme: section.includes(`\`${name}\``), in_help: new RegExp(`outputs:[^.]*\\b${name}\\b`).test(help) }).toEqual({ name, in_readme: true, in_help: true });
    }
  });
});

// `git distill playbooks list|show|approve|retire|export`: the procedures distilled from accepted runs, and a person's decision on each.
import { join, resolve } from 'node:path';
import { DistillError, EXIT } from '../../errors.ts';
import { loadRepoConfig } from '../../config/load.ts';
import { openDistillCache } from '../../distill/cache.ts';
import { assertExportTarget, writeExportFolder } from '../../datasets/write-export.ts';
import { openRepoStore } from '../../read/read-distilled.ts';
import { readPlaybook, readPlaybooks } from '../../playbooks/read-derived.ts';
import { renderPlaybookList, renderPlaybookMarkdown, renderPlaybookText } from '../../playbooks/render-playbook.ts';
import { writePlaybookDecision } from '../../playbooks/write-decision.ts';
import { PlaybookStatusSchema } from '../../../schemas/playbook.ts';
import type { Git } from '../../io/git.ts';
import type { CliEnv, Command, ParsedValues } from '../command.ts';

const HELP = `usage: git distill playbooks list [--status S] [--json]
       git distill playbooks show <id> [--json]
       git distill playbooks approve <id> [--json]
       git distill playbooks retire <id> [--json]
       git distill playbooks export --format md [--out DIR] [--json]

Playbooks are procedures distilled from the accepted and partially accepted runs of one task signature
(task type, normalized problem pattern, touched areas), with the failure modes and recoveries of the
rejected runs of the same signature. They are recomputed on every distill; each starts proposed.

  list      every playbook: id, status, task type, source runs, problem pattern
  show      one playbook: routing, escalation, recovery, criteria, commands, files, source runs
  approve   mark a playbook approved (recorded on the distill branch in meta/playbook-approvals.jsonl,
            so it survives recomputation and merges of two clones)
  retire    mark a playbook retired
  export    write one Markdown file per approved playbook (skill front matter: name, description) into
            a folder it owns: the folder is replaced whole, so a playbook retired since the last export
            leaves no file behind; a folder holding other files, or files tracked by the repository, is
            refused

options:
  --status S    list only playbooks with this status (proposed, approved, retired)
  --format md   the export format (md is the only one)
  --out DIR     where export writes (default: <git-dir>/distill/playbooks, outside the working tree)
  --json        print JSON: list → Playbook[], show → Playbook, approve/retire → {playbook_id, status, head},
                export → {out_dir, files}
  -h, --help    this help
`;

async function readIdentity(git: Git): Promise<string> {
  const read = async (key: string) => (await git.run(['config', '--get', key], { allowExit: [1] })).stdoutText.trim();
  const name = await read('user.name');
  const email = await read('user.email');
  if (name === '' && email === '') return 'unknown';
  return email === '' ? name : `${name} <${email}>`.trim();
}

function needId(positionals: string[], verb: string): string {
  const id = positionals[1];
  if (id === undefined || positionals.length > 2) {
    throw new DistillError('E_USAGE', `playbooks ${verb} takes one playbook id`, { hint: 'list the ids with: git distill playbooks list' });
  }
  return id;
}

function notFound(id: string): DistillError {
  return new DistillError('E_INPUT_NOT_FOUND', `no playbook ${JSON.stringify(id)} on the distill branch`, {
    hint: 'list the ids with: git distill playbooks list',
    details: { playbook_id: id },
  });
}

async function run(env: CliEnv, values: ParsedValues, positionals: string[]): Promise<number> {
  const verb = positionals[0] ?? 'list';
  const json = values.json === true;
  const { git, root, store } = await openRepoStore(env.cwd, env.version);
  try {
    if (verb === 'list') {
      if (positionals.length > 1) throw new DistillError('E_USAGE', 'playbooks list takes no arguments', { hint: 'git distill playbooks list --status approved' });
      let playbooks = await readPlaybooks(store);
      if (typeof values.status === 'string') {
        const status = PlaybookStatusSchema.safeParse(values.status);
        if (!status.success) throw new DistillError('E_USAGE', `--status must be proposed, approved or retired, got ${JSON.stringify(values.status)}`, { hint: 'git distill playbooks list --status approved' });
        playbooks = playbooks.filter((p) => p.status === status.data);
      }
      env.stdout(json ? JSON.stringify(playbooks) + '\n' : renderPlaybookList(playbooks));
      return EXIT.ok;
    }
    if (verb === 'show') {
      const id = needId(positionals, verb);
      const playbook = await readPlaybook(store, id);
      if (playbook === null) throw notFound(id);
      env.stdout(json ? JSON.stringify(playbook) + '\n' : renderPlaybookText(playbook));
      return EXIT.ok;
    }
    if (verb === 'approve' || verb === 'retire') {
      const id = needId(positionals, verb);
      if ((await readPlaybook(store, id)) === null) throw notFound(id);
      const status = verb === 'approve' ? 'approved' : 'retired';
      const { config } = loadRepoConfig(root);
      const cache = openDistillCache(root);
      try {
        const decision = { schema_version: 1 as const, playbook_id: id, status, by: await readIdentity(git), at: env.now().toISOString() } as const;
        // Under the step lock, so a distill running at the same time never interleaves with the cache's summaries.
        const head = await cache.withLock(() => writePlaybookDecision({ store, config, cache: cache.derived, sleep: (ms) => Bun.sleep(ms) }, decision));
        env.stdout(json ? JSON.stringify({ playbook_id: id, status, head }) + '\n' : `${id} is now ${status} (${store.ref} at ${head.slice(0, 12)})\n`);
      } finally {
        cache.close();
      }
      return EXIT.ok;
    }
    if (verb === 'export') {
      if (positionals.length > 1) throw new DistillError('E_USAGE', 'playbooks export takes no arguments', { hint: 'git distill playbooks export --format md --out skills/' });
      const format = values.format ?? 'md';
      if (format !== 'md') throw new DistillError('E_USAGE', `--format must be md, got ${JSON.stringify(format)}`, { hint: 'git distill playbooks export --format md' });
      // Like a dataset export: the folder is ours, replaced whole (a retired playbook's file goes with it),
      // and by default under the git dir, so the user's checkout is never touched (invariant 7).
      const outDir = typeof values.out === 'string' ? resolve(env.cwd, values.out) : join(await git.gitDir(), 'distill', 'playbooks');
      await assertExportTarget(git, root, outDir, 'playbooks');
      const approved = (await readPlaybooks(store)).filter((p) => p.status === 'approved');
      writeExportFolder(outDir, 'playbooks', new Map(approved.map((p) => [`${p.playbook_id}.md`, renderPlaybookMarkdown(p)])), process.pid);
      const files = approved.map((p) => join(outDir, `${p.playbook_id}.md`));
      if (json) env.stdout(JSON.stringify({ out_dir: outDir, files }) + '\n');
      else if (files.length === 0) env.stderr(`git-distill: no approved playbooks: ${outDir} holds none\n  next: git distill playbooks list, then git distill playbooks approve <id>\n`);
      else env.stdout(files.map((f) => `${f}\n`).join(''));
      return EXIT.ok;
    }
    throw new DistillError('E_USAGE', `unknown playbooks subcommand ${JSON.stringify(verb)}`, { hint: 'git distill help playbooks' });
  } finally {
    await store.close();
  }
}

export const playbooksCommand: Command = {
  name: 'playbooks',
  summary: 'procedures distilled from accepted runs: list, show, approve, retire, export as Markdown',
  help: HELP,
  options: {
    json: { type: 'boolean' },
    status: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
  },
  allowPositionals: true,
  run,
};

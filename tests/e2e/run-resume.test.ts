// A session log that grows between commits: the second read resumes mid-file and still maps every line.
import { afterAll, expect, test } from 'bun:test';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { resolveSamplesDir } from '../../src/collect/adapters/adapter-test-helper.ts';

const repos: TestRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.cleanup();
});

for (const [format, file] of [
  ['codex', 'test_conversation_codex.jsonl'],
  ['claude-code', 'fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl'],
] as const) {
  test(`a ${format} session read in two parts gives the same evidence as one read, with nothing quarantined`, async () => {
    const repo = await makeRepo();
    repos.push(repo);
    const all = readFileSync(join(resolveSamplesDir(format), file), 'utf8').split(/(?<=\n)/);
    const half = Math.floor(all.length / 2);
    mkdirSync(join(repo.dir, 'sessions'), { recursive: true });
    const log = join(repo.dir, 'sessions', file);
    writeFileSync(log, all.slice(0, half).join(''));
    const config = JSON.stringify({ schema_version: 1, sources: [{ path: 'sessions/*.jsonl' }] });
    const c1 = await repo.commit({ '.distill/config.json': config, 'a.txt': 'a\n' }, 'first');
    const r1 = await runCliCaptured(['run', c1, '--json'], { cwd: repo.dir });
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    appendFileSync(log, all.slice(half).join(''));
    const c2 = await repo.commit({ 'b.txt': 'b\n' }, 'second');
    const r2 = await runCliCaptured(['run', c2, '--json', '--attach'], { cwd: repo.dir });
    expect(r2.code).toBe(0);
    const [first] = JSON.parse(r1.stdout) as Array<Record<string, number>>;
    const [second] = JSON.parse(r2.stdout) as Array<Record<string, number>>;
    const whole = JSON.parse((await runCliCaptured(['ingest', log, '--json'], { cwd: repo.dir })).stdout);
    expect(whole.quarantined).toBe(0);
    expect(first!["quarantined"]! + second!["quarantined"]!).toBe(0);
    expect(first!["lines"]! + second!["lines"]!).toBe(whole.lines);
    // --attach on the second commit took every record read so far: the whole session.
    expect(second!["evidence"]).toBe(whole.evidence);
  });
}

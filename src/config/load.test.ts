// Config loading: errors name the file and field; a repository never picks up a config from above it.
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadRepoConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'gd-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a repository ignores a config in a parent directory; ingest (no repository) finds it upward', () => {
  mkdirSync(join(dir, '.distill'), { recursive: true });
  writeFileSync(join(dir, '.distill', 'config.json'), JSON.stringify({ schema_version: 1, sources: [{ path: 'x/*.jsonl' }] }));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  expect(loadRepoConfig(repo)).toMatchObject({ path: null, config: { sources: [] } });
  expect(loadConfig(repo).path).toBe(join(dir, '.distill', 'config.json'));
});

test('an invalid config names the file and the field, and says what to do', () => {
  const repo = join(dir, 'bad');
  mkdirSync(join(repo, '.distill'), { recursive: true });
  writeFileSync(join(repo, '.distill', 'config.json'), '{"schema_version": 1, "link": {"slack_seconds": -5}}');
  expect(() => loadRepoConfig(repo)).toThrow(/config\.json is invalid: link\.slack_seconds/);
  writeFileSync(join(repo, '.distill', 'config.json'), '{"schema_version": 2}');
  expect(() => loadRepoConfig(repo)).toThrow(/newer than this git-distill understands/);
});

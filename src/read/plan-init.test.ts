// planGitignore and renderInitConfig: the cache line added exactly once, the config valid and minimal.
import { describe, expect, test } from 'bun:test';
import { parseConfig } from '../config/load.ts';
import { planGitignore, renderInitConfig } from './plan-init.ts';

describe('planGitignore', () => {
  test('creates the file when there is none', () => {
    expect(planGitignore(null)).toEqual({ text: '.distill/cache/\n', action: 'created' });
  });

  test('appends after a last line without a newline, keeping CRLF files CRLF', () => {
    expect(planGitignore('node_modules/')).toEqual({ text: 'node_modules/\n.distill/cache/\n', action: 'appended' });
    expect(planGitignore('dist/\r\nnode_modules/')).toEqual({ text: 'dist/\r\nnode_modules/\r\n.distill/cache/\n', action: 'appended' });
    expect(planGitignore('')).toEqual({ text: '.distill/cache/\n', action: 'appended' });
  });

  test('leaves a file alone that already ignores the cache in any usual spelling', () => {
    for (const line of ['.distill/cache/', '/.distill/cache', '  .distill/cache/**  ']) {
      expect(planGitignore(`a\n${line}\nb\n`).action).toBe('unchanged');
    }
  });

  test('is idempotent', () => {
    const once = planGitignore('x\n').text;
    expect(planGitignore(once)).toEqual({ text: once, action: 'unchanged' });
  });
});

describe('renderInitConfig', () => {
  test('writes only schema_version, ref and sources, and loads back as a valid config', () => {
    const text = renderInitConfig('refs/heads/distill', [{ path: 'data/_kb/*.jsonl', format: 'auto', enabled: true }]);
    expect(JSON.parse(text)).toEqual({ schema_version: 1, ref: 'refs/heads/distill', sources: [{ path: 'data/_kb/*.jsonl', format: 'auto', enabled: true }] });
    expect(parseConfig(text, 'config.json').sources).toHaveLength(1);
  });

  test('refuses a ref that is not a full ref name', () => {
    expect(() => renderInitConfig('distill', [])).toThrow();
  });
});

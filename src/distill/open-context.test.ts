// Configured sources: a committed config cannot point a relative source outside the repository.
import { expect, test } from 'bun:test';
import { assertInsideRepo } from './open-context.ts';

test('relative sources inside the repository pass; climbing out needs an absolute path', () => {
  for (const ok of ['data/_kb/*.jsonl', 'logs', './agent-logs/**/*.jsonl', '/home/me/.claude/projects/x']) {
    expect(() => assertInsideRepo(ok, '/repo')).not.toThrow();
  }
  for (const bad of ['../secrets/*.jsonl', 'data/../../etc', '..']) {
    expect(() => assertInsideRepo(bad, '/repo')).toThrow(/points outside the repository/);
  }
});

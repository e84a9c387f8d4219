// Tests for the session-format helpers: validation detection, commit ids, patch paths, paths, timestamps, token deltas.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import {
  buildCommandOutcome,
  computeRelativePath,
  computeTokenDelta,
  computeTokenMax,
  extractCommitOids,
  extractPatchPaths,
  extractValidation,
  parseTimestamp,
  renderErrorLine,
  renderShort,
} from './session-common.ts';
import type { TokenCounts } from './session-common.ts';

describe('extractValidation', () => {
  const tests = [
    'npm test',
    'npm run test:unit -- --watch=false',
    'pnpm test',
    'yarn test',
    'bun test src/',
    'npx jest --ci',
    'npx vitest run',
    'pytest -q tests/',
    'python -m pytest -x',
    'python3 -m unittest discover',
    'go test ./...',
    'cargo test --workspace',
    'make test',
    './gradlew clean test',
    'cd app && CI=1 npm test',
    'FOO=1 timeout 60 go test ./pkg/...',
  ];
  for (const command of tests) {
    test(`recognises "${command}" as a test run`, () => {
      expect(extractValidation(command, true)).toEqual({ name: 'tests', passed: true, detail: command });
      expect(extractValidation(command, false)?.passed).toBe(false);
    });
  }

  test('names typecheck, lint and build runs apart from tests', () => {
    expect(extractValidation('npx tsc --noEmit', true)?.name).toBe('typecheck');
    expect(extractValidation('cargo clippy -- -D warnings', true)?.name).toBe('lint');
    expect(extractValidation('npm run build', false)?.name).toBe('build');
  });

  test('ignores commands that only mention tests', () => {
    expect(extractValidation('python test_diverse_simple.py', true)).toBeNull();
    expect(extractValidation('cat tests/README.md', true)).toBeNull();
    expect(extractValidation('grep -r "npm test" docs', true)).toBeNull();
    expect(extractValidation('npx tsc', true)).toBeNull();
  });
});

describe('buildCommandOutcome', () => {
  test('marks a non-zero exit and a failed test run', () => {
    const outcome = buildCommandOutcome('go test ./...', 2, false, 'FAIL');
    expect(outcome.command_run).toEqual({ command: 'go test ./...', exit_code: 2 });
    expect(outcome.failure_markers).toEqual(['exit_code:2:go test ./...', 'tests_failed:go test ./...']);
    expect(outcome.success_markers).toEqual([]);
  });

  test('names no commit when the commit failed', () => {
    expect(buildCommandOutcome('git commit -m x', 1, false, '[main abc1234] x').oids).toEqual([]);
    expect(buildCommandOutcome('git commit -m x', 0, true, '[main abc1234] x').oids).toEqual(['abc1234']);
  });
});

describe('extractCommitOids', () => {
  test('reads the new commit from git commit output, root commits included', () => {
    expect(extractCommitOids('git commit -m "init"', '[main (root-commit) 1a2b3c4] init\n 1 file changed')).toEqual(['1a2b3c4']);
    expect(extractCommitOids('git -C repo commit --amend', '[feature/x 0123456789abcdef] msg')).toEqual(['0123456789abcdef']);
  });

  test('reads the pushed side of a push, not the old one', () => {
    expect(extractCommitOids('git push', 'To github.com:o/r.git\n   6eea407..5c1b231  main -> main')).toEqual(['5c1b231']);
  });

  test('names nothing for commands that are not commit or push', () => {
    expect(extractCommitOids('git log -1', 'commit 5c1b2313d0e1c0f0a1b2c3d4e5f60718293a4b5c')).toEqual([]);
    expect(extractCommitOids('echo "[main abc1234] x"', '[main abc1234] x')).toEqual([]);
  });
});

describe('extractPatchPaths', () => {
  test('lists added, updated, deleted and moved paths once each', () => {
    const patch = [
      '*** Begin Patch',
      '*** Add File: src/new.ts',
      '+x',
      '*** Update File: src/old.ts',
      '*** Move to: src/renamed.ts',
      '@@',
      '-a',
      '+b',
      '*** Delete File: src/gone.ts',
      '*** Update File: src/new.ts',
      '*** End Patch',
    ].join('\n');
    expect(extractPatchPaths(patch)).toEqual(['src/new.ts', 'src/old.ts', 'src/renamed.ts', 'src/gone.ts']);
  });
});

describe('computeRelativePath', () => {
  test('makes paths inside the cwd relative and leaves others absolute', () => {
    expect(computeRelativePath('/work/app/src/a.ts', '/work/app')).toBe('src/a.ts');
    expect(computeRelativePath('/work/app-other/a.ts', '/work/app')).toBe('/work/app-other/a.ts');
    expect(computeRelativePath('/work/app', '/work/app')).toBe('/work/app');
  });

  test('resolves a relative path against the tool workdir first', () => {
    expect(computeRelativePath('lib/b.ts', '/work/app', '/work/app/pkg')).toBe('pkg/lib/b.ts');
    expect(computeRelativePath('./lib/../c.ts', null)).toBe('c.ts');
  });
});

describe('parseTimestamp', () => {
  test('normalizes to UTC with Z and rejects what is not a date-time', () => {
    expect(parseTimestamp('2025-09-19T09:02:12.446Z')).toBe('2025-09-19T09:02:12.446Z');
    expect(parseTimestamp('2025-09-19T11:02:12+02:00')).toBe('2025-09-19T09:02:12.000Z');
    expect(parseTimestamp('1')).toBeNull();
    expect(parseTimestamp('2025-13-45T99:99:99Z')).toBeNull();
    expect(parseTimestamp(1758272532)).toBeNull();
  });
});

describe('rendering', () => {
  test('keeps the first non-blank line of an error without the tool_use_error tag', () => {
    expect(renderErrorLine('\n<tool_use_error>File has not been read yet.</tool_use_error>\nmore')).toBe('File has not been read yet.');
  });

  test('caps long summaries with an ellipsis', () => {
    expect(renderShort('a  b\n c')).toBe('a b c');
    expect(renderShort('x'.repeat(10), 5)).toBe('xxxx…');
  });
});

describe('token deltas', () => {
  const counts = fc.record({ input: fc.nat(1e6), output: fc.nat(1e6), cached: fc.nat(1e6) });

  test('sum to the largest cumulative usage seen, whatever repeats', () => {
    fc.assert(
      fc.property(fc.array(counts, { minLength: 1, maxLength: 20 }), (snapshots) => {
        // Cumulative usage only grows: build a non-decreasing series from the random steps, with repeats.
        const series: TokenCounts[] = [];
        let acc: TokenCounts = { input: 0, output: 0, cached: 0 };
        for (const step of snapshots) {
          acc = { input: acc.input + step.input, output: acc.output + step.output, cached: acc.cached + step.cached };
          series.push(acc, acc);
        }
        let counted: TokenCounts | null = null;
        const sum = { input: 0, output: 0, cached: 0 };
        for (const current of series) {
          const delta = computeTokenDelta(current, counted);
          counted = computeTokenMax(counted, current);
          sum.input += delta.input;
          sum.output += delta.output;
          sum.cached += delta.cached;
        }
        expect(sum).toEqual(acc);
      }),
    );
  });
});

// Detection of the lakehouse streams: by file name (rotated names too) and, for renamed copies, by the first line's keys.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NAME_CONFIDENCE, SIGNATURE_CONFIDENCE } from './detect-stream.ts';
import { LAKEHOUSE_ADAPTERS, LAKEHOUSE_STREAM_NAMES, detectLakehouse, matchesStreamFileName } from './index.ts';

const FIXTURES = join(import.meta.dir, '../../../../tests/fixtures/lakehouse');
// First lines of real agent logs (../shared/samples: a Claude Code session, a Codex rollout), inlined so the test needs no checkout beside ours.
const CLAUDE_CODE_FIRST = {
  parentUuid: null,
  isSidechain: false,
  userType: 'external',
  cwd: '/Users/chip/dev/ai-music',
  sessionId: 'fed8ce56-bc79-401f-a83e-af084253362f',
  version: '1.0.17',
  type: 'user',
  message: { role: 'user', content: 'push to github' },
  uuid: 'ed356c9b-5106-4a60-b082-60e90997ce2b',
  timestamp: '2025-06-10T12:36:23.208Z',
};
const CODEX_FIRST = {
  timestamp: '2025-09-19T09:02:12.457Z',
  type: 'session_meta',
  payload: { id: '01996135-afde-7911-97f0-d863511eca56', cwd: '/proj/gai/claude-code', originator: 'codex_vscode', cli_version: '0.39.0' },
};

function firstLine(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as unknown;
}

function detectedId(path: string, first: unknown): string | null {
  return detectLakehouse({ path, first })?.adapter.id ?? null;
}

describe('detection by file name', () => {
  for (const stream of LAKEHOUSE_STREAM_NAMES) {
    test(`picks lakehouse:${stream} for ${stream}.jsonl with name confidence`, () => {
      const path = join(FIXTURES, `${stream}.jsonl`);
      const found = detectLakehouse({ path, first: firstLine(path) });
      expect(found?.adapter.id).toBe(`lakehouse:${stream}`);
      expect(found?.confidence).toBe(NAME_CONFIDENCE);
    });
  }

  test('accepts rotated names of a stream', () => {
    for (const path of [
      'data/_kb/scrum_reviews.jsonl',
      'data/_kb/scrum_reviews.2026-04-26.jsonl',
      'scrum_reviews-1.jsonl',
      'scrum_reviews_20260426.jsonl',
      'scrum_reviews.jsonl.1',
      'C:\\logs\\_kb\\scrum_reviews.2026-04-26T10.jsonl',
    ]) {
      expect(matchesStreamFileName('scrum_reviews', path)).toBe(true);
      expect(detectedId(path, null)).toBe('lakehouse:scrum_reviews');
    }
  });

  test('does not take a file that only shares a prefix or an extension', () => {
    expect(matchesStreamFileName('audits', 'audits_x.jsonl')).toBe(false);
    expect(matchesStreamFileName('audit_facts', 'audit_facts_old.jsonl')).toBe(false);
    expect(matchesStreamFileName('audits', 'my_audits.jsonl')).toBe(false);
    expect(matchesStreamFileName('audits', 'audits.json')).toBe(false);
    expect(matchesStreamFileName('audit_facts', 'distilled_facts.jsonl')).toBe(false);
    expect(detectedId('data/_kb/distilled_facts.jsonl', null)).toBe('lakehouse:distilled_facts');
    expect(detectedId('data/_kb/overseer_corrections.jsonl', null)).toBeNull();
  });
});

describe('detection by key signature', () => {
  for (const stream of LAKEHOUSE_STREAM_NAMES) {
    test(`picks lakehouse:${stream} for a renamed copy of its fixture, below name confidence`, () => {
      const first = firstLine(join(FIXTURES, `${stream}.jsonl`));
      const found = detectLakehouse({ path: 'exports/copy-of-kb.jsonl', first });
      expect(found?.adapter.id).toBe(`lakehouse:${stream}`);
      expect(found?.confidence).toBeGreaterThanOrEqual(SIGNATURE_CONFIDENCE);
      expect(found?.confidence).toBeLessThan(NAME_CONFIDENCE);
    });
  }

  test('tells same-shaped twins apart only by their cue, and falls back to table order without one', () => {
    const base = { run_id: 'ltr-1', text: 'x', extractor: 'qwen3-coder:480b', categorizer: 'gpt-oss:120b' };
    expect(detectedId('a.jsonl', { ...base, category: 'procedural' })).toBe('lakehouse:distilled_procedures');
    expect(detectedId('a.jsonl', { ...base, category: 'config_hint' })).toBe('lakehouse:distilled_config_hints');
    expect(detectedId('a.jsonl', { ...base, category: 'factual' })).toBe('lakehouse:distilled_facts');
    expect(detectedId('a.jsonl', base)).toBe('lakehouse:distilled_facts');
    const pr = { pr_number: 7, head_sha: 'abcdef1234567', text: 't', extractor: 'm' };
    expect(detectedId('a.jsonl', { ...pr, lesson_type: 'recurring_failure' })).toBe('lakehouse:audit_lessons');
    expect(detectedId('a.jsonl', { ...pr, entities: [] })).toBe('lakehouse:audit_facts');
  });

  test('finds nothing in agent session logs or in a first line that is not an object', () => {
    expect(detectedId('sessions/fed8ce56.jsonl', CLAUDE_CODE_FIRST)).toBeNull();
    expect(detectedId('sessions/rollout.jsonl', CODEX_FIRST)).toBeNull();
    expect(detectedId('x.jsonl', [1, 2])).toBeNull();
    expect(detectedId('x.jsonl', 'scrum_reviews')).toBeNull();
    expect(detectedId('x.jsonl', undefined)).toBeNull();
  });

  test('each adapter alone scores 0 for another stream’s fixture where shapes differ', () => {
    const audits = LAKEHOUSE_ADAPTERS.find((a) => a.id === 'lakehouse:audits');
    const first = firstLine(join(FIXTURES, 'scrum_reviews.jsonl'));
    expect(audits?.detect({ path: 'x.jsonl', first })).toBe(0);
  });
});

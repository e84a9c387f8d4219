// The pure parts of source discovery: project folder names and the cwd of real Claude Code and Codex sessions.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeProjectDirNames, extractClaudeCwd, extractCodexCwd, isInsideRepo } from './discover-sources.ts';

const SAMPLES = join(import.meta.dir, '..', '..', '..', 'shared', 'samples');
const head = (rel: string) => readFileSync(join(SAMPLES, rel), 'utf8').slice(0, 64 * 1024);

describe('claudeProjectDirNames', () => {
  test('replaces separators and dots, and also offers the every-non-alphanumeric spelling', () => {
    expect(claudeProjectDirNames('/Users/chip/dev/ai-music')).toEqual(['-Users-chip-dev-ai-music']);
    expect(claudeProjectDirNames('/home/u/my_repo.js')).toEqual(['-home-u-my_repo-js', '-home-u-my-repo-js']);
  });
});

describe('isInsideRepo', () => {
  test('accepts the root and folders below it, not a sibling that shares a prefix', () => {
    expect(isInsideRepo('/w/app', ['/w/app'])).toBe(true);
    expect(isInsideRepo('/w/app/', ['/w/app'])).toBe(true);
    expect(isInsideRepo('/w/app/src', ['/w/app'])).toBe(true);
    expect(isInsideRepo('/w/app-other', ['/w/app'])).toBe(false);
    expect(isInsideRepo('/private/w/app', ['/w/app', '/private/w/app'])).toBe(true);
  });
});

describe('extractClaudeCwd', () => {
  test('reads the cwd of real sessions, past a leading summary or snapshot line', () => {
    expect(extractClaudeCwd(head('claude-code/fed8ce56-bc79-401f-a83e-af084253362f.jsonl'))).toBe('/Users/chip/dev/ai-music');
    expect(extractClaudeCwd(head('claude-code/b98095d7-b7ee-4d23-9d4c-beb9725d1dc5.jsonl'))).toBe('/Users/mock_user/workspace/chat-ui-kit');
    expect(extractClaudeCwd(head('claude-code/test_conversation_claude_code.jsonl'))).toBe('/home/wei/repo/claude-code');
  });

  test('finds the cwd in a first line cut short by the read limit', () => {
    expect(extractClaudeCwd('{"type":"user","message":{"content":"' + 'x'.repeat(100) + '"},"cwd":"/w/a\\"b"')).toBe('/w/a"b');
  });

  test('is null when no line states one', () => {
    expect(extractClaudeCwd('{"type":"summary"}\n')).toBeNull();
  });
});

describe('extractCodexCwd', () => {
  test('reads session_meta of real rollouts', () => {
    expect(extractCodexCwd(head('codex/rollout-2026-01-22T10-15-23-019be37c-2706-70c0-8e0e-51985de49079.jsonl'))).toBe(
      '/Users/mock_user/docker/codeserver2/project/antigravity_tmp/log-query-validator',
    );
  });

  test('falls back to the environment context of a legacy rollout', () => {
    const legacy = readFileSync(join(import.meta.dir, '..', '..', 'tests', 'fixtures', 'codex', 'legacy-rollout.jsonl'), 'utf8');
    expect(extractCodexCwd(legacy)).toBe('/work/legacy');
  });
});

describe('discoverSources: Gemini CLI and Aider', () => {
  test("names this repository's Gemini chats folder by the sha256 of its path, and the Aider history in it", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { sha256Hex } = await import('../canonical.ts');
    const { discoverSources } = await import('./discover-sources.ts');
    const base = realpathSync(mkdtempSync(join(tmpdir(), 'gd-discover-')));
    try {
      const home = join(base, 'home');
      const repo = join(base, 'repo');
      mkdirSync(repo, { recursive: true });
      const chats = join(home, '.gemini', 'tmp', sha256Hex(repo), 'chats');
      mkdirSync(chats, { recursive: true });
      writeFileSync(join(chats, 'session-2026-01-01T10-00-abc.json'), '{}');
      writeFileSync(join(chats, 'session-2026-01-02T10-00-def.jsonl'), '{}\n');
      // Another project's chats are never listed.
      mkdirSync(join(home, '.gemini', 'tmp', sha256Hex('/elsewhere'), 'chats'), { recursive: true });
      writeFileSync(join(home, '.gemini', 'tmp', sha256Hex('/elsewhere'), 'chats', 'session-x.json'), '{}');
      writeFileSync(join(repo, '.aider.chat.history.md'), '# aider chat started\n');
      const d = discoverSources({ root: repo, home, claude_dir: null, codex_dir: null });
      expect(d.found.filter((f) => f.source.path.includes('.gemini')).map((f) => [f.source.path, f.files])).toEqual([
        [join(chats, 'session-*.json'), 1],
        [join(chats, 'session-*.jsonl'), 1],
      ]);
      expect(d.found).toContainEqual({ source: { path: '.aider.chat.history.md', format: 'aider', enabled: true }, files: 1, detail: 'Aider chat history of this repository' });
      const none = discoverSources({ root: join(base, 'other'), home, claude_dir: null, codex_dir: null });
      expect(none.skipped).toContainEqual({ what: '.aider.chat.history.md', reason: 'not present (Aider not used in this repository)' });
      expect(none.found.filter((f) => f.source.path.includes('.gemini'))).toEqual([]);
      expect(none.skipped.some((s) => s.what === '~/.gemini/tmp/' && s.reason.startsWith('no chats for this repository'))).toBe(true);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

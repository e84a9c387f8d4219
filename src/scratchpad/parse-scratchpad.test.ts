// The deterministic scratchpad parser: checkboxes, sections, labels, fences, commands, paths; and the shared samples' TODO lists.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { parseScratchpad } from './parse-scratchpad.ts';
import { ScratchpadSummarySchema } from '../../schemas/scratchpad-summary.ts';

const enc = new TextEncoder();
const parse = (text: string) => parseScratchpad({ run_id: 'r', source_file: 'notes.md', bytes: enc.encode(text), recorded_at: '2026-01-01T00:00:00Z' });
const SAMPLES = resolve(import.meta.dir, '../../../shared/samples');

/** An independent count: checkbox lines outside fenced code, by their box. */
function checkboxes(text: string): { checked: string[]; unchecked: string[] } {
  const checked: string[] = [];
  const unchecked: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const m = /^\s*[-*+] \[([ xX])\] (.*)$/.exec(line);
    if (m === null) continue;
    const item = m[2]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/(\*\*|__)(.*?)\1/g, '$2').replace(/\s+/g, ' ').trim();
    (m[1] === ' ' ? unchecked : checked).push(item);
  }
  return { checked: [...new Set(checked)], unchecked: [...new Set(unchecked)] };
}

describe('parseScratchpad', () => {
  test('reads a plan: objective, done, failed, next with its command, questions, decisions, paths', () => {
    const s = parse(
      [
        '# Fix the login race',
        '## Objective',
        'Make `src/auth/session.ts` refresh tokens once.',
        '## Done',
        '- reproduced the race in tests/auth.test.ts',
        '- added a mutex',
        '## Failed',
        '- a retry loop (made it worse)',
        '## Next',
        '- run `bun test tests/auth.test.ts`',
        '- update docs/auth.md',
        '## Questions',
        '- should refresh be per tab?',
        '## Decisions',
        '- keep the token in memory only',
        '```bash',
        '$ git status',
        '```',
      ].join('\n'),
    );
    expect(s.current_objective).toBe('Make `src/auth/session.ts` refresh tokens once.');
    expect(s.completed_steps).toEqual(['reproduced the race in tests/auth.test.ts', 'added a mutex']);
    expect(s.failed_steps).toEqual(['a retry loop (made it worse)']);
    expect(s.pending_steps).toEqual(['run `bun test tests/auth.test.ts`', 'update docs/auth.md']);
    expect(s.next_command).toBe('bun test tests/auth.test.ts');
    expect(s.unresolved_questions).toEqual(['should refresh be per tab?']);
    expect(s.decisions).toEqual(['keep the token in memory only']);
    expect(s.important_paths).toEqual(['src/auth/session.ts', 'tests/auth.test.ts', 'docs/auth.md']);
    expect(s.validation_status).toBe('unknown');
    expect(ScratchpadSummarySchema.safeParse(s).success).toBe(true);
  });

  test('checkboxes decide by their box anywhere; fenced code is never an item', () => {
    const s = parse(['# TODO', '- [x] write the parser', '  - [X] nested done', '- [ ] wire the CLI', '- [!] the flaky test', '```md', '- [ ] not an item', '```', '- plain bullet'].join('\n'));
    expect(s.completed_steps).toEqual(['write the parser', 'nested done']);
    expect(s.pending_steps).toEqual(['wire the CLI']);
    expect(s.failed_steps).toEqual(['the flaky test']);
    expect(s.current_objective).toBe('TODO');
  });

  test('label lines and a tree-split shard without headings', () => {
    const s = parse(['Objective: split crates/shared/src/profiles/mod.rs', 'Done: shard 1 of 3', 'Next: shard 2', '$ cargo test -p shared', 'Questions: does the legacy loader stay?'].join('\n'));
    expect(s.current_objective).toBe('split crates/shared/src/profiles/mod.rs');
    expect(s.completed_steps).toEqual(['shard 1 of 3']);
    expect(s.pending_steps).toEqual(['shard 2']);
    expect(s.unresolved_questions).toEqual(['does the legacy loader stay?']);
    expect(s.important_paths).toContain('crates/shared/src/profiles/mod.rs');
  });

  test('an empty scratchpad states nothing, and hashes its bytes', () => {
    const s = parse('');
    expect(s.current_objective).toBeNull();
    expect(s.completed_steps).toEqual([]);
    expect(s.source_scratchpad_hash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('any text parses to a valid summary, and the same bytes give the same summary (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('# T', '## Next', '- [ ] a', '- [x] b', '```', '- c', 'Next: d', '$ git log')), { maxLength: 30 }), (lines) => {
        const text = lines.join('\n');
        const a = parse(text);
        expect(ScratchpadSummarySchema.safeParse(a).success).toBe(true);
        expect(parse(text)).toEqual(a);
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  for (const rel of ['prd/agent-sessions/onboarding-implementation-plan.md', 'aider/afi-core/.aider.chat.history.md']) {
    test(`the shared sample ${rel}: completed and pending steps are exactly its checked and unchecked items`, () => {
      const text = readFileSync(join(SAMPLES, rel), 'utf8');
      const want = checkboxes(text);
      expect(want.checked.length + want.unchecked.length).toBeGreaterThan(0);
      const s = parse(text);
      expect(s.completed_steps).toEqual(want.checked);
      expect(s.pending_steps).toEqual(want.unchecked);
    });
  }
});

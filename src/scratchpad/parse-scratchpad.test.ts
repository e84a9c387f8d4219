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
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('# T', '## Next', '- [ ] a', '- [x] b', '```', '- c', 'Next: d', '$ git log', '## Objective: e', 'Status: done', '  Status: blocked', '  Blocker: f', '    wrapped', '')), { maxLength: 30 }), (lines) => {
        const text = lines.join('\n');
        const a = parse(text);
        expect(ScratchpadSummarySchema.safeParse(a).success).toBe(true);
        expect(parse(text)).toEqual(a);
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  test('backlog items with Status lines: done completed, blocked failed with the whole wrapped Blocker, active pending', () => {
    const s = parse(
      [
        '# Backlog',
        '',
        '## Objective: R1 - Old work',
        'Status: done',
        '',
        '- Task: finished long ago',
        '  Status: done',
        '',
        '## Objective: R2 - Source Absence Retention',
        'Status: verifying',
        'Priority: P0',
        '',
        'Repair the sync lifecycle so a vanished',
        'file keeps its history.',
        '',
        '### KR: R2-KR1 Review and blocker decomposition',
        'Status: active',
        '',
        '- Task: record the bug, the contract',
        '  and the plan',
        '  Status: done',
        '  Acceptance: durable records name the end state.',
        '  Artifact: `docs/issues/absence.md`',
        '',
        '- Task: complete independent reviews',
        '  Status: blocked',
        '  Blocker: one reviewer supplied six findings and the user',
        '    directed that all be fixed; no post-fix confirmation yet.',
        '  Acceptance: three lens reports and a synthesis.',
        '',
        '- Task: run `pnpm run verify:lite` again',
        '  Status: active',
        '- Task: ship it',
        '  Status: ✅',
        '- a plain note under the KR',
      ].join('\n'),
    );
    // The first objective not done, from its heading; `Status: verifying` and the paragraph are not it.
    expect(s.current_objective).toBe('R2 - Source Absence Retention');
    expect(s.completed_steps).toEqual(['finished long ago', 'record the bug, the contract and the plan', 'ship it']);
    expect(s.failed_steps).toEqual(['complete independent reviews (blocked: one reviewer supplied six findings and the user directed that all be fixed; no post-fix confirmation yet.)']);
    expect(s.pending_steps).toEqual(['run `pnpm run verify:lite` again']);
    expect(s.next_command).toBe('pnpm run verify:lite');
    expect(s.important_paths).toContain('docs/issues/absence.md');
  });

  test('an Objective section: its whole first paragraph, never a label line', () => {
    const s = parse(['## Objective', 'Status: draft', 'Make the sync keep', 'evidence of vanished files.', '', 'More prose.'].join('\n'));
    expect(s.current_objective).toBe('Make the sync keep evidence of vanished files.');
  });

  for (const [rel, checked] of [
    ['prd/agent-sessions/onboarding-implementation-plan.md', 0],
    ['prd/agent-sessions/2026-05-12-pi-agent-support-plan.md', 14],
    ['aider/afi-core/.aider.chat.history.md', null],
  ] as const) {
    test(`the shared sample ${rel}: completed and pending steps are exactly its checked and unchecked items`, () => {
      const text = readFileSync(join(SAMPLES, rel), 'utf8');
      const want = checkboxes(text);
      expect(want.checked.length + want.unchecked.length).toBeGreaterThan(0);
      if (checked !== null) expect(want.checked.length).toBe(checked);
      const s = parse(text);
      expect(s.completed_steps).toEqual(want.checked);
      expect(s.pending_steps).toEqual(want.unchecked);
    });
  }

  test('the shared backlog prd/cchistory/BACKLOG.md: its Task items by their Status, blockers whole, the open objective', () => {
    const text = readFileSync(join(SAMPLES, 'prd/cchistory/BACKLOG.md'), 'utf8');
    // An independent reading: `- Task:` items, their wrapped text up to the first indented `Key:` line, their
    // Status, and their Blocker (when they name one) with its wrapped lines.
    const want = { done: [] as string[], blocked: [] as string[], other: [] as string[] };
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('- Task: ')) continue;
      const task: string[] = [lines[i]!.slice('- Task: '.length)];
      const fields = new Map<string, string[]>();
      let field: string[] = task;
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('  '); j++) {
        const m = /^  ([A-Z][a-z]+): (.*)$/.exec(lines[j]!);
        if (m !== null) fields.set(m[1]!, (field = [m[2]!]));
        else field.push(lines[j]!.trim());
      }
      const name = task.join(' ');
      const status = fields.get('Status')!.join(' ');
      const blocker = fields.get('Blocker');
      if (status === 'done') want.done.push(name);
      else if (status === 'blocked') want.blocked.push(`${name} (blocked${blocker === undefined ? '' : `: ${blocker.join(' ')}`})`);
      else want.other.push(name);
    }
    expect([want.done.length, want.blocked.length, want.other.length]).toEqual([64, 12, 0]);
    const s = parse(text);
    expect(s.current_objective).toBe('R45 - Source Absence Retention');
    expect(s.completed_steps).toEqual([...new Set(want.done)]);
    expect(s.failed_steps).toEqual(want.blocked);
    expect(s.pending_steps).toEqual([]);
    expect(s.failed_steps[0]).toContain('directed that all be fixed. The remediated tree has not received post-fix');
    expect(s.failed_steps.filter((f) => f.endsWith('(blocked)')).length).toBe(5);
  });
});

import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { classifyRef, parseRequirementDoc, parseStatusText, type Claim, type ClaimStatus, type ParsedDoc } from './parse-requirements.ts';

const SAMPLES = resolve(import.meta.dir, '../../../shared/samples/prd');

function claim(doc: ParsedDoc, title: string): Claim {
  const found = doc.claims.find((c) => c.title.startsWith(title));
  if (found === undefined) throw new Error(`no claim "${title}" in ${doc.claims.map((c) => c.title).join(' | ')}`);
  return found;
}

const refs = (c: Claim) => c.refs.map((r) => `${r.kind}:${r.target}${r.on_tests_line ? ' (test)' : ''}`);

/** Checkbox list items outside code fences, counted line by line: an oracle independent of the Markdown parser. */
function countCheckboxLines(text: string): { open: number; checked: number; fenced: number } {
  let inFence = false;
  const out = { open: 0, checked: 0, fenced: 0 };
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    const m = /^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s/.exec(line);
    if (m === null) continue;
    if (inFence) out.fenced++;
    else if (m[1] === ' ') out.open++;
    else out.checked++;
  }
  return out;
}

describe('status words and markers', () => {
  test('status texts as docs write them', () => {
    const cases: Array<[string, ClaimStatus | null]> = [
      ['Passed', 'done'],
      ['IMPLEMENTED AND LOCALLY VALIDATED FOR TIER-2 SUPPORT', 'done'],
      ['✅ shipped', 'done'],
      ['**Done**', 'done'],
      ['verifying', 'in_progress'],
      ['In progress', 'in_progress'],
      ['🚧', 'in_progress'],
      ['Ready for Implementation', 'planned'],
      ['not started', 'planned'],
      ['blocked', 'blocked'],
      ['Deferred to v2.10', 'deferred'],
      ['Clean', null],
      ['', null],
    ];
    expect(cases.map(([t]) => parseStatusText(t))).toEqual(cases.map(([, s]) => s));
  });
});

describe('references', () => {
  test('paths, globs, symbols and tests; commands, URLs, flags and plain words are not references', () => {
    const cases: Array<[string, string[]]> = [
      ['src/x.ts', ['path:src/x.ts']],
      ['./src/x.ts:12', ['path:src/x.ts']],
      ['src/x.ts#L3-L9', ['path:src/x.ts']],
      ['Onboarding/', ['path:Onboarding/']],
      ['README.md', ['path:README.md']],
      ['Dockerfile', ['path:Dockerfile']],
      ['src/**/*.test.ts', ['glob:src/**/*.test.ts']],
      ['crates/gateway/src/v1/mode.rs::is_weak_model', ['path:crates/gateway/src/v1/mode.rs', 'symbol:is_weak_model']],
      ['PiSessionParser', ['symbol:PiSessionParser']],
      ['parseConfig()', ['symbol:parseConfig']],
      ['OnboardingCoordinator.start', ['symbol:OnboardingCoordinator']],
      ['model_change', ['symbol:model_change']],
      ['PI_CODING_AGENT_DIR', ['symbol:PI_CODING_AGENT_DIR']],
      ['npm install -g pi', []],
      ['https://pi.dev/docs', []],
      ['--session', []],
      ['/tmp/as-agent-lab/pi-cli', []],
      ['~/.pi/agent/sessions', []],
      ['session', []],
      ['true', []],
      ['../outside.ts', []],
    ];
    expect(cases.map(([raw]) => classifyRef(raw).map((r) => `${r.kind}:${r.target}`))).toEqual(cases.map(([, want]) => want));
  });
});

describe('parseRequirementDoc', () => {
  const text = [
    '# Product',
    '',
    '## Requirements',
    '',
    '- FR-001: Users can log in (`src/login.ts`)',
    '- FR-002: Export. See FR-009 and REQ-3.',
    '',
    '## Phase 1: Login ✅',
    '<!-- verified: 0123456789abcdef0123456789abcdef01234567 -->',
    '',
    '- [x] Login form in `src/login.ts`',
    '  - [ ] nested open item',
    '- [x] Session store `SessionStore`',
    '  Tests: `tests/login.test.ts`, test_session_roundtrip',
    '  Evidence: `src/session.ts`',
    '',
    '```md',
    '- [ ] a checkbox in a fence is an example',
    '- FR-777: so is this id',
    '```',
    '',
    '## Phase 2: Export (in progress)',
    '',
    'Status: done',
    '',
    '| Phase | Status | Evidence |',
    '| --- | --- | --- |',
    '| 3. Audit | Passed | `src/audit.ts` |',
    '| 4. Sync | planned | TBD |',
    '',
    'The exporter is implemented in `src/export.ts`.',
    'Exporting is not implemented in `src/old.ts`.',
    '✅ **Decision**: keep CSV',
    '',
    '### KR: R45-KR1 Retention',
    'Status: verifying',
    '',
    '- Task: write the contract',
    '  Status: done',
    '  Artifact: `docs/contract.md` TODO',
  ].join('\r\n');
  const doc = parseRequirementDoc('docs/PRD.md', text);

  test('ids defined by headings, items, labelled headings and phase tables', () => {
    expect(doc.claims.filter((c) => c.id !== null).map((c) => `${c.kind} ${c.id}`)).toEqual([
      'item FR-001',
      'item FR-002',
      'heading Phase 1',
      'heading Phase 2',
      'row Phase 3',
      'row Phase 4',
      'heading R45-KR1',
    ]);
  });

  test('mentions outside code fences, never the defining occurrence', () => {
    expect(doc.mentions).toEqual([
      { id: 'FR-009', line: 6 },
      { id: 'REQ-3', line: 6 },
    ]);
  });

  test('status from checkboxes, markers, status lines, columns and parents', () => {
    const got = (title: string) => {
      const c = claim(doc, title);
      return `${c.status}/${c.status_source}`;
    };
    expect(got('Phase 1: Login')).toBe('done/marker');
    expect(got('Login form in')).toBe('done/checkbox');
    expect(got('nested open item')).toBe('planned/checkbox');
    // A marker in the heading's own text wins over a later Status: line.
    expect(got('Phase 2: Export')).toBe('in_progress/marker');
    expect(got('3. Audit')).toBe('done/column');
    expect(got('4. Sync')).toBe('planned/column');
    expect(got('KR: R45-KR1')).toBe('in_progress/status_line');
    expect(got('Task: write the contract')).toBe('done/status_line');
    expect(got('FR-001')).toBe('unknown/null');
  });

  test('checkboxes inside a code fence are not claims', () => {
    expect(doc.claims.filter((c) => c.kind === 'checkbox').map((c) => c.title)).toEqual(['Login form in src/login.ts', 'nested open item', 'Session store SessionStore']);
    expect(doc.claims.some((c) => c.title.includes('example'))).toBe(false);
  });

  test('references with their lines; Tests: lines name tests, backticked or bare', () => {
    expect(refs(claim(doc, 'Session store'))).toEqual(['symbol:SessionStore', 'path:tests/login.test.ts (test)', 'symbol:test_session_roundtrip (test)', 'path:src/session.ts']);
    expect(claim(doc, 'Session store').refs.map((r) => r.line)).toEqual([13, 14, 14, 15]);
    expect(refs(claim(doc, '3. Audit'))).toEqual(['path:src/audit.ts']);
  });

  test('prose claims: a sentence saying something is implemented in a named file, or a line that starts with a marker', () => {
    const prose = doc.claims.filter((c) => c.kind === 'prose');
    expect(prose.map((c) => `${c.line} ${c.status} ${c.title}`)).toEqual(['31 done The exporter is implemented in src/export.ts.', '33 done Decision: keep CSV']);
  });

  test('nesting: items under their heading or item, a stamp scoped to its section', () => {
    const phase1 = claim(doc, 'Phase 1: Login');
    expect(claim(doc, 'Login form in').parent).toBe(phase1.index);
    expect(claim(doc, 'nested open item').parent).toBe(claim(doc, 'Login form in').index);
    expect(doc.stamps).toEqual([{ sha: '0123456789abcdef0123456789abcdef01234567', line: 9, scope: phase1.index }]);
  });

  test('placeholders in a claim, outside backticks', () => {
    expect(claim(doc, 'Task: write the contract').placeholders).toEqual([{ word: 'TODO', line: 40 }]);
    expect(claim(doc, '4. Sync').placeholders).toEqual([{ word: 'TBD', line: 29 }]);
  });

  test('a lone bare dashed id is a name, not an id; a family of them is', () => {
    const d = parseRequirementDoc('x.md', '# Plan\n\n- GPT-4 support\n- UTF-8 handling\n\n## FR-1 Login\n## FR-2 Logout\n');
    expect(d.claims.map((c) => c.id)).toEqual([null, null, null, 'FR-1', 'FR-2']);
  });

  test('"Phase 2 adds the export" in an item talks about a phase; "Phase 2: Export" names one', () => {
    const d = parseRequirementDoc('x.md', '- Phase 2 adds the export\n- Phase 3: Sync\n');
    expect(d.claims.map((c) => c.id)).toEqual([null, 'Phase 3']);
  });

  test('YAML front matter is not a claim, and line numbers stay the file\'s', () => {
    const d = parseRequirementDoc('x.md', '---\nstatus: active\n---\n\n# Backlog\n- [x] done\n');
    expect(d.claims.map((c) => `${c.line} ${c.kind} ${c.title}`)).toEqual(['5 heading Backlog', '6 checkbox done']);
  });

  test('any text parses: empty, only a fence, a lone table cell, binary-looking bytes', () => {
    for (const t of ['', '```\n- [ ] x\n', '|a|\n|-|\n|b|', '\u0000\u0001 [x] ✅', '\uFEFF# Title\n']) {
      expect(() => parseRequirementDoc('x.md', t)).not.toThrow();
    }
    expect(parseRequirementDoc('x.md', '\uFEFF# Title\n').claims.map((c) => c.title)).toEqual(['Title']);
  });

  test('the same text parses the same whatever its line endings', () => {
    const lf = parseRequirementDoc('docs/PRD.md', text.replaceAll('\r\n', '\n'));
    expect(JSON.stringify(lf)).toBe(JSON.stringify(doc));
  });
});

describe('the PRD and plan samples (../shared/samples/prd)', () => {
  const files = ['agent-sessions/2026-05-12-pi-agent-support-plan.md', 'agent-sessions/onboarding-implementation-plan.md', 'cchistory/BACKLOG.md'];
  const docs = Object.fromEntries(files.map((f) => [f, parseRequirementDoc(f, readFileSync(join(SAMPLES, f), 'utf8'))]));
  const kinds = (d: ParsedDoc) => {
    const out: Record<string, number> = {};
    for (const c of d.claims) out[c.kind] = (out[c.kind] ?? 0) + 1;
    return out;
  };

  test('each parses into claims, and its checkbox items are exactly the ones outside code fences', () => {
    for (const f of files) {
      const lines = countCheckboxLines(readFileSync(join(SAMPLES, f), 'utf8'));
      const boxes = docs[f]!.claims.filter((c) => c.kind === 'checkbox');
      expect([f, boxes.filter((c) => c.status === 'done').length, boxes.filter((c) => c.status !== 'done').length]).toEqual([f, lines.checked, lines.open]);
    }
  });

  test('claims counted per doc and kind (headings: as many as ATX headings outside fences and front matter)', () => {
    expect(files.map((f) => [docs[f]!.claims.length, kinds(docs[f]!)])).toEqual([
      [105, { heading: 13, row: 24, item: 54, checkbox: 14 }],
      [276, { heading: 53, item: 128, prose: 4, checkbox: 85, row: 6 }],
      [215, { heading: 57, row: 17, item: 141 }],
    ]);
  });

  test('the pi plan: its phase table gives ten phases, nine passed and one ready for handoff', () => {
    const d = docs[files[0]!]!;
    const phases = d.claims.filter((c) => c.kind === 'row' && c.id?.startsWith('Phase '));
    expect(phases.map((c) => c.id)).toEqual(['Phase 0', 'Phase 1', 'Phase 2', 'Phase 3', 'Phase 4', 'Phase 5', 'Phase 6', 'Phase 7', 'Phase 8', 'Phase 9']);
    expect(phases.map((c) => c.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'done', 'unknown', 'done', 'planned']);
    expect(refs(claim(d, '4. Fixture creation'))).toEqual(['path:Resources/Fixtures/stage0/agents/pi/small.jsonl']);
  });

  test('the onboarding plan: five phases marked ✅ whose checkbox items are all unchecked', () => {
    const d = docs[files[1]!]!;
    const phases = d.claims.filter((c) => c.kind === 'heading' && c.id?.startsWith('Phase '));
    expect(phases.map((c) => `${c.id} ${c.status}`)).toEqual(['Phase 1 done', 'Phase 2 done', 'Phase 3 done', 'Phase 4 done', 'Phase 5 done']);
    expect(refs(claim(d, 'Implement OnboardingDefaults.swift'))).toEqual(['path:OnboardingDefaults.swift']);
  });

  test('the cchistory backlog: objectives and key results by label, their Status: lines', () => {
    const d = docs[files[2]!]!;
    const objectives = d.claims.filter((c) => c.kind === 'heading' && /^R\d+$/.test(c.id ?? ''));
    expect(objectives.map((c) => `${c.id} ${c.status}`).slice(0, 4)).toEqual(['R45 in_progress', 'R44 in_progress', 'R43 in_progress', 'R41 done']);
    expect(claim(d, 'KR: R45-KR1').status).toBe('in_progress');
    expect(refs(claim(d, 'Task: record the class-wide bug'))).toEqual([
      'path:docs/issues/2026-07-26-source-absence-evidence-loss.md',
      'path:docs/contracts/source-absence-retention.md',
      'path:docs/plans/2026-07-26-source-absence-retention.md',
    ]);
  });
});

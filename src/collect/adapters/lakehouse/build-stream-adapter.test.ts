// The table engine's rejections (each naming its field and stream), the schema_version gate, and tolerance of absent optional fields.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MapResult } from '../../adapter.ts';
import { mapStreamLine } from './build-stream-adapter.ts';
import { LAKEHOUSE_STREAMS } from './index.ts';
import type { FieldType } from './parse-field.ts';
import type { StreamSpec } from './stream-spec.ts';

const FIXTURES = join(import.meta.dir, '../../../../tests/fixtures/lakehouse');

function spec(stream: string): StreamSpec {
  const s = LAKEHOUSE_STREAMS.find((x) => x.stream === stream);
  if (s === undefined) throw new Error(`no table for ${stream}`);
  return s;
}

function firstRecord(stream: string): Record<string, unknown> {
  const text = readFileSync(join(FIXTURES, `${stream}.jsonl`), 'utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
}

function rejection(result: MapResult): { code: string; reason: string } {
  if (result.ok) throw new Error('expected a rejection, got a draft');
  return result.rejection;
}

function without(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/** A value of the wrong type for `type`; null where every non-null value is accepted. */
function wrongValue(type: FieldType): unknown {
  if (typeof type !== 'string') return 17;
  switch (type) {
    case 'string':
    case 'id':
    case 'sha':
    case 'timestamp':
      return [1];
    case 'text':
      return 42;
    case 'count':
    case 'attempt':
    case 'number':
    case 'fraction':
    case 'boolean':
      return 'seven';
    case 'string_list':
    case 'list':
      return 'x';
    case 'json':
      return null;
  }
}

describe('not_an_object', () => {
  test('rejects arrays, strings, numbers and null, naming the stream', () => {
    for (const value of [[1, 2], 'line', 3, null, true]) {
      const r = rejection(mapStreamLine(spec('audits'), value));
      expect(r.code).toBe('not_an_object');
      expect(r.reason).toMatch(/^audits line is (an array|a string|an integer|null|a boolean), not an object$/);
    }
  });
});

describe('missing_field', () => {
  test('names the field, the stream and why: the scrum_reviews example', () => {
    const r = rejection(mapStreamLine(spec('scrum_reviews'), without(firstRecord('scrum_reviews'), 'file')));
    expect(r).toEqual({ code: 'missing_field', reason: 'scrum_reviews line has no `file`: a review must name the file it reviewed' });
  });

  for (const s of LAKEHOUSE_STREAMS) {
    const required = Object.entries(s.fields).filter(([, f]) => f.required !== null);
    if (required.length === 0) continue;
    test(`${s.stream}: every identifying field missing or null is rejected by name`, () => {
      for (const [name] of required) {
        for (const record of [without(firstRecord(s.stream), name), { ...firstRecord(s.stream), [name]: null }]) {
          const r = rejection(mapStreamLine(s, record));
          expect(r.code).toBe('missing_field');
          expect(r.reason.startsWith(`${s.stream} line has no \`${name}\`: `)).toBe(true);
        }
      }
    });
  }

  test('an empty identifying string is missing too, and says it is empty', () => {
    const r = rejection(mapStreamLine(spec('auto_apply'), { ...firstRecord('auto_apply'), file: '  ' }));
    expect(r).toEqual({ code: 'missing_field', reason: 'auto_apply line has an empty `file`: an applier action must name the file it patched' });
  });

  test('a doc drift correction naming no doc, file or phase is rejected by those names', () => {
    const r = rejection(mapStreamLine(spec('doc_drift_corrections'), { ts: '2026-04-24T12:00:00Z', correction: 'x' }));
    expect(r.code).toBe('missing_field');
    expect(r.reason).toContain('none of `doc`, `file`, `phase`');
  });
});

describe('wrong_type', () => {
  for (const s of LAKEHOUSE_STREAMS) {
    test(`${s.stream}: every typed field of the wrong type is rejected by name and expected type`, () => {
      for (const [name, f] of Object.entries(s.fields)) {
        const bad = wrongValue(f.type);
        if (bad === null) continue;
        const r = rejection(mapStreamLine(s, { ...firstRecord(s.stream), [name]: bad }));
        expect(r.code).toBe('wrong_type');
        expect(r.reason.startsWith(`${s.stream} line has \`${name}\` of the wrong type: expected `)).toBe(true);
      }
    });
  }

  test('states the expected type in words', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['auto_apply', { action: 'merged' }, 'auto_apply line has `action` of the wrong type: expected one of applied, skipped, reverted, gate_failed, got a word outside that set'],
      ['scrum_reviews', { accepted_on_attempt: 0 }, 'scrum_reviews line has `accepted_on_attempt` of the wrong type: expected an integer ≥ 1, got a number below 1 or fractional'],
      ['observer_reviews', { confidence: 1.5 }, 'observer_reviews line has `confidence` of the wrong type: expected a number between 0 and 1, got a number outside [0, 1]'],
      ['audits', { head_sha: 'main' }, 'audits line has `head_sha` of the wrong type: expected a hex commit sha (7 to 64 characters), got a string that is not hex'],
      ['scrum_reviews', { reviewed_at: 'yesterday' }, 'scrum_reviews line has `reviewed_at` of the wrong type: expected an ISO-8601 timestamp or an epoch number, got a string in another format'],
      ['outcomes', { ok_events: 13 }, 'outcomes line has `ok_events` of the wrong type: expected at most `total_events`, got a larger count'],
    ];
    for (const [stream, patch, reason] of cases) {
      expect(rejection(mapStreamLine(spec(stream), { ...firstRecord(stream), ...patch }))).toEqual({ code: 'wrong_type', reason });
    }
  });

  test('names the item inside gates, findings and votes', () => {
    const gates = rejection(mapStreamLine(spec('auto_apply'), { ...firstRecord('auto_apply'), gates: [{ name: 'cargo_check', passed: true }, 'clippy'] }));
    expect(gates.reason).toBe('auto_apply line has `gates[1]` of the wrong type: expected an object with a name and a passed flag, got a string');
    const findings = rejection(mapStreamLine(spec('audits'), { ...firstRecord('audits'), findings: [7] }));
    expect(findings.reason).toBe('audits line has `findings[0]` of the wrong type: expected a string or an object, got an integer');
    const votes = rejection(mapStreamLine(spec('audit_discrepancies'), { ...firstRecord('audit_discrepancies'), votes: 'split' }));
    expect(votes.reason).toBe('audit_discrepancies line has `votes` of the wrong type: expected a list or a map of votes, got a string');
  });

  test('never quotes the offending value', () => {
    const secretish = 'AKIA' + 'Q'.repeat(16);
    const r = rejection(mapStreamLine(spec('mode_experiments'), { ...firstRecord('mode_experiments'), ts: secretish }));
    expect(r.code).toBe('wrong_type');
    expect(r.reason).not.toContain(secretish);
  });
});

describe('schema_version', () => {
  test('rejects a newer version with the upgrade message', () => {
    const r = rejection(mapStreamLine(spec('distilled_facts'), { ...firstRecord('distilled_facts'), schema_version: 99 }));
    expect(r).toEqual({ code: 'schema_version', reason: 'schema_version 99 is newer than this git-distill understands (1): upgrade git-distill' });
  });
  test('rejects an older version with the migrate message', () => {
    const r = rejection(mapStreamLine(spec('distilled_procedures'), { ...firstRecord('distilled_procedures'), schema_version: 0 }));
    expect(r).toEqual({ code: 'schema_version', reason: 'schema_version 0 is older than this git-distill understands (1): run git distill migrate' });
  });
  test('rejects a non-integer version as a wrong type', () => {
    const r = rejection(mapStreamLine(spec('distilled_config_hints'), { ...firstRecord('distilled_config_hints'), schema_version: '1' }));
    expect(r.code).toBe('wrong_type');
    expect(r.reason).toContain('`schema_version`');
  });
  test('gates every stream, and reads a line without a version as the known one', () => {
    expect(rejection(mapStreamLine(spec('audits'), { ...firstRecord('audits'), schema_version: 2 })).code).toBe('schema_version');
    expect(mapStreamLine(spec('audits'), firstRecord('audits')).ok).toBe(true);
    expect(mapStreamLine(spec('distilled_facts'), without(firstRecord('distilled_facts'), 'schema_version')).ok).toBe(true);
  });
});

describe('tolerance', () => {
  for (const s of LAKEHOUSE_STREAMS) {
    test(`${s.stream}: a line with only its identifying fields maps`, () => {
      const full = firstRecord(s.stream);
      const minimal: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(s.fields)) if (f.required !== null) minimal[name] = full[name];
      if (s.stream === 'doc_drift_corrections') minimal['doc'] = full['doc'];
      const r = mapStreamLine(s, minimal);
      if (!r.ok) throw new Error(r.rejection.reason);
      expect(r.draft.unmapped_fields).toEqual([]);
      expect(r.draft.run_id.length).toBeGreaterThan(0);
    });
  }

  test('an empty optional string counts as absent', () => {
    const r = mapStreamLine(spec('scrum_reviews'), { ...firstRecord('scrum_reviews'), accepted_model: '' });
    if (!r.ok) throw new Error(r.rejection.reason);
    expect(r.draft.model_name).toBeNull();
    expect(r.draft.model_provider).toBeNull();
  });

  test('unknown fields are listed sorted, never copied; schema_version is not listed', () => {
    const r = mapStreamLine(spec('observer_reviews'), { run_id: 'r1', verdict: 'reject', zeta: 1, alpha: { deep: 'x' }, Mid: 2, schema_version: 1 });
    if (!r.ok) throw new Error(r.rejection.reason);
    expect(r.draft.unmapped_fields).toEqual(['Mid', 'alpha', 'zeta']);
    expect(JSON.stringify(r.draft)).not.toContain('deep');
  });

  test('verdict words are read case-insensitively and through their aliases', () => {
    const r = mapStreamLine(spec('audits'), { ...firstRecord('audits'), verdict: 'BLOCKED' });
    if (!r.ok) throw new Error(r.rejection.reason);
    expect(r.draft.signals.auditor_verdict).toBe('block');
  });

  test('run ids do not depend on how a timestamp is written', () => {
    const a = mapStreamLine(spec('contract_analyses'), { ts: '2026-04-24T17:22:08Z', ok: true, permit_id: 'P-1' });
    const b = mapStreamLine(spec('contract_analyses'), { ts: '2026-04-24T12:22:08-05:00', ok: true, permit_id: 'P-1' });
    const c = mapStreamLine(spec('contract_analyses'), { ts: 1777051328, ok: true, permit_id: 'P-1' });
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected drafts');
    expect(b.draft.run_id).toBe(a.draft.run_id);
    expect(c.draft.run_id).toBe(a.draft.run_id);
    expect(a.draft.run_id).toMatch(/^contract_analyses:[0-9a-f]{16}$/);
  });
});

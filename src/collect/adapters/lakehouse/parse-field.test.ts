// Field types: timestamps normalized without depending on the machine's time zone, and values checked by type.
import { describe, expect, test } from 'bun:test';
import { normalizeTimestamp, oneOf, parseField, renderText } from './parse-field.ts';

describe('normalizeTimestamp', () => {
  test('renders ISO text with any offset as UTC toISOString form', () => {
    expect(normalizeTimestamp('2026-04-26T22:30:38-05:00')).toBe('2026-04-27T03:30:38.000Z');
    expect(normalizeTimestamp('2026-04-26T22:30:38+0200')).toBe('2026-04-26T20:30:38.000Z');
    expect(normalizeTimestamp('2026-04-26T22:30:38.123Z')).toBe('2026-04-26T22:30:38.123Z');
  });
  test('reads a time without a zone as UTC, not local time', () => {
    expect(normalizeTimestamp('2026-04-26T22:30:38')).toBe('2026-04-26T22:30:38.000Z');
    expect(normalizeTimestamp('2026-04-26 22:30')).toBe('2026-04-26T22:30:00.000Z');
    expect(normalizeTimestamp('2026-04-26')).toBe('2026-04-26T00:00:00.000Z');
  });
  test('cuts microseconds to milliseconds', () => {
    expect(normalizeTimestamp('2026-04-26T22:30:38.123456+00:00')).toBe('2026-04-26T22:30:38.123Z');
  });
  test('reads epoch seconds and epoch milliseconds', () => {
    expect(normalizeTimestamp(1777051328)).toBe('2026-04-24T17:22:08.000Z');
    expect(normalizeTimestamp(1777051328250)).toBe('2026-04-24T17:22:08.250Z');
  });
  test('refuses what is not a time', () => {
    for (const v of ['yesterday', '2026-13-45T99:00:00Z', '', -5, Number.NaN, 1e20, true, {}, []]) expect(normalizeTimestamp(v)).toBeNull();
  });
});

describe('parseField', () => {
  test('normalizes ids, shas and enum words', () => {
    expect(parseField(41, 'id')).toEqual({ ok: true, value: '41' });
    expect(parseField(' BLD-1 ', 'id')).toEqual({ ok: true, value: 'BLD-1' });
    expect(parseField('F753E11', 'sha')).toEqual({ ok: true, value: 'f753e11' });
    expect(parseField('Gate-Failed', oneOf(['applied', 'gate_failed'], { 'gate-failed': 'gate_failed' }))).toEqual({ ok: true, value: 'gate_failed' });
  });
  test('renders structured text as JSON and keeps plain text as is', () => {
    expect(parseField({ b: 1, a: [2] }, 'text')).toEqual({ ok: true, value: '{"b":1,"a":[2]}' });
    expect(renderText('as is\n')).toBe('as is\n');
  });
  test('describes a bad value by its kind, never by its content', () => {
    expect(parseField(1.5, 'count')).toEqual({ ok: false, expected: 'an integer ≥ 0', got: 'a negative or fractional number' });
    expect(parseField(['a', 2], 'string_list')).toEqual({ ok: false, expected: 'an array of strings', got: 'an array with a non-string item' });
    expect(parseField('x', 'boolean')).toEqual({ ok: false, expected: 'a boolean', got: 'a string' });
  });
});

// redactText/redactValue: JSON awareness, idempotence, counts, and the real agent-log samples.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isRedactionPlaceholder, mergeRedactionCounts, redactInto, redactText, redactValue } from './redact.ts';
import { DEFAULT_REDACTION_RULES } from './rules.ts';

const R = (id: string): string => `[REDACTED:${id}]`;
const randomish = 'aZ3kQ9mP2xL7vB4nW8cR1tY6';
const ghp = (): string => 'gh' + 'p_' + 'A1b2'.repeat(9);

describe('redactValue', () => {
  test('never changes object keys, even keys that look like secrets', () => {
    const secretKey = ghp();
    const r = redactValue({ [secretKey]: 1, password: 2 });
    expect(Object.keys(r.value as object)).toEqual([secretKey, 'password']);
    expect(r.counts).toEqual({});
  });

  test('replaces the whole value under a key that names a secret', () => {
    const r = redactValue({ password: 'hunter2', api_key: 'abc', clientSecret: 'x y z', token: '' });
    expect(r.value).toEqual({
      password: R('secret-assignment'),
      api_key: R('secret-assignment'),
      clientSecret: R('secret-assignment'),
      token: '',
    });
    expect(r.counts).toEqual({ 'secret-assignment': 3 });
  });

  test('names the shape rule when it recognises the whole value under a secret key', () => {
    const r = redactValue({ GITHUB_TOKEN: ghp() });
    expect(r.value).toEqual({ GITHUB_TOKEN: R('github-pat') });
    expect(r.counts).toEqual({ 'github-pat': 1 });
  });

  test('leaves ids, hashes, timestamps and paths to shape rules only', () => {
    const value = {
      run_id: randomish,
      sig_hash: 'f'.repeat(64),
      oid: 'a'.repeat(40),
      sessionId: randomish,
      created_at: '2026-04-26T10:00:00Z',
      timestamp: '2026-04-26T10:00:00.123Z',
      source_file: `/tmp/${randomish}/log.jsonl`,
      cwd: `/home/${randomish}`,
      path: randomish,
    };
    expect(redactValue(value)).toEqual({ value, counts: {} });
    // A known shape is still caught in an identifier field.
    expect(redactValue({ tool_use_id: ghp() }).value).toEqual({ tool_use_id: R('github-pat') });
  });

  test('scans free text, nested objects and arrays; array members take the array key', () => {
    const r = redactValue({
      output_text: `got ${randomish}`,
      nested: [{ note: `postgres://u:${'pw' + '123456'}@h/db` }],
      oids: [randomish],
      secrets: ['abcd'],
    });
    expect(r.value).toEqual({
      output_text: `got ${R('high-entropy-string')}`,
      nested: [{ note: `postgres://u:${R('url-credentials')}@h/db` }],
      oids: [randomish],
      secrets: [R('secret-assignment')],
    });
    expect(r.counts).toEqual({ 'high-entropy-string': 1, 'secret-assignment': 1, 'url-credentials': 1 });
  });

  test('does not modify its input and shares unchanged subtrees', () => {
    const untouched = { a: ['x', 'y'], b: { c: 1 } };
    const input = { untouched, changed: { password: 'p4ssw0rd!' } };
    const snapshot = JSON.stringify(input);
    const r = redactValue(input);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect((r.value as typeof input).untouched).toBe(untouched);
    expect(redactValue(untouched).value).toBe(untouched);
  });

  test('leaves non-string scalars and placeholders alone', () => {
    const value = { password: R('secret-assignment'), token: 12, secret: true, key: null };
    expect(redactValue(value)).toEqual({ value, counts: {} });
    expect(redactValue(42)).toEqual({ value: 42, counts: {} });
    expect(redactValue(`a ${ghp()}`)).toEqual({ value: `a ${R('github-pat')}`, counts: { 'github-pat': 1 } });
  });

  test('handles 100,000-deep nesting without overflowing the stack', () => {
    let deep: unknown = `leaf ${ghp()}`;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const r = redactValue(deep);
    let v = r.value;
    for (let i = 0; i < 100_000; i++) v = (v as { d: unknown }).d;
    expect(v).toBe(`leaf ${R('github-pat')}`);
    expect(r.counts).toEqual({ 'github-pat': 1 });
  });

  test('an own __proto__ key from JSON.parse stays a plain member', () => {
    const input = JSON.parse(`{"__proto__": "${ghp()}"}`) as Record<string, unknown>;
    const out = redactValue(input).value as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe(R('github-pat'));
  });
});

describe('counts', () => {
  test('mergeRedactionCounts sums per rule with sorted keys', () => {
    const merged = mergeRedactionCounts({ jwt: 1, 'github-pat': 2 }, { 'github-pat': 3, 'aws-access-key-id': 1 });
    expect(merged).toEqual({ 'aws-access-key-id': 1, 'github-pat': 5, jwt: 1 });
    expect(Object.keys(merged)).toEqual(['aws-access-key-id', 'github-pat', 'jwt']);
  });

  test('redactInto adds to a caller-owned map', () => {
    const counts = new Map<string, number>([['github-pat', 1]]);
    expect(redactInto(`x ${ghp()} y ${ghp()}`, counts)).toBe(`x ${R('github-pat')} y ${R('github-pat')}`);
    expect([...counts]).toEqual([['github-pat', 3]]);
  });

  test('a custom rule list is honoured, and its placeholder check works', () => {
    const onlyJwt = DEFAULT_REDACTION_RULES.filter((r) => r.id === 'jwt');
    expect(redactText(`${ghp()} ${randomish}`, onlyJwt)).toEqual({ text: `${ghp()} ${randomish}`, counts: {} });
    expect(isRedactionPlaceholder(R('jwt'))).toBe(true);
    expect(isRedactionPlaceholder(`${R('jwt')} `)).toBe(false);
  });
});

// ---- properties -------------------------------------------------------------------------------

const alnumChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const alnumString = (n: number): fc.Arbitrary<string> => fc.array(alnumChar, { minLength: n, maxLength: n }).map((a) => a.join(''));

/** Secrets of known shapes, generated at run time. */
const secretArb: fc.Arbitrary<string> = fc.oneof(
  alnumString(36).map((s) => 'gh' + 'p_' + s),
  alnumString(36).map((s) => 'np' + 'm_' + s),
  alnumString(16).map((s) => 'AK' + 'IA' + s.toUpperCase().replace(/[018-9]/g, 'Q')),
  alnumString(40).map((s) => 'sk-' + 'proj-' + s),
  alnumString(34).map((s) => 'h' + 'f_' + s),
  alnumString(35).map((s) => 'AI' + 'za' + s),
  fc.tuple(alnumString(20), alnumString(40), alnumString(30)).map(([a, b, c]) => `${'ey' + 'J'}${a}.${'ey' + 'J'}${b}.${c}`),
);

const fillerArb = fc.oneof(
  fc.constantFrom(' ', '\n', ' password=', ' token: ', '"api_key": "', '://u:', '@host ', ' Bearer ', '-----BEGIN ' + 'PRIVATE KEY-----', '-----END PRIVATE KEY-----', '=', '.', ';', '"', '\\n'),
  fc.string({ maxLength: 12 }),
  alnumString(24),
);

describe('properties', () => {
  test('redacting twice gives the same text as redacting once, and the second pass finds nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fillerArb, secretArb), { maxLength: 20 }), (parts) => {
        const once = redactText(parts.join(''));
        const twice = redactText(once.text);
        expect(twice.text).toBe(once.text);
        expect(twice.counts).toEqual({});
      }),
      { numRuns: 400 },
    );
  });

  test('no generated secret survives, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fillerArb, secretArb), { minLength: 1, maxLength: 6 }), (pairs) => {
        const out = redactText(pairs.map(([f, s]) => `${f} ${s} `).join('')).text;
        for (const [, secret] of pairs) expect(out.includes(secret)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  test('redactValue is idempotent on JSON-like values', () => {
    const jsonArb = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fillerArb, secretArb),
        fc.integer(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('password', 'run_id', 'text', 'token', 'path', 'note', 'sig_hash'), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(jsonArb, (v) => {
        const once = redactValue(v);
        const twice = redactValue(once.value);
        expect(twice.value).toEqual(once.value);
        expect(twice.counts).toEqual({});
      }),
      { numRuns: 300 },
    );
  });
});

// ---- the real samples ---------------------------------------------------------------------------

const SAMPLES = '/work/shared/samples';

function sampleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sampleFiles(p) : name === 'SOURCES.md' ? [] : [p];
  });
}

const HASH_OR_TIME = /\b(?:[0-9a-f]{64}|[0-9a-f]{40})\b|\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;

describe('real agent-log samples', () => {
  test('keep every 40/64-hex hash and ISO timestamp, and redact only opaque encrypted blobs', () => {
    const totals = new Map<string, number>();
    let lines = 0;
    for (const file of sampleFiles(SAMPLES)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        lines++;
        const out = redactInto(line, totals);
        if (out === line) continue;
        const kept = new Set(out.match(HASH_OR_TIME) ?? []);
        for (const h of line.match(HASH_OR_TIME) ?? []) expect(kept.has(h)).toBe(true);
      }
    }
    expect(lines).toBeGreaterThan(10_000);
    // Eyeballed: the ten are Claude thinking `signature`s and Codex `encrypted_content` blobs,
    // opaque ciphertext that is right to drop. Anything new here is a false positive to look at.
    expect(Object.fromEntries(totals)).toEqual({ 'high-entropy-string': 10 });
  });
});

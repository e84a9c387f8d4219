// canonicalJson: sorted keys, no whitespace, identical to the explicit-stack serializer on any JSON value.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { canonicalJson, canonicalSha256 } from './canonical.ts';

test('sorts keys at every depth and drops whitespace', () => {
  expect(canonicalJson({ b: 1, a: [{ d: null, c: 'x' }], e: { z: true, y: 1.5 } })).toBe('{"a":[{"c":"x","d":null}],"b":1,"e":{"y":1.5,"z":true}}');
});

test('drops undefined members and writes non-finite numbers as null, like JSON.stringify', () => {
  expect(canonicalJson({ a: undefined, b: [undefined, Number.NaN], c: Infinity })).toBe('{"b":[null,null],"c":null}');
});

test('does not modify its input', () => {
  const v = { b: { d: 1, c: 2 }, a: 1 };
  canonicalJson(v);
  expect(Object.keys(v)).toEqual(['b', 'a']);
  expect(Object.keys(v.b)).toEqual(['d', 'c']);
});

test('handles nesting far past the recursion limit', () => {
  let v: unknown = 1;
  for (let i = 0; i < 100_000; i++) v = { k: v };
  const text = canonicalJson(v);
  expect(text.length).toBe(100_000 * 6 + 1);
  expect(text.startsWith('{"k":{"k":')).toBe(true);
});

test('the key order of the input never changes the output or the sig_hash', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = canonicalJson(v);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
      const reversed = JSON.parse(JSON.stringify(v), function (this: unknown, _k, val) {
        if (val === null || typeof val !== 'object' || Array.isArray(val)) return val;
        return Object.fromEntries(Object.entries(val as Record<string, unknown>).reverse());
      });
      expect(canonicalJson(reversed)).toBe(text);
      expect(canonicalSha256(reversed)).toBe(canonicalSha256(v));
    }),
  );
});

test('a "__proto__" key is kept as a member, not a prototype', () => {
  const v = JSON.parse('{"b":1,"__proto__":{"x":1}}');
  expect(canonicalJson(v)).toBe('{"__proto__":{"x":1},"b":1}');
});

import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TEMPLATES_DIR } from '../hooks/install.ts';
import { HOOK_NAMES, renderShim } from '../hooks/plan-install.ts';
import { parseShellWord, parseShimSettings } from './parse-shim-settings.ts';

describe('parseShimSettings', () => {
  test('reads back what renderShim wrote, for every hook, including paths with spaces and quotes', () => {
    for (const name of HOOK_NAMES) {
      const template = readFileSync(join(DEFAULT_TEMPLATES_DIR, name), 'utf8');
      const bin = "/home/o'neil/my tools/git-distill";
      const shim = renderShim(template, name, { git_distill_bin: bin, chain: `${name}.pre-git-distill`, chain_runner: 'sh-e' });
      expect(parseShimSettings(shim)).toEqual({ git_distill_bin: bin, chain: `${name}.pre-git-distill`, chain_runner: 'sh-e' });
    }
  });

  test('an unrendered template has no launcher and no chain (PATH lookup)', () => {
    const template = readFileSync(join(DEFAULT_TEMPLATES_DIR, 'post-commit'), 'utf8');
    expect(parseShimSettings(template)).toEqual({ git_distill_bin: '', chain: '', chain_runner: 'exec' });
  });

  test('a file without the setting lines is not a shim', () => {
    expect(parseShimSettings('#!/bin/sh\nexit 0\n')).toBeNull();
    expect(parseShimSettings("git_distill_bin=''  # git-distill:bin\nchain=''  # git-distill:chain\nchain_runner=bash  # git-distill:runner\n")).toBeNull();
  });
});

describe('parseShellWord', () => {
  test('joins quoted runs and backslash escapes; refuses what sh would expand', () => {
    expect(parseShellWord("'a'\\''b'")).toBe("a'b");
    expect(parseShellWord("''")).toBe('');
    expect(parseShellWord('plain/path')).toBe('plain/path');
    expect(parseShellWord("'unterminated")).toBeNull();
    expect(parseShellWord('$HOME/x')).toBeNull();
  });
});

// Reads back the three settings `hooks install` writes into a hook shim (`<variable>=<value>  # git-distill:<key>`); pure.

export interface ShimSettings {
  /** The recorded launcher; '' means the hook looks git-distill up on PATH. */
  git_distill_bin: string;
  /** The chained hook as written (relative to the shim's directory, or absolute); '' when none. */
  chain: string;
  chain_runner: 'exec' | 'sh-e';
}

/** The value of a POSIX sh word made of single-quoted runs and `\'` escapes (what shellQuote writes), or null. */
export function parseShellWord(word: string): string | null {
  let out = '';
  let i = 0;
  while (i < word.length) {
    if (word[i] === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) return null;
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (word[i] === '\\' && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (/[A-Za-z0-9_./:@%+,-]/.test(word[i] ?? '')) {
      out += word[i];
      i += 1;
    } else {
      return null;
    }
  }
  return out;
}

function setting(content: string, variable: string, key: string): string | null {
  // Lazy: a quoted path may hold spaces; the marker comment ends the line.
  const re = new RegExp(`^${variable}=(.*?) +# git-distill:${key}$`, 'm');
  const m = re.exec(content);
  return m === null ? null : parseShellWord(m[1] ?? '');
}

/** The settings of a shim, or null when the file is not a shim with all three setting lines. */
export function parseShimSettings(content: string): ShimSettings | null {
  const bin = setting(content, 'git_distill_bin', 'bin');
  const chain = setting(content, 'chain', 'chain');
  const runner = setting(content, 'chain_runner', 'runner');
  if (bin === null || chain === null || (runner !== 'exec' && runner !== 'sh-e')) return null;
  return { git_distill_bin: bin, chain, chain_runner: runner };
}

// One pass over the long runs of [A-Za-z0-9_+/=.-] in a text: the 'token' keywords inside them and the runs that could hold an entropy token.
import { matchesAt, type KeywordScanner } from './keyword-scanner.ts';

const RUN = 1;
export const RUN_LOWER = 2;
export const RUN_UPPER = 4;
export const RUN_DIGIT = 8;

// Per UTF-16 code unit: RUN for [A-Za-z0-9_+/=.-], plus its letter/digit class. Indexed by any code
// unit, so the hot loops need no range check.
const INFO = new Uint8Array(65536);
for (const ch of '_+/=.-') INFO[ch.charCodeAt(0)] = RUN;
for (let c = 97; c <= 122; c++) INFO[c] = RUN | RUN_LOWER;
for (let c = 65; c <= 90; c++) INFO[c] = RUN | RUN_UPPER;
for (let c = 48; c <= 57; c++) INFO[c] = RUN | RUN_DIGIT;

/** Told about each run scanTokenRuns finds. */
export interface RunSink {
  run(start: number, end: number, classes: number): void;
}

/**
 * Visits every maximal run of at least `minRun` run characters, left to right. With a scanner, sets
 * seen[keyword] for each of its keywords occurring inside a run (a keyword starting in the run's last
 * character is not looked at, as KeywordScanner.scan(text, start, end) does not). For each run,
 * `sink.run(start, end, classes)` gets the RUN_LOWER/RUN_UPPER/RUN_DIGIT bits of its characters.
 * Returns how many keywords it marked; `seen` must be all 0 on entry.
 *
 * A skip loop probes every minRun-th character; from a probe that lands in a run it reads back until
 * a non-run character (then restarts after it, never rereading what it has read) or until minRun
 * run characters are confirmed, then reads the run forward once, checking keywords on the way. Prose
 * costs about one read per minRun characters plus the words probes land in; long runs, about two
 * reads per character.
 */
export function scanTokenRuns(
  text: string,
  minRun: number,
  scanner: KeywordScanner | null,
  seen: Uint8Array,
  sink: RunSink,
): number {
  let marked = 0;
  const n = text.length;
  const pairs = scanner === null ? null : scanner.pairs;
  let i = 0;
  // text[i, checked) are known run characters when checked > i.
  let checked = 0;
  while (i + minRun <= n) {
    const probe = i + minRun - 1;
    if ((INFO[text.charCodeAt(probe)]! & RUN) === 0) {
      i = probe + 1;
      continue;
    }
    let q = probe - 1;
    const floor = checked > i ? checked : i;
    while (q >= floor && (INFO[text.charCodeAt(q)]! & RUN) !== 0) q--;
    if (q >= floor) {
      checked = probe + 1;
      i = q + 1;
      continue;
    }
    // text[i, probe] are run characters and text[i - 1] is not (i is 0, or follows a non-run character).
    const start = i;
    let classes = 0;
    let j = start;
    if (pairs === null || scanner === null) {
      for (; j < n; j++) {
        const info = INFO[text.charCodeAt(j)]!;
        if ((info & RUN) === 0) break;
        classes |= info;
      }
    } else {
      // c0 = text[j] is a run character; a keyword is looked for at j only when text[j + 1] is one too.
      let c0 = text.charCodeAt(j);
      for (;;) {
        classes |= INFO[c0]!;
        // Never index INFO with charCodeAt's NaN past the end: JavaScriptCore then leaves its fast path.
        if (j + 1 >= n) {
          j++;
          break;
        }
        const c1 = text.charCodeAt(j + 1);
        if ((INFO[c1]! & RUN) === 0) {
          j++;
          break;
        }
        // Run characters are ASCII, so c0 * 128 + c1 is in the table.
        const b = pairs[c0 * 128 + c1]!;
        if (b !== 0) {
          const bucket = scanner.buckets[b - 1]!;
          for (let h = 0; h < bucket.length; h++) {
            const k = bucket[h]!;
            if (seen[k] === 0 && matchesAt(text, j, scanner.keywords[k]!)) {
              seen[k] = 1;
              marked++;
            }
          }
        }
        c0 = c1;
        j++;
      }
    }
    sink.run(start, j, classes);
    i = j;
  }
  return marked;
}

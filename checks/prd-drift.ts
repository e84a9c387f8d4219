// The auditor's prd_drift check (DESIGN 14, 15), pure: are the requirement docs' claims true of the tree at one commit?
import type { Finding, FindingEvidence, FindingLocation, Severity } from '../schemas/finding.ts';
import { DRIFT_REPORT_SCHEMA_VERSION, type DriftReport, type DriftSummary } from '../schemas/drift-report.ts';
import { makeFinding, sortFindings, type Check, type CheckRule } from '../src/checks/check.ts';
import {
  CLAIM_STATUSES,
  descendantsOf,
  idPrefix,
  parseRequirementDoc,
  type Claim,
  type DocRef,
  type ParsedDoc,
} from '../src/drift/parse-requirements.ts';

export const PRD_DRIFT_CHECK_ID = 'prd_drift';

export const PRD_DRIFT_RULES = [
  {
    id: 'dangling_reference',
    title: 'A claim names something that does not exist',
    default_severity: 'high',
    description:
      'A claim marked done names a path, glob, symbol or test that the tree at the commit does not have (high); or a claim of any other status names a path that existed earlier in history and has since been deleted (medium). A planned item naming a file it will create is not drift.',
  },
  {
    id: 'done_without_implementation',
    title: 'Marked done, but nothing implements it',
    default_severity: 'high',
    description:
      'A claim marked done (by itself, not only through its parent) whose named paths, symbols and trace tags, its own and its items\', point to no implementation: it names only tests, or it has a requirement id that no `@req` tag in code traces while the repository does trace requirements.',
  },
  {
    id: 'done_without_tests',
    title: 'Marked done, but no test covers it',
    default_severity: 'medium',
    description:
      'A claim marked done with an implementation but no test evidence: no named test exists, no test file mentions its symbols or carries its `@req` tag, and no test file is named after the code files it names. Judged only when the claim has a `Tests:` line, a requirement id in a repository whose tests carry trace tags, or names code files in a repository that has tests.',
  },
  {
    id: 'unknown_id',
    title: 'A reference to a requirement id no doc defines',
    default_severity: 'medium',
    description:
      'A doc mentions, or a trace tag in code names, an id of a family the docs use (FR-, R45-KR, Phase) that no doc defines.',
  },
  {
    id: 'duplicate_id',
    title: 'One requirement id defined twice',
    default_severity: 'medium',
    description: 'Two headings (in any docs), or two list items or table rows of one doc, define the same requirement id.',
  },
  {
    id: 'phase_done_with_open_items',
    title: 'Marked done with unchecked items',
    default_severity: 'medium',
    description: 'A phase, section or item marked done holds checkbox items that are not checked.',
  },
  {
    id: 'phase_complete_not_marked',
    title: 'Every item checked, but not marked done',
    default_severity: 'low',
    description: 'A phase (or a heading with a status) whose checkbox items are all checked is not marked done.',
  },
  {
    id: 'implemented_not_marked',
    title: 'Implemented, but not marked done',
    default_severity: 'low',
    description:
      'A claim not marked done whose requirement id is traced by `@req` tags in code, or an unchecked "create/add/implement `x`" item whose every named path already exists.',
  },
  {
    id: 'stale_doc',
    title: 'Evidence changed since the doc was verified',
    default_severity: 'medium',
    description:
      'A `<!-- verified: <sha> -->` stamp names a commit the repository does not have, or files the claims in its section rely on (named paths, files holding their symbols or trace tags) changed between that commit and this one.',
  },
  {
    id: 'placeholder_in_shipped',
    title: 'A placeholder in a claim marked done',
    default_severity: 'medium',
    description: 'A claim marked done still says TODO, TBD, FIXME, XXX or ???.',
  },
  {
    id: 'prior_drift_signal',
    title: 'The auditor loop found drift here earlier',
    default_severity: 'low',
    description:
      'A phase sweep (`phase_sweep_findings`) or doc drift correction (`doc_drift_corrections`) distilled from an ancestor commit found fake or partial claims for a phase or doc where this check finds nothing to confirm it.',
  },
] as const satisfies readonly CheckRule[];

export type PrdDriftRuleId = (typeof PRD_DRIFT_RULES)[number]['id'];

/** An earlier drift signal of the auditor loop, as distilled on the branch (an EvidenceRecord of kind drift_signal). */
export interface PriorSignal {
  run_id: string;
  /** `phase_sweep` or `doc_drift`. */
  task_type: string;
  /** The phase it checked (`40`, `Phase 40`), or null. */
  phase: string | null;
  /** The doc it corrected, or null. */
  doc: string | null;
  failures: string[];
  successes: string[];
  /** First line of its text: what it found. */
  summary: string;
  /** The commit it was distilled under. */
  source_oid: string;
}

/** Everything the check needs, read from git at one commit by the runner (src/drift/read-snapshot.ts). */
export interface PrdDriftSnapshot {
  commit_oid: string;
  /** The requirement docs at the commit (path, blob, text), sorted by path. */
  docs: ReadonlyArray<{ path: string; blob_oid: string; text: string }>;
  /** Every file path in the commit's tree. */
  tree_paths: readonly string[];
  test_globs: readonly string[];
  id_patterns: readonly string[];
  /** Symbol → the files (not Markdown, not the docs) where it occurs as a whole word. */
  symbol_hits: Readonly<Record<string, readonly string[]>>;
  /** Trace tags in code and tests: `@req FR-012` at path:line. */
  traces: ReadonlyArray<{ id: string; path: string; line: number }>;
  /** Referenced paths that are missing now but were deleted somewhere in the commit's history. */
  deleted_paths: readonly string[];
  /** Per stamp sha as written: the commit it resolves to (null: unknown here) and the files changed since. */
  stamps: Readonly<Record<string, { commit: string | null; changed_paths: readonly string[] }>>;
  prior_signals: readonly PriorSignal[];
}

// ---------------------------------------------------------------- the tree and its lookups (pure)

interface TreeIndex {
  files: ReadonlySet<string>;
  dirs: ReadonlySet<string>;
  byBasename: ReadonlyMap<string, string[]>;
  sorted: readonly string[];
  isTest(path: string): boolean;
}

function buildTreeIndex(paths: readonly string[], testGlobs: readonly string[]): TreeIndex {
  const files = new Set(paths);
  const dirs = new Set<string>();
  const byBasename = new Map<string, string[]>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    const base = parts[parts.length - 1] as string;
    const list = byBasename.get(base) ?? [];
    list.push(p);
    byBasename.set(base, list);
  }
  const globs = testGlobs.map((g) => new Bun.Glob(g));
  const testCache = new Map<string, boolean>();
  return {
    files,
    dirs,
    byBasename,
    sorted: [...paths].sort(),
    isTest(path) {
      let hit = testCache.get(path);
      if (hit === undefined) {
        hit = globs.some((g) => g.match(path));
        testCache.set(path, hit);
      }
      return hit;
    },
  };
}

function joinPath(dir: string, rel: string): string | null {
  const out: string[] = dir === '' ? [] : dir.split('/');
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

/** The repository files a path reference names: exact, relative to the doc, a directory, or a file named so anywhere. */
export function resolvePathRef(target: string, docPath: string, tree: TreeIndex): string[] {
  const clean = target.replace(/\/+$/, '');
  const docDir = docPath.includes('/') ? docPath.slice(0, docPath.lastIndexOf('/')) : '';
  for (const candidate of [clean, joinPath(docDir, clean)]) {
    if (candidate === null || candidate === '') continue;
    if (tree.files.has(candidate)) return [candidate];
    if (tree.dirs.has(candidate)) return [`${candidate}/`];
  }
  // "OnboardingDefaults.swift" or "Onboarding/Utilities/X.swift" written relative to a sub-project: match by suffix.
  const base = clean.slice(clean.lastIndexOf('/') + 1);
  return (tree.byBasename.get(base) ?? []).filter((p) => p === clean || p.endsWith(`/${clean}`));
}

function resolveGlobRef(target: string, tree: TreeIndex): string[] {
  const glob = new Bun.Glob(target.replace(/^\//, ''));
  return tree.sorted.filter((p) => glob.match(p));
}

// ---------------------------------------------------------------- evaluating claims

interface RefResult {
  ref: DocRef;
  found: boolean;
  /** Files it resolved to (paths, globs) or where the symbol occurs. */
  files: string[];
  /** The ref names a test (on a Tests: line, a test path, or a test-looking symbol). */
  test: boolean;
}

interface ClaimEval {
  claim: Claim;
  doc: ParsedDoc;
  refs: RefResult[];
  /** Files the claim's own names resolve to: implementation and tests (aggregate() adds its descendants'). */
  impl: string[];
  tests: string[];
  /** Code files it names (a test file named after one of them is test evidence). */
  code_files: string[];
  traced_impl: Array<{ path: string; line: number }>;
  traced_tests: Array<{ path: string; line: number }>;
}

const CODE_FILE = /\.(?:ts|tsx|js|jsx|mjs|cjs|py|rs|go|java|kt|swift|rb|c|cc|cpp|h|hpp|cs|php|scala|dart|ex|exs|lua|m|mm|zig|vue|svelte)$/i;
const TEST_SYMBOL = /(?:^test_|_test$|Tests?$|Spec$|^test[A-Z])/;

function evaluateRef(ref: DocRef, doc: ParsedDoc, tree: TreeIndex, snap: PrdDriftSnapshot): RefResult {
  if (ref.kind === 'symbol') {
    const files = [...(snap.symbol_hits[ref.target] ?? [])];
    return { ref, found: files.length > 0, files, test: ref.on_tests_line || TEST_SYMBOL.test(ref.target) };
  }
  const files = ref.kind === 'glob' ? resolveGlobRef(ref.target, tree) : resolvePathRef(ref.target, doc.path, tree);
  const test = ref.on_tests_line || tree.isTest(ref.target) || (files.length > 0 && files.every((f) => tree.isTest(f)));
  return { ref, found: files.length > 0, files, test };
}

function baseStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.[^.]+$/, '').toLowerCase();
}

/** The code file a test file is named after: `login.test.ts`, `test_login.py`, `login_test.go`, `LoginTests.swift` → `login`. */
function testedStem(path: string): string {
  return baseStem(path)
    .replace(/^test[_-]/, '')
    .replace(/[._-]?(?:test|tests|spec)$/, '');
}

interface Evaluation {
  docs: ParsedDoc[];
  evals: Map<ParsedDoc, ClaimEval[]>;
  tree: TreeIndex;
  tracesById: Map<string, Array<{ path: string; line: number; test: boolean }>>;
  repoTracesCode: boolean;
  repoTracesTests: boolean;
  repoHasTests: boolean;
  testStems: Set<string>;
}

/** A snapshot is evaluated once: the findings and the report's summary read the same evaluation. */
const evaluations = new WeakMap<PrdDriftSnapshot, Evaluation>();

function evaluate(snap: PrdDriftSnapshot): Evaluation {
  const cached = evaluations.get(snap);
  if (cached !== undefined) return cached;
  const ev = evaluateUncached(snap);
  evaluations.set(snap, ev);
  return ev;
}

function evaluateUncached(snap: PrdDriftSnapshot): Evaluation {
  const tree = buildTreeIndex(snap.tree_paths, snap.test_globs);
  const docs = snap.docs.map((d) => parseRequirementDoc(d.path, d.text, { id_patterns: snap.id_patterns }));
  const tracesById = new Map<string, Array<{ path: string; line: number; test: boolean }>>();
  for (const t of snap.traces) {
    const list = tracesById.get(t.id) ?? [];
    list.push({ path: t.path, line: t.line, test: tree.isTest(t.path) });
    tracesById.set(t.id, list);
  }
  const allTraces = [...tracesById.values()].flat();
  const testStems = new Set<string>();
  for (const p of tree.sorted) if (tree.isTest(p)) testStems.add(testedStem(p));
  const evals = new Map<ParsedDoc, ClaimEval[]>();
  for (const doc of docs) {
    const own = doc.claims.map((claim): ClaimEval => {
      const refs = claim.refs.map((r) => evaluateRef(r, doc, tree, snap));
      const traced = claim.id === null ? [] : (tracesById.get(claim.id) ?? []);
      const impl: string[] = [];
      const tests: string[] = [];
      const codeFiles: string[] = [];
      for (const r of refs) {
        if (!r.found) continue;
        if (r.ref.kind === 'symbol') {
          impl.push(...r.files.filter((f) => !tree.isTest(f)));
          tests.push(...r.files.filter((f) => tree.isTest(f)));
        } else if (r.test) tests.push(...r.files);
        else {
          impl.push(...r.files);
          codeFiles.push(...r.files.filter((f) => CODE_FILE.test(f) && !tree.isTest(f)));
        }
      }
      return {
        claim,
        doc,
        refs,
        impl,
        tests,
        code_files: codeFiles,
        traced_impl: traced.filter((t) => !t.test),
        traced_tests: traced.filter((t) => t.test),
      };
    });
    evals.set(doc, own);
  }
  return {
    docs,
    evals,
    tree,
    tracesById,
    repoTracesCode: allTraces.some((t) => !t.test),
    repoTracesTests: allTraces.some((t) => t.test),
    repoHasTests: testStems.size > 0,
    testStems,
  };
}

/** A claim's evidence with its descendants': a phase heading is implemented by what its items name. */
function aggregate(ev: Evaluation, e: ClaimEval): { impl: string[]; tests: string[]; code_files: string[]; refs: RefResult[] } {
  const list = ev.evals.get(e.doc) as ClaimEval[];
  const all = [e, ...descendantsOf(e.doc, e.claim.index).map((c) => list[c.index] as ClaimEval)];
  return {
    impl: [...new Set(all.flatMap((x) => [...x.impl, ...x.traced_impl.map((t) => t.path)]))].sort(),
    tests: [...new Set(all.flatMap((x) => [...x.tests, ...x.traced_tests.map((t) => t.path)]))].sort(),
    code_files: [...new Set(all.flatMap((x) => x.code_files))].sort(),
    refs: all.flatMap((x) => x.refs),
  };
}

// ---------------------------------------------------------------- findings

interface Emit {
  rule: PrdDriftRuleId;
  message: string;
  location: FindingLocation | null;
  evidence: FindingEvidence[];
  subject: string;
  severity?: Severity;
}

const RULE_BY_ID = new Map<string, CheckRule>(PRD_DRIFT_RULES.map((r) => [r.id, r]));

function toFinding(e: Emit): Finding {
  const rule = RULE_BY_ID.get(e.rule) as CheckRule;
  return makeFinding({
    check: PRD_DRIFT_CHECK_ID,
    rule_id: e.rule,
    title: rule.title,
    message: e.message,
    severity: e.severity ?? rule.default_severity,
    location: e.location,
    evidence: e.evidence,
    subject: e.subject,
  });
}

const at = (path: string, line: number): FindingLocation => ({ path, start_line: line, end_line: line });
const short = (oid: string) => oid.slice(0, 12);
const quote = (c: Claim) => `"${c.title.length > 80 ? `${c.title.slice(0, 77)}...` : c.title}"`;
const list = (xs: readonly string[], n = 5) => (xs.length <= n ? xs.join(', ') : `${xs.slice(0, n).join(', ')} and ${xs.length - n} more`);

function refLookup(r: RefResult): FindingEvidence {
  const what = r.ref.kind === 'symbol' ? `symbol ${r.ref.target}` : `${r.ref.kind} ${r.ref.target}`;
  const detail = r.found ? `found: ${list(r.files)}` : r.ref.kind === 'symbol' ? 'no code or test file mentions it as a word' : 'not in the tree';
  return { lookup: what, found: r.found, detail };
}

type RuleFn = (ev: Evaluation, snap: PrdDriftSnapshot) => Emit[];

/** Explicitly done: by its own checkbox, marker, status line or column, not only because its parent is. */
const explicitlyDone = (c: Claim) => c.status === 'done' && c.status_source !== 'inherited';

/** A requirement id code can trace (`@req FR-012`); phases and milestones are not traced by tags. */
const traceable = (c: Claim) => c.id !== null && !/^(?:Phase|Milestone|Stage|Step|Sprint|Epic|Iteration) /.test(c.id);

/**
 * A phase judged on its items' evidence says the same as an item judged on its own: keep the most specific
 * finding (the item's) and drop the same rule on the claims that contain it.
 */
function keepInnermost(emits: Array<Emit & { claim: Claim; doc: ParsedDoc }>): Emit[] {
  return emits.filter((e) => {
    const inner = new Set(descendantsOf(e.doc, e.claim.index).map((c) => c.index));
    return !emits.some((o) => o !== e && o.doc === e.doc && o.rule === e.rule && inner.has(o.claim.index));
  });
}

const danglingReference: RuleFn = (ev, snap) => {
  const out: Emit[] = [];
  const deleted = new Set(snap.deleted_paths);
  for (const [doc, evals] of ev.evals) {
    for (const e of evals) {
      const seen = new Set<string>();
      for (const r of e.refs) {
        if (r.found || seen.has(`${r.ref.kind}:${r.ref.target}`)) continue;
        seen.add(`${r.ref.kind}:${r.ref.target}`);
        const wasDeleted = r.ref.kind === 'path' && deleted.has(r.ref.target.replace(/\/+$/, ''));
        if (e.claim.status !== 'done' && !wasDeleted) continue;
        const status = e.claim.status === 'done' ? 'marks done' : `marks ${e.claim.status.replace('_', ' ')}`;
        const gone = wasDeleted ? 'was deleted and is not' : r.ref.kind === 'symbol' ? 'appears in no code or test file' : 'does not exist';
        out.push({
          rule: 'dangling_reference',
          severity: e.claim.status === 'done' ? 'high' : 'medium',
          message: `${doc.path}:${r.ref.line} ${status} ${quote(e.claim)}, but \`${r.ref.text}\` ${gone} in the tree. Restore it, or correct the reference or the status.`,
          location: at(doc.path, r.ref.line),
          evidence: [refLookup(r), ...(wasDeleted ? [{ lookup: `history of ${r.ref.target}`, found: true, detail: 'deleted in an earlier commit' }] : [])],
          subject: `${doc.path}|${e.claim.key}|${r.ref.kind}:${r.ref.target}`,
        });
      }
    }
  }
  return out;
};

const doneWithoutImplementation: RuleFn = (ev) => {
  const out: Array<Emit & { claim: Claim; doc: ParsedDoc }> = [];
  for (const [doc, evals] of ev.evals) {
    for (const e of evals) {
      if (!explicitlyDone(e.claim)) continue;
      const agg = aggregate(ev, e);
      if (agg.impl.length > 0) continue;
      // Names that do not exist are dangling_reference's, more precisely.
      if (agg.refs.some((r) => !r.found && !r.test)) continue;
      const onlyTests = agg.refs.length > 0;
      const untraced = traceable(e.claim) && ev.repoTracesCode && agg.refs.length === 0;
      if (!onlyTests && !untraced) continue;
      const why = onlyTests
        ? `it names only tests (${list(agg.refs.map((r) => r.ref.target))}) and no implementation`
        : `no code carries a trace tag for ${e.claim.id} (this repository traces requirements with tags such as \`@req\`)`;
      out.push({
        claim: e.claim,
        doc,
        rule: 'done_without_implementation',
        message: `${doc.path}:${e.claim.line} marks ${quote(e.claim)} done, but ${why}.`,
        location: at(doc.path, e.claim.line),
        evidence: [
          ...agg.refs.map(refLookup),
          ...(traceable(e.claim) ? [{ lookup: `trace tag ${e.claim.id} in code`, found: false, detail: 'no trace tag in a non-test file' }] : []),
        ],
        subject: `${doc.path}|${e.claim.key}`,
      });
    }
  }
  return keepInnermost(out);
};

const doneWithoutTests: RuleFn = (ev) => {
  const out: Array<Emit & { claim: Claim; doc: ParsedDoc }> = [];
  for (const [doc, evals] of ev.evals) {
    for (const e of evals) {
      if (!explicitlyDone(e.claim)) continue;
      const agg = aggregate(ev, e);
      if (agg.impl.length === 0 || agg.tests.length > 0) continue;
      if (agg.code_files.some((f) => ev.testStems.has(baseStem(f)))) continue;
      const namesTests = agg.refs.some((r) => r.ref.on_tests_line);
      const traced = traceable(e.claim) && ev.repoTracesTests;
      const namesCode = agg.code_files.length > 0 && ev.repoHasTests;
      if (!namesTests && !traced && !namesCode) continue;
      const why = namesTests
        ? 'none of the tests it names exists'
        : traced
          ? `no test carries a trace tag for ${e.claim.id}`
          : `no test file is named after ${list(agg.code_files, 3)} or mentions its symbols`;
      out.push({
        claim: e.claim,
        doc,
        rule: 'done_without_tests',
        message: `${doc.path}:${e.claim.line} marks ${quote(e.claim)} done and it is implemented (${list(agg.impl, 3)}), but ${why}.`,
        location: at(doc.path, e.claim.line),
        evidence: [
          { lookup: 'implementation', found: true, detail: list(agg.impl) },
          { lookup: 'tests', found: false, detail: namesTests ? 'named tests not found' : 'no test evidence' },
        ],
        subject: `${doc.path}|${e.claim.key}`,
      });
    }
  }
  return keepInnermost(out);
};

/** Every id some doc defines, with where. */
function definitions(ev: Evaluation): Map<string, Array<{ doc: ParsedDoc; claim: Claim }>> {
  const defs = new Map<string, Array<{ doc: ParsedDoc; claim: Claim }>>();
  for (const doc of ev.docs) {
    for (const claim of doc.claims) {
      if (claim.id === null) continue;
      const l = defs.get(claim.id) ?? [];
      l.push({ doc, claim });
      defs.set(claim.id, l);
    }
  }
  return defs;
}

const unknownId: RuleFn = (ev) => {
  const defs = definitions(ev);
  const families = new Set([...defs.keys()].map(idPrefix));
  const out: Emit[] = [];
  const known = (id: string) => defs.has(id) || !families.has(idPrefix(id));
  for (const doc of ev.docs) {
    const first = new Map<string, number>();
    for (const m of doc.mentions) if (!known(m.id) && !first.has(m.id)) first.set(m.id, m.line);
    for (const [id, line] of first) {
      out.push({
        rule: 'unknown_id',
        message: `${doc.path}:${line} refers to ${id}, but no requirement doc defines it (the docs define ${idPrefix(id)} ids such as ${list([...defs.keys()].filter((d) => idPrefix(d) === idPrefix(id)).sort(), 3)}).`,
        location: at(doc.path, line),
        evidence: [{ lookup: `definition of ${id}`, found: false, detail: `no heading, item or row of ${list(ev.docs.map((d) => d.path), 4)} starts with it` }],
        subject: `${doc.path}|${id}`,
      });
    }
  }
  for (const [id, traces] of ev.tracesById) {
    if (known(id)) continue;
    const t = [...traces].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line))[0]!;
    out.push({
      rule: 'unknown_id',
      message: `${t.path}:${t.line} traces to ${id}, but no requirement doc defines it.`,
      location: at(t.path, t.line),
      evidence: [{ lookup: `definition of ${id}`, found: false, detail: `traced in ${list([...new Set(traces.map((x) => x.path))].sort())}` }],
      subject: `trace|${id}`,
    });
  }
  return out;
};

const duplicateId: RuleFn = (ev) => {
  const out: Emit[] = [];
  for (const [id, defs] of definitions(ev)) {
    // Headings anywhere, or the same kind of claim within one doc; a status table row about a heading's id is a summary, not a duplicate.
    const groups = new Map<string, Array<{ doc: ParsedDoc; claim: Claim }>>();
    for (const d of defs) {
      const key = d.claim.kind === 'heading' ? 'heading' : `${d.doc.path}|${d.claim.kind === 'checkbox' ? 'item' : d.claim.kind}`;
      const g = groups.get(key) ?? [];
      g.push(d);
      groups.set(key, g);
    }
    for (const [key, g] of groups) {
      if (g.length < 2) continue;
      const [first, second] = g as [{ doc: ParsedDoc; claim: Claim }, { doc: ParsedDoc; claim: Claim }];
      out.push({
        rule: 'duplicate_id',
        message: `${second.doc.path}:${second.claim.line} defines ${id} again (first at ${first.doc.path}:${first.claim.line}${g.length > 2 ? `, ${g.length} definitions in all` : ''}): ${quote(first.claim)} vs ${quote(second.claim)}.`,
        location: at(second.doc.path, second.claim.line),
        evidence: g.map((d) => ({ lookup: `definition of ${id}`, found: true, detail: `${d.doc.path}:${d.claim.line} ${d.claim.title}` })),
        subject: `${id}|${key}`,
      });
    }
  }
  return out;
};

function checkboxItems(doc: ParsedDoc, claim: Claim): Claim[] {
  return descendantsOf(doc, claim.index).filter((c) => c.kind === 'checkbox');
}

const phaseDoneWithOpenItems: RuleFn = (ev) => {
  const out: Emit[] = [];
  for (const doc of ev.docs) {
    for (const claim of doc.claims) {
      if (!explicitlyDone(claim) || claim.kind === 'checkbox') continue;
      const open = checkboxItems(doc, claim).filter((c) => c.status !== 'done' && c.status !== 'deferred');
      if (open.length === 0) continue;
      out.push({
        rule: 'phase_done_with_open_items',
        message: `${doc.path}:${claim.line} marks ${quote(claim)} done, but ${open.length} of its checkbox items ${open.length === 1 ? 'is' : 'are'} not checked (first at line ${open[0]!.line}).`,
        location: { path: doc.path, start_line: claim.line, end_line: Math.max(claim.end_line, claim.line) },
        evidence: open.slice(0, 10).map((c) => ({ lookup: `item at line ${c.line}`, found: false, detail: `[ ] ${c.title}` })),
        subject: `${doc.path}|${claim.key}`,
      });
    }
  }
  return out;
};

const phaseCompleteNotMarked: RuleFn = (ev) => {
  const out: Emit[] = [];
  for (const doc of ev.docs) {
    for (const claim of doc.claims) {
      if (claim.kind === 'checkbox' || claim.status === 'done' || claim.status === 'deferred') continue;
      if (!claim.phase_like && claim.status_source === null) continue;
      const items = checkboxItems(doc, claim);
      if (items.length === 0 || items.some((c) => c.status !== 'done')) continue;
      const state = claim.status === 'unknown' ? 'carries no status' : `is marked ${claim.status.replace('_', ' ')}`;
      out.push({
        rule: 'phase_complete_not_marked',
        message: `${doc.path}:${claim.line}: all ${items.length} checkbox items of ${quote(claim)} are checked, but it ${state}.`,
        location: at(doc.path, claim.line),
        evidence: [{ lookup: 'checkbox items', found: true, detail: `${items.length} of ${items.length} checked` }],
        subject: `${doc.path}|${claim.key}`,
      });
    }
  }
  return out;
};

const CREATE_VERB = /^(?:create|add|implement|write|introduce|build|scaffold|set up)\b/i;

const implementedNotMarked: RuleFn = (ev) => {
  const out: Emit[] = [];
  for (const [doc, evals] of ev.evals) {
    for (const e of evals) {
      const c = e.claim;
      if (c.status === 'done' || c.status === 'deferred') continue;
      const open = c.status === 'planned' || c.status === 'in_progress' || c.kind === 'checkbox';
      if (!open) continue;
      if (c.id !== null && e.traced_impl.length > 0) {
        out.push({
          rule: 'implemented_not_marked',
          message: `${doc.path}:${c.line} marks ${quote(c)} ${c.status.replace('_', ' ')}, but code already traces to ${c.id} (${list([...new Set(e.traced_impl.map((t) => `${t.path}:${t.line}`))], 3)}).`,
          location: at(doc.path, c.line),
          evidence: e.traced_impl.slice(0, 10).map((t) => ({ lookup: `trace tag ${c.id}`, found: true, detail: `${t.path}:${t.line}` })),
          subject: `${doc.path}|${c.key}`,
        });
        continue;
      }
      const paths = e.refs.filter((r) => r.ref.kind === 'path');
      if (c.kind === 'checkbox' && CREATE_VERB.test(c.title) && paths.length > 0 && paths.length === e.refs.length && paths.every((r) => r.found)) {
        out.push({
          rule: 'implemented_not_marked',
          message: `${doc.path}:${c.line} leaves ${quote(c)} unchecked, but ${list(paths.map((r) => `\`${r.ref.text}\``), 3)} already ${paths.length === 1 ? 'exists' : 'exist'}.`,
          location: at(doc.path, c.line),
          evidence: paths.map(refLookup),
          subject: `${doc.path}|${c.key}`,
        });
      }
    }
  }
  return out;
};

const staleDoc: RuleFn = (ev, snap) => {
  const out: Emit[] = [];
  for (const [doc, evals] of ev.evals) {
    for (const stamp of doc.stamps) {
      const scope = stamp.scope === null ? evals : [evals[stamp.scope] as ClaimEval, ...descendantsOf(doc, stamp.scope).map((c) => evals[c.index] as ClaimEval)];
      const scopeKey = stamp.scope === null ? '(document)' : (doc.claims[stamp.scope] as Claim).key;
      const where = stamp.scope === null ? doc.path : `${quote(doc.claims[stamp.scope] as Claim)}`;
      const resolved = snap.stamps[stamp.sha];
      if (resolved === undefined || resolved.commit === null) {
        out.push({
          rule: 'stale_doc',
          message: `${doc.path}:${stamp.line} says ${where} was verified at ${stamp.sha}, but this repository has no such commit; verify again and update the stamp.`,
          location: at(doc.path, stamp.line),
          evidence: [{ lookup: `commit ${stamp.sha}`, found: false, detail: 'not a commit in this repository' }],
          subject: `${doc.path}|stamp|${scopeKey}`,
        });
        continue;
      }
      const relied = new Set<string>();
      for (const e of scope) {
        for (const r of e.refs) for (const f of r.files) relied.add(f.replace(/\/$/, ''));
        for (const t of [...e.traced_impl, ...e.traced_tests]) relied.add(t.path);
      }
      const changed = resolved.changed_paths.filter((p) => relied.has(p) || [...relied].some((r) => p.startsWith(`${r}/`))).sort();
      if (changed.length === 0) continue;
      out.push({
        rule: 'stale_doc',
        message: `${doc.path}:${stamp.line} says ${where} was verified at ${short(resolved.commit)}, but ${changed.length} file${changed.length === 1 ? '' : 's'} it relies on changed since: ${list(changed)}.`,
        location: at(doc.path, stamp.line),
        evidence: changed.slice(0, 20).map((p) => ({ lookup: `changes to ${p} since ${short(resolved.commit as string)}`, found: true, detail: 'changed' })),
        subject: `${doc.path}|stamp|${scopeKey}`,
      });
    }
  }
  return out;
};

const placeholderInShipped: RuleFn = (ev) => {
  const out: Emit[] = [];
  for (const doc of ev.docs) {
    for (const c of doc.claims) {
      if (c.status !== 'done' || c.placeholders.length === 0) continue;
      const p = c.placeholders[0]!;
      out.push({
        rule: 'placeholder_in_shipped',
        message: `${doc.path}:${p.line} marks ${quote(c)} done, but it still says ${[...new Set(c.placeholders.map((x) => x.word))].join(', ')}.`,
        location: at(doc.path, p.line),
        evidence: c.placeholders.map((x) => ({ lookup: `placeholder at line ${x.line}`, found: true, detail: x.word })),
        subject: `${doc.path}|${c.key}`,
      });
    }
  }
  return out;
};

const RULE_FNS: ReadonlyArray<readonly [PrdDriftRuleId, RuleFn]> = [
  ['dangling_reference', danglingReference],
  ['done_without_implementation', doneWithoutImplementation],
  ['done_without_tests', doneWithoutTests],
  ['unknown_id', unknownId],
  ['duplicate_id', duplicateId],
  ['phase_done_with_open_items', phaseDoneWithOpenItems],
  ['phase_complete_not_marked', phaseCompleteNotMarked],
  ['implemented_not_marked', implementedNotMarked],
  ['stale_doc', staleDoc],
  ['placeholder_in_shipped', placeholderInShipped],
];

// ---------------------------------------------------------------- the auditor loop's earlier signals

function phaseKey(s: string): string | null {
  const m = /^(?:phase\s*)?(\d+(?:\.\d+)?)$/i.exec(s.trim());
  return m === null ? null : `Phase ${String(Number(m[1]))}`;
}

/** Signals join the findings about their phase or doc as evidence; a signal with failures and nothing to join becomes its own finding. */
function joinPriorSignals(ev: Evaluation, emits: Emit[], snap: PrdDriftSnapshot): Emit[] {
  const out = [...emits];
  for (const s of [...snap.prior_signals].sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0))) {
    const evidence: FindingEvidence = {
      lookup: `${s.task_type === 'doc_drift' ? 'doc_drift_corrections' : 'phase_sweep_findings'} ${s.run_id} (distilled under ${short(s.source_oid)})`,
      found: s.failures.length > 0,
      detail: [s.summary, ...s.failures].filter((x) => x !== '').join('; ').slice(0, 500),
    };
    const phase = s.phase === null ? null : (phaseKey(s.phase) ?? s.phase);
    let target: { doc: ParsedDoc; claim: Claim | null } | null = null;
    for (const doc of ev.docs) {
      const claim = phase === null ? null : (doc.claims.find((c) => c.id === phase) ?? null);
      if (claim !== null || (s.doc !== null && doc.path === s.doc)) {
        target = { doc, claim };
        break;
      }
    }
    const matches = out.filter((e) => {
      if (target === null || e.location === null || e.location.path !== target.doc.path) return false;
      if (target.claim === null) return true;
      const claim = target.claim;
      const inside = new Set([claim.index, ...descendantsOf(target.doc, claim.index).map((c) => c.index)]);
      const line = e.location.start_line ?? 0;
      return target.doc.claims.some((c) => inside.has(c.index) && line >= c.line && line <= c.end_line) || line === claim.line;
    });
    for (const m of matches) m.evidence = [...m.evidence, evidence];
    if (matches.length > 0 || s.failures.length === 0) continue;
    const where = target === null ? null : target.claim === null ? at(target.doc.path, 1) : at(target.doc.path, target.claim.line);
    const about = phase !== null ? `phase ${phase.replace(/^Phase /, '')}` : (s.doc ?? 'a doc');
    out.push({
      rule: 'prior_drift_signal',
      message: `The auditor loop's ${s.task_type === 'doc_drift' ? 'doc drift correction' : 'phase sweep'} found ${list(s.failures, 3)} for ${about}${target === null ? ' (no requirement doc here defines it)' : ''}; this check finds nothing to confirm it, so look again by hand.`,
      location: where,
      evidence: [evidence],
      subject: `signal|${s.run_id}`,
    });
  }
  return out;
}

// ---------------------------------------------------------------- the check and the report

/** Every finding for the snapshot, sorted; two runs on the same snapshot give the same findings. */
export function runPrdDrift(snap: PrdDriftSnapshot): Finding[] {
  const ev = evaluate(snap);
  const emits = RULE_FNS.flatMap(([, fn]) => fn(ev, snap));
  return sortFindings(joinPriorSignals(ev, emits, snap).map(toFinding));
}

export const prdDriftCheck: Check<PrdDriftSnapshot> = {
  id: PRD_DRIFT_CHECK_ID,
  title: 'PRD drift',
  rules: PRD_DRIFT_RULES,
  run: runPrdDrift,
};

/** How many claims the docs make and how many hold: the DriftReport's summary. */
export function computeDriftSummary(snap: PrdDriftSnapshot, findings: readonly Finding[]): DriftSummary {
  const ev = evaluate(snap);
  const byStatus = Object.fromEntries(CLAIM_STATUSES.map((s) => [s, 0])) as DriftSummary['by_status'];
  const flagged = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.location === null || f.location.start_line === null) continue;
    const key = `${f.location.path}:${f.location.start_line}`;
    const set = flagged.get(key) ?? new Set<string>();
    set.add(f.rule_id);
    flagged.set(key, set);
  }
  let verified = 0;
  let phantom = 0;
  let unverifiable = 0;
  let stale = 0;
  for (const [doc, evals] of ev.evals) {
    const staleScopes = doc.stamps.filter((s) => findings.some((f) => f.rule_id === 'stale_doc' && f.location?.path === doc.path && f.location.start_line === s.line));
    const staleClaims = new Set<number>();
    for (const s of staleScopes) {
      if (s.scope === null) for (const c of doc.claims) staleClaims.add(c.index);
      else for (const c of [doc.claims[s.scope] as Claim, ...descendantsOf(doc, s.scope)]) staleClaims.add(c.index);
    }
    stale += staleClaims.size;
    for (const e of evals) {
      byStatus[e.claim.status]++;
      if (e.claim.status !== 'done') continue;
      const rules = new Set<string>();
      for (let l = e.claim.line; l <= e.claim.end_line; l++) for (const r of flagged.get(`${doc.path}:${l}`) ?? []) rules.add(r);
      for (const r of e.refs) for (const x of flagged.get(`${doc.path}:${r.ref.line}`) ?? []) rules.add(x);
      if (rules.has('dangling_reference') || rules.has('done_without_implementation')) phantom++;
      else if (e.refs.length === 0 && e.traced_impl.length === 0 && e.traced_tests.length === 0) unverifiable++;
      else if (rules.size === 0) verified++;
    }
  }
  const byRule = Object.fromEntries(PRD_DRIFT_RULES.map((r) => [r.id, 0])) as Record<string, number>;
  for (const f of findings) byRule[f.rule_id] = (byRule[f.rule_id] ?? 0) + 1;
  return { by_status: byStatus, verified, phantom, unverifiable, stale, by_rule: byRule };
}

/** The DriftReport for a commit: docs with their claim counts, the summary, and the findings as given (marked against a base or not). */
export function buildDriftReport(snap: PrdDriftSnapshot, findings: readonly Finding[], base_oid: string | null): DriftReport {
  const parsed = evaluate(snap).docs;
  const docs = snap.docs.map((d, i) => ({ path: d.path, blob_oid: d.blob_oid, claim_count: (parsed[i] as ParsedDoc).claims.length }));
  return {
    schema_version: DRIFT_REPORT_SCHEMA_VERSION,
    commit_oid: snap.commit_oid,
    base_oid,
    docs,
    claim_count: docs.reduce((n, d) => n + d.claim_count, 0),
    summary: computeDriftSummary(snap, findings),
    findings: sortFindings(findings),
  };
}

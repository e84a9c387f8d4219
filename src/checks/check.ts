// The contract of an auditor check (DESIGN 15): a pure function from a snapshot to findings, with stable fingerprints.
import { canonicalJson, sha256Hex } from '../canonical.ts';
import {
  FINDING_SCHEMA_VERSION,
  type Finding,
  type FindingEvidence,
  type FindingLocation,
  type IntroducedBy,
  type Severity,
} from '../../schemas/finding.ts';

export interface CheckRule {
  /** Stable inside its check; policies and baselines name it as `<check>/<id>`. */
  id: string;
  title: string;
  default_severity: Severity;
  description: string;
}

/** One auditor check, pure: snapshot in, findings out. `checks/<id>.ts` each export one. */
export interface Check<S> {
  id: string;
  title: string;
  rules: readonly CheckRule[];
  run(snapshot: S): Finding[];
}

/** sha256 of canonical JSON `[check, rule_id, subject]`. The subject never holds line numbers, so a baseline survives edits. */
export function findingFingerprint(check: string, ruleId: string, subject: string): string {
  return sha256Hex(canonicalJson([check, ruleId, subject]));
}

export interface FindingInput {
  check: string;
  rule_id: string;
  title: string;
  message: string;
  severity: Severity;
  location: FindingLocation | null;
  evidence: FindingEvidence[];
  /** What the finding is about, stable across edits (e.g. "FR-012", "src/x.ts"); hashed into the fingerprint. */
  subject: string;
  introduced_by?: IntroducedBy;
}

export function makeFinding(input: FindingInput): Finding {
  return {
    schema_version: FINDING_SCHEMA_VERSION,
    check: input.check,
    rule_id: input.rule_id,
    title: input.title,
    message: input.message,
    severity: input.severity,
    location: input.location,
    evidence: input.evidence,
    fingerprint: findingFingerprint(input.check, input.rule_id, input.subject),
    introduced_by: input.introduced_by ?? 'unknown',
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A total, input-independent order: path, start line, check, rule, fingerprint (whole-repo findings first). */
export function sortFindings<F extends Finding>(findings: readonly F[]): F[] {
  return [...findings].sort(
    (a, b) =>
      cmp(a.location?.path ?? '', b.location?.path ?? '') ||
      (a.location?.start_line ?? 0) - (b.location?.start_line ?? 0) ||
      cmp(a.check, b.check) ||
      cmp(a.rule_id, b.rule_id) ||
      cmp(a.fingerprint, b.fingerprint),
  );
}

/**
 * On a PR: a head finding whose fingerprint the merge-base also has was already there ('base'), any other
 * was introduced by the range ('pr'). With no base to compare (null) nothing can be told ('unknown').
 */
export function markIntroduced(head: readonly Finding[], base: readonly Finding[] | null): Finding[] {
  if (base === null) return head.map((f) => ({ ...f, introduced_by: 'unknown' }));
  const before = new Set(base.map((f) => f.fingerprint));
  return head.map((f) => ({ ...f, introduced_by: before.has(f.fingerprint) ? 'base' : 'pr' }));
}

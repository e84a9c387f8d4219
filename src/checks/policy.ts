// Policy (DESIGN 15): severity → disposition, per-rule overrides, a baseline of accepted fingerprints; only a PR's own findings block.
import type { DistillConfig } from '../../schemas/config.ts';
import type { Finding, Severity } from '../../schemas/finding.ts';

export type Disposition = 'block' | 'warn' | 'info' | 'off';
export const DISPOSITIONS: readonly Disposition[] = ['block', 'warn', 'info', 'off'];

export interface Policy {
  severity: Record<Severity, Disposition>;
  /** Keyed `<check>/<rule_id>`, e.g. `prd_drift/dangling_reference`. */
  rules: Readonly<Record<string, Disposition>>;
  /** Fingerprints a team has accepted: their findings are `off`. */
  baseline: ReadonlySet<string>;
}

export const DEFAULT_SEVERITY_DISPOSITIONS: Record<Severity, Disposition> = {
  critical: 'block',
  high: 'block',
  medium: 'warn',
  low: 'info',
  info: 'info',
};

export const DEFAULT_POLICY: Policy = { severity: DEFAULT_SEVERITY_DISPOSITIONS, rules: {}, baseline: new Set() };

export interface DisposedFinding extends Finding {
  disposition: Disposition;
  /** Why this disposition, in words a reviewer reads: the rule override, the severity, the baseline, the demotion. */
  disposition_reason: string;
}

/** Rule override, else severity; baselined → off; `block` only when the PR introduced it, otherwise demoted to `warn`. */
export function applyPolicy(findings: readonly Finding[], policy: Policy): DisposedFinding[] {
  return findings.map((f) => {
    if (policy.baseline.has(f.fingerprint)) return { ...f, disposition: 'off', disposition_reason: 'accepted in the baseline' };
    const key = `${f.check}/${f.rule_id}`;
    const override = policy.rules[key];
    let disposition: Disposition = override ?? policy.severity[f.severity];
    let reason = override !== undefined ? `policy rule ${key}` : `severity ${f.severity}`;
    if (disposition === 'block' && f.introduced_by !== 'pr') {
      disposition = 'warn';
      reason += f.introduced_by === 'base' ? '; already on the base, so it cannot block' : '; not known to be introduced here, so it cannot block';
    }
    return { ...f, disposition, disposition_reason: reason };
  });
}

export type FailLevel = 'block' | 'warn' | 'never';
export const FAIL_LEVELS: readonly FailLevel[] = ['block', 'warn', 'never'];

const RANK: Record<Disposition, number> = { off: 0, info: 1, warn: 2, block: 3 };

/** True when any finding's disposition is at or above `level` (off < info < warn < block); `never` never fails. */
export function shouldFail(findings: readonly DisposedFinding[], level: FailLevel): boolean {
  if (level === 'never') return false;
  return findings.some((f) => RANK[f.disposition] >= RANK[level]);
}

/** Counts by disposition, every key present. */
export function countDispositions(findings: readonly DisposedFinding[]): Record<Disposition, number> {
  const counts: Record<Disposition, number> = { block: 0, warn: 0, info: 0, off: 0 };
  for (const f of findings) counts[f.disposition]++;
  return counts;
}

/** The policy `config.checks` describes, with the baseline file's fingerprints (read by the caller). */
export function buildPolicy(config: DistillConfig['checks'], baselineFingerprints: readonly string[]): Policy {
  return {
    severity: { ...DEFAULT_SEVERITY_DISPOSITIONS, ...config.policy.severity },
    rules: { ...config.policy.rules },
    baseline: new Set(baselineFingerprints),
  };
}

// The adapter registry and the edges every entry point hands to the stages: reader, redactor, scoring rules from config.
import type { DistillConfig } from '../schemas/config.ts';
import type { Adapter } from './collect/adapter.ts';
import type { CollectIo } from './collect/collect.ts';
import type { TextRedactor } from './collect/finalize.ts';
import { claudeCodeAdapter } from './collect/adapters/claude-code.ts';
import { codexAdapter } from './collect/adapters/codex.ts';
import { LAKEHOUSE_ADAPTERS } from './collect/adapters/lakehouse/index.ts';
import { sweAgentAdapter } from './collect/adapters/swe-agent.ts';
import { miniSweAgentAdapter } from './collect/adapters/mini-swe-agent.ts';
import { openHandsAdapter } from './collect/adapters/openhands.ts';
import { openHandsEvalAdapter } from './collect/adapters/openhands-eval.ts';
import { geminiCliAdapter, geminiCliJsonlAdapter } from './collect/adapters/gemini-cli.ts';
import { copilotCliAdapter } from './collect/adapters/copilot-cli.ts';
import { langfuseAdapter } from './collect/adapters/langfuse.ts';
import { aiderAdapter } from './collect/adapters/aider.ts';
import { atifAdapter } from './collect/adapters/atif.ts';
import { readLines } from './io/jsonl.ts';
import { parseJsonGuarded, readJsonDocument } from './io/json-guard.ts';
import { DEFAULT_REDACTION_RULES } from './redact/rules.ts';
import { redactInto } from './redact/redact.ts';
import { resolveScoringConfig, rulesSha256, type ScoringRule } from './score/rules.ts';
import { SCORER_VERSION } from './score/score.ts';
import { DistillError } from './errors.ts';

/** Every adapter, in detection tie-break order. */
export const ADAPTERS: readonly Adapter[] = [
  ...LAKEHOUSE_ADAPTERS,
  claudeCodeAdapter,
  codexAdapter,
  geminiCliJsonlAdapter,
  sweAgentAdapter,
  miniSweAgentAdapter,
  openHandsAdapter,
  openHandsEvalAdapter,
  geminiCliAdapter,
  copilotCliAdapter,
  langfuseAdapter,
  atifAdapter,
  aiderAdapter,
] as readonly Adapter[];

export function collectIo(): CollectIo {
  return {
    readLines: (path, opts) => readLines(path, { maxLineBytes: opts.maxLineBytes }),
    parseJson: (text, opts) => {
      const r = parseJsonGuarded(text, opts);
      return r.ok ? r : { ok: false, code: r.code, reason: r.reason };
    },
    readJsonDocument: async (path, opts) => {
      const r = await readJsonDocument(path, opts);
      if (r.ok) return { ok: true, value: r.value, bytes: r.byte_length, sha256: r.sha256 };
      return { ok: false, code: r.code, reason: r.reason, bytes: r.byte_length, sha256: r.sha256 };
    },
  };
}

export function buildRedactor(config: DistillConfig): TextRedactor {
  const known = new Set(DEFAULT_REDACTION_RULES.map((r) => r.id));
  for (const id of config.redact.disabled_rules) {
    if (!known.has(id)) {
      throw new DistillError('E_CONFIG_INVALID', `redact.disabled_rules names an unknown rule '${id}'`, {
        hint: `known rules: ${[...known].join(', ')}`,
      });
    }
  }
  const disabled = new Set(config.redact.disabled_rules);
  const rules = DEFAULT_REDACTION_RULES.filter((r) => !disabled.has(r.id));
  return (text, counts) => redactInto(text, counts, rules);
}

export function buildScoring(config: DistillConfig): { rules: ScoringRule[]; rules_sha256: string; scorer_version: string } {
  const rules = resolveScoringConfig(config.scoring, '.distill/config.json scoring');
  return { rules, rules_sha256: rulesSha256(rules), scorer_version: SCORER_VERSION };
}

export function buildIngestSetup() {
  return { adapters: ADAPTERS, redactor: buildRedactor, scoring: buildScoring };
}

/**
 * What an ingest worker (src/ingest/ingest-worker.ts) needs to collect like the main thread: a worker shares
 * no closures with it, so it rebuilds the adapters, the reader and the redactor from the config it receives.
 */
export function ingestWorkerSetup(config: DistillConfig): { adapters: readonly Adapter[]; io: CollectIo; redact: TextRedactor } {
  return { adapters: ADAPTERS, io: collectIo(), redact: buildRedactor(config) };
}

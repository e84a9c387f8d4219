// Tables for the already-distilled streams (facts, procedures, config hints): text passed through as facts.
import { opt, req, type StreamSpec } from './stream-spec.ts';

/**
 * The three streams share one shape. The extractor's categorizer labels each item factual,
 * procedural or config_hint and the producer splits the streams by that label, so the category
 * (or source label) is the cue that tells a renamed copy apart.
 */
function distilledStream(stream: string, noun: string, cue: RegExp): StreamSpec {
  return {
    stream,
    description: `Lakehouse distilled ${noun}s (${stream}.jsonl): extracted text, passed through`,
    kind: 'fact',
    model_role: 'extractor',
    // The recon lists schema_version on these streams; the version they write is 1.
    schema_version: 1,
    fields: {
      run_id: req('string', `a distilled ${noun} must name the run it was extracted from`),
      text: req('text', `a distilled ${noun} must carry its text`, 'output_text'),
      created_at: opt('timestamp', 'timestamp'),
      extractor: opt('string', 'model_name'),
      verifier: opt('string'),
      category: opt('string'),
      source_label: opt('string'),
    },
    // The extraction run's own id: every item extracted in one run joins it.
    run_id: (f) => f.need('run_id'),
    // Items from one source (the labelled document or run they were extracted from) share a task.
    task_id: (f) => f.str('source_label') ?? f.need('run_id'),
    // The categorizer's label is the task tag RAG exports filter by; the stream's noun when absent.
    task_type: (f) => `distilled:${f.str('category') ?? noun}`,
    signature: {
      all: ['run_id', 'text', 'extractor'],
      any: ['categorizer', 'embedding', 'category', 'source_label'],
      cue: (first) => ['category', 'source_label'].some((k) => typeof first[k] === 'string' && cue.test(first[k])),
    },
    finish: (f, d) => {
      // Not a marker: it says the extraction was checked, not that any run succeeded.
      const verifier = f.str('verifier');
      if (verifier !== null) d.observer_notes = `verified by ${verifier}`;
      return null;
    },
  };
}

export const DISTILLED_FACTS = distilledStream('distilled_facts', 'fact', /fact/i);
export const DISTILLED_PROCEDURES = distilledStream('distilled_procedures', 'procedure', /procedur/i);
export const DISTILLED_CONFIG_HINTS = distilledStream('distilled_config_hints', 'config_hint', /config/i);

export const DISTILLED_STREAMS: readonly StreamSpec[] = [DISTILLED_FACTS, DISTILLED_PROCEDURES, DISTILLED_CONFIG_HINTS];

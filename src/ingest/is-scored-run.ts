// ScoredRunSchema compiled to a plain predicate: ingest checks every run it scores, and zod's safeParse cost 3% of ingest.
import { ScoredRunSchema, type ScoredRun } from '../../schemas/scored-run.ts';
import { compileSchemaCheck } from '../collect/finalize.ts';

/** True exactly when ScoredRunSchema accepts the value as it is. */
export const isScoredRun = compileSchemaCheck<ScoredRun>(ScoredRunSchema);

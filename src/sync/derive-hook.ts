// The one place sync takes its derive function from: the integrator points it at computeDerivedFiles (src/derived/derived-files.ts).
import type { DeriveFiles } from './merge.ts';

/**
 * Recompute the derived files (playbooks/, ledger/) of a merged tree. Until the knowledge stage's
 * computeDerivedFiles is wired in here, a merge changes no derived file: commit folders and meta/ still
 * merge, and whatever derived files our side had stay as they were.
 */
export const deriveForSync: DeriveFiles = async () => new Map();

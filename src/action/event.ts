// The pull request an action run is about, parsed (loosely: the forge adds fields freely) from GITHUB_EVENT_PATH.
import { z } from 'zod';
import { DistillError } from '../errors.ts';

const Sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/);

const PullRequestEventSchema = z.looseObject({
  action: z.string().optional(),
  number: z.int().optional(),
  pull_request: z.looseObject({
    number: z.int().min(1),
    head: z.looseObject({ sha: Sha, ref: z.string().optional() }),
    base: z.looseObject({ sha: Sha, ref: z.string().optional() }),
    merged: z.boolean().nullish(),
    merge_commit_sha: Sha.nullish(),
    html_url: z.string().optional(),
  }),
});

export interface PullRequestEvent {
  number: number;
  action: string | null;
  head_sha: string;
  base_sha: string;
  base_ref: string | null;
  /** Set when the event reports the PR merged (a `closed` event): the commit the forge made. */
  merged_as: string | null;
}

/** Parse the event payload's text; `where` names the file in errors. */
export function parsePullRequestEvent(text: string, where: string): PullRequestEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DistillError('E_RECORD_INVALID', `${where} is not JSON: ${(error as Error).message}`, { hint: 'check GITHUB_EVENT_PATH', details: { path: where } });
  }
  const parsed = PullRequestEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DistillError('E_USAGE', `${where} is not a pull_request event (${issues})`, {
      hint: 'run the action on pull_request or pull_request_target events (on: pull_request)',
      details: { path: where },
    });
  }
  const pr = parsed.data.pull_request;
  return {
    number: pr.number,
    action: parsed.data.action ?? null,
    head_sha: pr.head.sha,
    base_sha: pr.base.sha,
    base_ref: pr.base.ref ?? null,
    merged_as: pr.merged === true && pr.merge_commit_sha != null ? pr.merge_commit_sha : null,
  };
}

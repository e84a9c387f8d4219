// The forge client on @octokit/rest: the sticky PR comment, check runs with annotations (GitHub), commit statuses (Gitea has no Checks API).
import { Octokit } from '@octokit/rest';
import { ANNOTATION_BATCH, batches, type Annotation } from './annotations.ts';
import type { ForgeKind } from './env.ts';

export interface CommentResult {
  id: number;
  action: 'created' | 'updated';
  url: string | null;
}

export type CheckConclusion = 'success' | 'neutral' | 'failure';

export interface CheckInput {
  head_sha: string;
  name: string;
  conclusion: CheckConclusion;
  title: string;
  /** Markdown, at most 65,535 characters. */
  summary: string;
  annotations: readonly Annotation[];
  /** For a commit status: a link to the job. */
  target_url: string | null;
}

export type CheckResult =
  | { kind: 'check_run'; id: number; annotations_sent: number; requests: number }
  | { kind: 'status'; state: 'success' | 'failure' | 'error'; context: string };

export interface ForgeClient {
  kind: ForgeKind;
  /** The one comment on the PR whose body starts with `marker`: updated in place, created only when there is none. */
  upsertComment(prNumber: number, marker: string, body: string): Promise<CommentResult>;
  /** GitHub: a completed check run with every annotation, 50 per request. Gitea: a commit status. */
  publishCheck(input: CheckInput): Promise<CheckResult>;
  /** Mark the head commit failed when git-distill itself failed: a crash is never a success. */
  reportCrash(headSha: string, name: string, message: string, targetUrl: string | null): Promise<void>;
}

/** A forge request that failed with an HTTP status (Octokit's RequestError, without importing its class). */
export function httpStatusOf(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : null;
}

/** Status descriptions are short on both forges (GitHub: 140 characters). */
const description = (text: string) => (text.length > 140 ? `${text.slice(0, 139)}…` : text);

export function createForgeClient(opts: { kind: ForgeKind; api_url: string; token: string; owner: string; repo: string; user_agent: string }): ForgeClient {
  const octokit = new Octokit({
    auth: opts.token,
    baseUrl: opts.api_url,
    userAgent: opts.user_agent,
    // Octokit logs request failures itself; ours are reported once, by the action.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const { owner, repo } = opts;

  async function findComment(prNumber: number, marker: string): Promise<{ id: number } | null> {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: prNumber, per_page: 100 });
    // The marker opens our body; a comment that only quotes it further down is someone else's.
    const ours = comments.filter((c) => (c.body ?? '').startsWith(marker)).sort((a, b) => a.id - b.id);
    return ours[0] ?? null;
  }

  const status = async (sha: string, state: 'success' | 'failure' | 'error', context: string, text: string, targetUrl: string | null) => {
    await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
      owner,
      repo,
      sha,
      state,
      context,
      description: description(text),
      ...(targetUrl === null ? {} : { target_url: targetUrl }),
    });
  };

  return {
    kind: opts.kind,

    async upsertComment(prNumber, marker, body) {
      const existing = await findComment(prNumber, marker);
      if (existing !== null) {
        const r = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
        return { id: existing.id, action: 'updated', url: r.data.html_url ?? null };
      }
      const r = await octokit.rest.issues.createComment({ owner, repo, issue_number: prNumber, body });
      return { id: r.data.id, action: 'created', url: r.data.html_url ?? null };
    },

    async publishCheck(input) {
      if (opts.kind === 'gitea') {
        const state = input.conclusion === 'failure' ? 'failure' : 'success';
        await status(input.head_sha, state, input.name, input.title, input.target_url);
        return { kind: 'status', state, context: input.name };
      }
      const [first = [], ...rest] = batches(input.annotations, ANNOTATION_BATCH);
      const output = (annotations: Annotation[]) => ({ title: input.title, summary: input.summary, annotations });
      const created = await octokit.rest.checks.create({
        owner,
        repo,
        name: input.name,
        head_sha: input.head_sha,
        status: 'completed',
        conclusion: input.conclusion,
        output: output(first),
      });
      // GitHub appends the annotations of each update to the run's: the rest go 50 at a time.
      for (const batch of rest) await octokit.rest.checks.update({ owner, repo, check_run_id: created.data.id, output: output(batch) });
      return { kind: 'check_run', id: created.data.id, annotations_sent: input.annotations.length, requests: 1 + rest.length };
    },

    async reportCrash(headSha, name, message, targetUrl) {
      const title = 'git-distill failed';
      if (opts.kind === 'gitea') return status(headSha, 'error', name, `${title}: ${message}`, targetUrl);
      await octokit.rest.checks.create({
        owner,
        repo,
        name,
        head_sha: headSha,
        status: 'completed',
        conclusion: 'failure',
        output: { title, summary: `git-distill failed before it could report its checks:\n\n\`\`\`\n${message.slice(0, 60_000)}\n\`\`\`\n` },
      });
    },
  };
}

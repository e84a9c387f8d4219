// A local HTTP server standing in for the GitHub and Gitea REST APIs: the calls the action makes, every request recorded.
export interface RecordedRequest {
  method: string;
  /** Path without the API prefix, e.g. /repos/o/r/issues/7/comments. */
  path: string;
  authorization: string | null;
  body: unknown;
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string };
}

export interface FakeForge {
  /** What to pass as api-url: http://127.0.0.1:<port> (GitHub) or …/api/v1 (Gitea). */
  api_url: string;
  requests: RecordedRequest[];
  comments: FakeComment[];
  /** Respond with this status to the matching requests ("POST /repos/o/r/issues/7/comments" → 403). */
  fail: Map<string, number>;
  stop(): void;
}

const json = (status: number, body: unknown) => Response.json(body, { status });

export function startFakeForge(opts: { prefix?: string; comments?: FakeComment[] } = {}): FakeForge {
  const prefix = opts.prefix ?? '';
  const requests: RecordedRequest[] = [];
  const comments: FakeComment[] = [...(opts.comments ?? [])];
  const fail = new Map<string, number>();
  let nextId = 1000;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      if (!url.pathname.startsWith(prefix)) return json(404, { message: 'Not Found' });
      const path = url.pathname.slice(prefix.length);
      const text = await req.text();
      const body = text === '' ? null : (JSON.parse(text) as unknown);
      requests.push({ method: req.method, path, authorization: req.headers.get('authorization'), body });
      const forced = fail.get(`${req.method} ${path}`);
      if (forced !== undefined) return json(forced, { message: forced === 403 ? 'Resource not accessible by integration' : 'failed' });
      const b = (body ?? {}) as Record<string, unknown>;
      let m: RegExpExecArray | null;
      if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(path))) {
        if (req.method === 'GET') return json(200, comments);
        if (req.method === 'POST') {
          const c = { id: nextId++, body: String(b['body']), user: { login: 'github-actions[bot]' } };
          comments.push(c);
          return json(201, { ...c, html_url: `https://forge.test/pr/${m[1]}#issuecomment-${c.id}` });
        }
      }
      if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path)) && req.method === 'PATCH') {
        const c = comments.find((x) => x.id === Number(m![1]));
        if (c === undefined) return json(404, { message: 'Not Found' });
        c.body = String(b['body']);
        return json(200, { ...c, html_url: `https://forge.test/comment/${c.id}` });
      }
      if (/^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path) && req.method === 'POST') return json(201, { id: nextId++ });
      if ((m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path)) && req.method === 'PATCH') return json(200, { id: Number(m[1]) });
      if (/^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]+$/.test(path) && req.method === 'POST') return json(201, { id: nextId++ });
      return json(404, { message: `no route ${req.method} ${path}` });
    },
  });
  return {
    api_url: `http://127.0.0.1:${server.port}${prefix}`,
    requests,
    comments,
    fail,
    stop: () => server.stop(true),
  };
}

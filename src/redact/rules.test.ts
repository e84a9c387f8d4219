// One positive case per rule, built at run time (no key-shaped literal is ever committed), and the false positives we refuse.
import { describe, expect, test } from 'bun:test';
import { redactText } from './redact.ts';
import { DEFAULT_REDACTION_RULES } from './rules.ts';

const alnum = (n: number): string => 'A1b2C3d4E5f6G7h8J9k0'.repeat(Math.ceil(n / 20)).slice(0, n);
const upper = (n: number): string => 'QWERTYUIOPASDFGHJKLZ'.repeat(Math.ceil(n / 20)).slice(0, n);
const hex = (n: number): string => '0a1b2c3d4e5f6789'.repeat(Math.ceil(n / 16)).slice(0, n);
const b64 = (n: number): string => 'Ab3/Cd5+Ef7Gh9Ij1Kl2'.repeat(Math.ceil(n / 20)).slice(0, n);
const R = (id: string): string => `[REDACTED:${id}]`;

interface Case {
  rule: string;
  input: string;
  output: string;
}

function cases(): Case[] {
  const pem = (label: string, body: string): string => `-----BEGIN ${label}-----${body}-----END ${label}-----`;
  const ghp = 'gh' + 'p_' + alnum(36);
  return [
    { rule: 'aws-access-key-id', input: `key id AK${'IA'}${upper(16)} end`, output: `key id ${R('aws-access-key-id')} end` },
    {
      rule: 'aws-secret-access-key',
      input: `aws_secret_access_key = ${b64(40)}`,
      output: `aws_secret_access_key = ${R('aws-secret-access-key')}`,
    },
    { rule: 'gcp-api-key', input: `key=${'AI' + 'za'}${alnum(35)}&q=1`, output: `key=${R('gcp-api-key')}&q=1` },
    {
      rule: 'gcp-service-account-key',
      input: `{"type": "service_account", "private_key": "${pem('PRIVATE KEY', '\\n' + b64(64) + '\\n')}\\n", "client_email": "x@y.iam.gserviceaccount.com"}`,
      output: `{"type": "service_account", "private_key": "${R('gcp-service-account-key')}\\n", "client_email": "x@y.iam.gserviceaccount.com"}`,
    },
    {
      rule: 'azure-storage-key',
      input: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${b64(86)}==;EndpointSuffix=core.windows.net`,
      output: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${R('azure-storage-key')};EndpointSuffix=core.windows.net`,
    },
    {
      rule: 'azure-shared-access-key',
      input: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=${b64(43)}=`,
      output: `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=${R('azure-shared-access-key')}`,
    },
    {
      rule: 'azure-sas-signature',
      input: `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sig=${alnum(43)}%3D`,
      output: `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sig=${R('azure-sas-signature')}`,
    },
    { rule: 'github-pat', input: `token ${ghp}.`, output: `token ${R('github-pat')}.` },
    { rule: 'github-oauth-token', input: `${'gh' + 'o_'}${alnum(36)}`, output: R('github-oauth-token') },
    { rule: 'github-app-token', input: `a ${'gh' + 's_'}${alnum(36)} b ${'gh' + 'u_'}${alnum(36)}`, output: `a ${R('github-app-token')} b ${R('github-app-token')}` },
    { rule: 'github-refresh-token', input: `${'gh' + 'r_'}${alnum(76)}`, output: R('github-refresh-token') },
    { rule: 'github-fine-grained-pat', input: `"${'github' + '_pat_'}${alnum(22)}_${alnum(59)}"`, output: `"${R('github-fine-grained-pat')}"` },
    { rule: 'gitlab-token', input: `PRIVATE-TOKEN: ${'gl' + 'pat-'}${alnum(20)}`, output: `PRIVATE-TOKEN: ${R('gitlab-token')}` },
    { rule: 'forge-token', input: `GITEA_ACCESS_TOKEN=${hex(40)}`, output: `GITEA_ACCESS_TOKEN=${R('forge-token')}` },
    { rule: 'slack-token', input: `${'xo' + 'xb-'}123456789012-1234567890123-${alnum(24)}`, output: R('slack-token') },
    { rule: 'slack-app-token', input: `${'xa' + 'pp-'}1-A0123456789-1234567890123-${hex(64)}`, output: R('slack-app-token') },
    {
      rule: 'slack-webhook-url',
      input: `curl https://hooks.slack.com/services/T${upper(8)}/B${upper(10)}/${alnum(24)} -d x`,
      output: `curl https://hooks.slack.com/services/${R('slack-webhook-url')} -d x`,
    },
    { rule: 'stripe-secret-key', input: `Stripe.api_key = '${'sk' + '_live_'}${alnum(24)}'`, output: `Stripe.api_key = '${R('stripe-secret-key')}'` },
    { rule: 'stripe-webhook-secret', input: `${'wh' + 'sec_'}${alnum(32)}`, output: R('stripe-webhook-secret') },
    { rule: 'twilio-api-key', input: `sid ${'S' + 'K'}${hex(32)} ok`, output: `sid ${R('twilio-api-key')} ok` },
    { rule: 'sendgrid-api-key', input: `${'S' + 'G.'}${alnum(22)}.${alnum(43)}`, output: R('sendgrid-api-key') },
    { rule: 'mailgun-api-key', input: `api:${'ke' + 'y-'}${hex(32)}`, output: `api:${R('mailgun-api-key')}` },
    { rule: 'npm-token', input: `//registry.npmjs.org/:_authToken=${'np' + 'm_'}${alnum(36)}`, output: `//registry.npmjs.org/:_authToken=${R('npm-token')}` },
    { rule: 'pypi-token', input: `password: ${'pypi-' + 'AgEIcHlwaS5vcmc'}${alnum(60)}`, output: `password: ${R('pypi-token')}` },
    { rule: 'openai-api-key', input: `OPENAI_API_KEY=${'sk-' + 'proj-'}${alnum(40)}_${alnum(20)}`, output: `OPENAI_API_KEY=${R('openai-api-key')}` },
    { rule: 'anthropic-api-key', input: `x-api-key: ${'sk-' + 'ant-'}api03-${alnum(93)}AA`, output: `x-api-key: ${R('anthropic-api-key')}` },
    { rule: 'huggingface-token', input: `huggingface-cli login --token ${'h' + 'f_'}${alnum(34)}`, output: `huggingface-cli login --token ${R('huggingface-token')}` },
    { rule: 'groq-api-key', input: `${'gs' + 'k_'}${alnum(52)}`, output: R('groq-api-key') },
    { rule: 'replicate-api-token', input: `${'r8' + '_'}${alnum(37)}`, output: R('replicate-api-token') },
    { rule: 'perplexity-api-key', input: `${'pp' + 'lx-'}${alnum(48)}`, output: R('perplexity-api-key') },
    { rule: 'xai-api-key', input: `${'xa' + 'i-'}${alnum(80)}`, output: R('xai-api-key') },
    { rule: 'llm-api-key-in-context', input: `MISTRAL_API_KEY=${alnum(32)}`, output: `MISTRAL_API_KEY=${R('llm-api-key-in-context')}` },
    { rule: 'shopify-token', input: `${'shp' + 'at_'}${hex(32)}`, output: R('shopify-token') },
    { rule: 'digitalocean-token', input: `${'do' + 'p_v1_'}${hex(64)}`, output: R('digitalocean-token') },
    { rule: 'linear-api-key', input: `${'lin' + '_api_'}${alnum(40)}`, output: R('linear-api-key') },
    { rule: 'hashicorp-vault-token', input: `VAULT=${'hv' + 's.'}${alnum(90)}`, output: `VAULT=${R('hashicorp-vault-token')}` },
    { rule: 'databricks-token', input: `${'da' + 'pi'}${hex(32)}`, output: R('databricks-token') },
    {
      rule: 'private-key',
      input: `key:\n${pem('RSA PRIVATE KEY', '\n' + b64(64) + '\n' + b64(20) + '\n')}\ndone`,
      output: `key:\n${R('private-key')}\ndone`,
    },
    {
      rule: 'jwt',
      input: `Cookie: session=${'ey' + 'J'}${alnum(30)}.${'ey' + 'J'}${alnum(60)}.${alnum(43)}; Path=/`,
      output: `Cookie: session=${R('jwt')}; Path=/`,
    },
    {
      rule: 'url-credentials',
      input: `postgres://user:${'hunter' + '2'}@db.internal:5432/app`,
      output: `postgres://user:${R('url-credentials')}@db.internal:5432/app`,
    },
    {
      rule: 'connection-string-password',
      input: `Server=tcp:db,1433;User ID=app;Password=${'Sw0rd' + 'fish'};Encrypt=True`,
      output: `Server=tcp:db,1433;User ID=app;Password=${R('connection-string-password')};Encrypt=True`,
    },
    {
      rule: 'authorization-header',
      input: `curl -H "Authorization: Basic ${'dXNlcjpw' + 'YXNzd29yZA=='}" https://x`,
      output: `curl -H "Authorization: Basic ${R('authorization-header')}" https://x`,
    },
    { rule: 'bearer-token', input: `send it with Bearer ${alnum(16)}x9 today`, output: `send it with Bearer ${R('bearer-token')} today` },
    { rule: 'secret-assignment', input: `db_password = "${'corr' + 'ect-horse'}"`, output: `db_password = "${R('secret-assignment')}"` },
    { rule: 'high-entropy-string', input: `value ${'aZ3kQ9mP2x' + 'L7vB4nW8cR1tY6'} end`, output: `value ${R('high-entropy-string')} end` },
  ];
}

describe('every rule finds its secret', () => {
  test('the rule set has at least 25 kinds, each with a stable kebab-case id and a description', () => {
    const ids = DEFAULT_REDACTION_RULES.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of DEFAULT_REDACTION_RULES) {
      expect(rule.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(rule.description.length).toBeGreaterThan(10);
    }
  });

  test('every rule has a positive case below', () => {
    const covered = new Set(cases().map((c) => c.rule));
    expect(DEFAULT_REDACTION_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  for (const c of cases()) {
    test(`${c.rule} redacts its secret and counts it`, () => {
      const r = redactText(c.input);
      expect(r.text).toBe(c.output);
      const n = c.output.split(R(c.rule)).length - 1;
      expect(r.counts).toEqual({ [c.rule]: n });
    });
  }
});

describe('structure-keeping rules', () => {
  test('URL credentials keep user and host for every database scheme', () => {
    for (const scheme of ['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'redis', 'amqp', 'https']) {
      const r = redactText(`${scheme}://svc:${'p4ss' + 'Word'}@host.example/db?x=1`);
      expect(r.text).toBe(`${scheme}://svc:${R('url-credentials')}@host.example/db?x=1`);
    }
  });

  test('a redis URL with an empty user keeps the empty user', () => {
    expect(redactText(`redis://:${'s3cr' + 'et'}@cache:6379/0`).text).toBe(`redis://:${R('url-credentials')}@cache:6379/0`);
  });

  test('a shape rule names the token in a URL password rather than url-credentials', () => {
    const r = redactText(`https://x-access-token:${'gh' + 's_'}${alnum(36)}@github.com/o/r.git`);
    expect(r.text).toBe(`https://x-access-token:${R('github-app-token')}@github.com/o/r.git`);
  });

  test('assignments in every common form keep the key and the quotes', () => {
    const v = 'Tr0ub4dor' + '-and-3';
    const forms: Array<[string, string]> = [
      [`password=${v}`, `password=${R('secret-assignment')}`],
      [`PASSWORD: ${v}`, `PASSWORD: ${R('secret-assignment')}`],
      [`"client_secret": "${v}"`, `"client_secret": "${R('secret-assignment')}"`],
      [`{\\"api_key\\": \\"${v}\\"}`, `{\\"api_key\\": \\"${R('secret-assignment')}\\"}`],
      [`apiKey := '${v}'`, `apiKey := '${R('secret-assignment')}'`],
      [`mysql --password ${v} -h db`, `mysql --password ${R('secret-assignment')} -h db`],
      [`export AUTH_TOKEN=${v}`, `export AUTH_TOKEN=${R('secret-assignment')}`],
    ];
    for (const [input, output] of forms) expect(redactText(input).text).toBe(output);
  });

  test('a private key cut off before END is redacted to the end of its body', () => {
    const r = redactText(`-----BEGIN ${"OPENSSH"} PRIVATE KEY-----\n${b64(70)}\n${b64(30)}`);
    expect(r.text).toBe(R('private-key'));
  });
});

describe('what is never redacted', () => {
  const keep = [
    'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 on main',
    `sha256 ${hex(64)} and sha1 ${hex(40)}`,
    `oid ${hex(40).toUpperCase()}`,
    'session ba79134d-b6e9-4867-af0c-6941038c9e4b started',
    'at 2026-04-26T10:15:23.123Z and 2026-04-26T10:15:23+02:00',
    'run-2026-04-26-abc wrote /home/user/project/src/components/TodoList.tsx',
    '/Users/chip/dev/ai-music/node_modules/@types/react/index.d.ts:42',
    'see https://github.com/anthropics/claude-code/blob/main/src/HelperUtils2Module.ts#L10',
    'const token = await getToken(); const password = readPassword();',
    'if (password == confirm) { token: string; apiKey?: string }',
    'password = os.environ["DB_PASSWORD"]; api_key=api_key',
    'max_tokens: 4096, "input_tokens": 12, "token_count": 7, tokenizer: gpt2',
    'const STORAGE_KEY = "todos"; {"key": "Enter"}',
    'The quick brown fox jumps over the lazy dog. Passwords must be 12 characters.',
    'getUserAccountSettingsHandler2 and TestCaseForUserAuthentication',
    `base64 of short words: ${btoa('password')} ${btoa('hello world')}`,
    'DATABASE_URL=postgres://localhost:5432/app and https://user@host/path',
    'git remote set-url origin https://${GITHUB_TOKEN}@github.com/o/r.git',
    'Authorization: Bearer $TOKEN',
    'model claude-3-5-sonnet-20241022 and Qwen2.5-Coder-32B-Instruct',
    'toolu_01ABCdefGHIjklMNOpqrSTUv and call_Ds1Z3xQ9mP2xL7vB4nW8cR1t',
    'pad_token: "[PAD]", eos_token="</s>", DISCORD_BOT_TOKEN=your_bot_token',
  ];
  for (const text of keep) {
    test(`leaves alone: ${text.slice(0, 60)}`, () => {
      expect(redactText(text)).toEqual({ text, counts: {} });
    });
  }
});

describe('linear time on adversarial lines', () => {
  // No wall-clock limit (tests must not time out on a slow machine); the benchmark measures speed.
  // These finish only because no rule backtracks: a quadratic scan of 2e7 characters would not.
  const big = 20_000_000;
  const adversarial: Array<[string, string]> = [
    ['a run of one letter', 'a'.repeat(big)],
    ['a run of equals signs', '='.repeat(big)],
    ['a JWT prefix followed by dotted fragments', 'eyJ' + 'a.'.repeat(big / 2)],
    ['a URL scheme followed by colons', 'https://' + ':'.repeat(big)],
    ['repeated token prefixes', ('gh' + 'p_').repeat(big / 4)],
    ['repeated key words with separators', 'password='.repeat(big / 9)],
    ['repeated private key BEGIN markers', ('-----BEGIN ' + 'RSA PRIVATE KEY-----').repeat(big / 31)],
  ];
  for (const [name, text] of adversarial) {
    test(
      `completes on ${name}`,
      () => {
        const r = redactText(text);
        expect(typeof r.text).toBe('string');
      },
      { timeout: 300_000 },
    );
  }
  test(
    'a 20 MB line of one letter is returned unchanged',
    () => {
      const text = 'a'.repeat(big);
      expect(redactText(text).text).toBe(text);
    },
    { timeout: 300_000 },
  );
});

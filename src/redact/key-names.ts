// Key-name classifiers shared by the text rules and the JSON walker: which keys name a secret, which name an identifier.

/**
 * Split a key into lowercase words at separators and camelCase humps:
 * `DB_PASSWORD` → [db, password], `clientSecret` → [client, secret], `APIKey` → [api, key].
 */
export function splitKeyWords(key: string): string[] {
  const words: string[] = [];
  for (const m of key.matchAll(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g)) words.push(m[0].toLowerCase());
  return words;
}

// A last word that by itself says "this value is a credential".
const SECRET_LAST_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'pass',
  'secret',
  'secrets',
  'token',
  'credential',
  'credentials',
  'cookie',
  'apikey',
  'secretkey',
  'accesskey',
  'privatekey',
  'authtoken',
  'accesstoken',
  'refreshtoken',
  'sessiontoken',
  'clientsecret',
]);

// `key` alone is a map key or a keyboard key; it names a credential only after one of these.
const KEY_QUALIFIERS = new Set([
  'api',
  'access',
  'secret',
  'private',
  'signing',
  'encryption',
  'master',
  'auth',
  'client',
  'subscription',
  'license',
  'webhook',
  'hmac',
  'jwt',
  'consumer',
  'admin',
  'deploy',
]);

// `pad_token`, `eos_token`, `max_token`: vocabulary and counting words of ML code, not credentials.
const NON_SECRET_TOKEN_QUALIFIERS = new Set(['pad', 'eos', 'bos', 'unk', 'sep', 'cls', 'mask', 'special', 'per', 'start', 'end', 'stop', 'max', 'min', 'num', 'first', 'last', 'test', 'sample', 'input', 'output', 'bad', 'word', 'sub', 'image']);

// Compound single words (`dbpassword`, `mytoken`) end with one of these.
const SECRET_SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'secretkey', 'accesskey', 'privatekey'];

export interface SecretKeyOptions {
  /** JSON keys also treat `auth`, `authorization` and `*_auth` as secrets; in prose and code those words are too loose. */
  json: boolean;
}

/** True when a key (`password`, `GITHUB_TOKEN`, `clientSecret`, `x-api-key`) names a credential. */
export function isSecretKeyName(key: string, opts: SecretKeyOptions): boolean {
  const words = splitKeyWords(key);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  const prev = words[words.length - 2];
  if (last === 'token' && prev !== undefined && NON_SECRET_TOKEN_QUALIFIERS.has(prev)) return false;
  if (SECRET_LAST_WORDS.has(last)) return true;
  if ((last === 'key' || last === 'keys') && prev !== undefined && KEY_QUALIFIERS.has(prev)) return true;
  if (opts.json && (last === 'auth' || last === 'authorization')) return true;
  if (words.length === 1 && last.length > 6) {
    for (const suffix of SECRET_SUFFIXES) if (last.endsWith(suffix)) return true;
  }
  return false;
}

const IDENTIFIER_EXACT = new Set(['id', 'ids', 'oid', 'oids', 'uuid', 'ts', 'timestamp', 'cwd', 'path', 'paths', 'file', 'files', 'filename', 'sha', 'sha1', 'sha256', 'hash']);
const IDENTIFIER_LAST_WORDS = new Set(['id', 'ids', 'uuid', 'oid', 'oids', 'hash', 'hashes', 'sha', 'sha1', 'sha256', 'at', 'timestamp', 'path', 'paths', 'file', 'files', 'filename', 'cwd', 'dir']);

/**
 * True when a key names an identifier, digest, timestamp or path (`run_id`, `sig_hash`, `created_at`,
 * `source_file`, `sessionId`): its value is left alone by the entropy rule, which would take
 * random-looking ids for secrets.
 */
export function isIdentifierKeyName(key: string): boolean {
  if (IDENTIFIER_EXACT.has(key.toLowerCase())) return true;
  const words = splitKeyWords(key);
  const last = words[words.length - 1];
  // `at` alone is a word, not a timestamp suffix: require `*_at`/`*At`.
  if (last === undefined || (last === 'at' && words.length === 1)) return false;
  return IDENTIFIER_LAST_WORDS.has(last);
}

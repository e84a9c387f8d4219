// Guesses a model's provider from its name, only where the name makes it obvious.

/** Provider prefixes as routers and SDKs write them (`openai/gpt-4o`, `anthropic:claude-…`), mapped to one name each. */
const PREFIXES: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  'google-gla': 'google',
  'google-vertex': 'google',
  gemini: 'google',
  vertex_ai: 'google',
  ollama: 'ollama',
  ollama_chat: 'ollama',
  ollama_cloud: 'ollama',
  'ollama-cloud': 'ollama',
  openrouter: 'openrouter',
  mistral: 'mistral',
  mistralai: 'mistral',
  groq: 'groq',
  bedrock: 'bedrock',
  azure: 'azure',
  deepseek: 'deepseek',
  'deepseek-ai': 'deepseek',
  xai: 'xai',
  'x-ai': 'xai',
  cohere: 'cohere',
  together: 'together',
  moonshotai: 'moonshot',
  moonshot: 'moonshot',
  'meta-llama': 'meta',
  qwen: 'qwen',
  lm_studio: 'lm_studio',
};

/** Model families whose maker is unambiguous from the bare name. */
const FAMILIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^claude-/, 'anthropic'],
  [/^(gpt-|chatgpt-|o[134](-|$)|text-embedding-|davinci|codex-)/, 'openai'],
  [/^gemini-/, 'google'],
  [/^grok-/, 'xai'],
  [/^(mistral-|codestral|magistral|devstral)/, 'mistral'],
  [/^command-r/, 'cohere'],
];

// Ollama names a model `family:tag` (`qwen3-coder:480b`, `kimi-k2:1t`, `llama3.1:8b`).
const OLLAMA_TAG = /^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$/;

/**
 * The provider a model name points at, or null when it is not obvious. An explicit prefix
 * (`openai/…`, `ollama:…`) wins; then Ollama's `name:tag` form; then the model family
 * (`claude-*` → anthropic). Unknown `org/model` prefixes give null rather than a guess.
 */
export function inferModelProvider(model: string | null): string | null {
  if (model === null) return null;
  const name = model.trim().toLowerCase();
  if (name === '') return null;
  const sep = name.search(/[/:]/);
  if (sep > 0) {
    const prefix = PREFIXES[name.slice(0, sep)];
    if (prefix !== undefined) return prefix;
  }
  // The tag form names who serves the model, which beats its family: `gpt-oss:120b` runs on Ollama.
  if (!name.includes('/') && OLLAMA_TAG.test(name)) return 'ollama';
  const bare = name.slice(name.lastIndexOf('/') + 1);
  for (const [pattern, provider] of FAMILIES) if (pattern.test(bare)) return provider;
  return null;
}

// Provider inference from model names: explicit prefixes, Ollama tags, well-known families, else null.
import { expect, test } from 'bun:test';
import { inferModelProvider } from './infer-model-provider.ts';

test('reads an explicit provider prefix', () => {
  expect(inferModelProvider('openai/gpt-4o')).toBe('openai');
  expect(inferModelProvider('anthropic:claude-3-5-sonnet')).toBe('anthropic');
  expect(inferModelProvider('ollama:qwen3-coder:480b')).toBe('ollama');
  // litellm's prefixes as aider writes them.
  expect(inferModelProvider('ollama_chat/qwen2.5-coder:32b')).toBe('ollama');
  expect(inferModelProvider('lm_studio/qwen3.6-35b')).toBe('lm_studio');
  expect(inferModelProvider('openrouter/meta-llama/llama-4-maverick')).toBe('openrouter');
  expect(inferModelProvider('moonshotai/kimi-k2')).toBe('moonshot');
});

test('reads an Ollama name:tag as Ollama, even for an OpenAI-family name', () => {
  expect(inferModelProvider('kimi-k2:1t')).toBe('ollama');
  expect(inferModelProvider('gpt-oss:120b')).toBe('ollama');
  expect(inferModelProvider('llama3.1:8b')).toBe('ollama');
});

test('reads well-known model families', () => {
  expect(inferModelProvider('claude-sonnet-4-5')).toBe('anthropic');
  expect(inferModelProvider('claude-opus-4-6')).toBe('anthropic');
  expect(inferModelProvider('gpt-4o-mini')).toBe('openai');
  expect(inferModelProvider('o3')).toBe('openai');
  expect(inferModelProvider('gemini-2.5-pro')).toBe('google');
});

test('gives null when the name does not make it obvious', () => {
  expect(inferModelProvider(null)).toBeNull();
  expect(inferModelProvider('')).toBeNull();
  expect(inferModelProvider('my-finetune')).toBeNull();
  expect(inferModelProvider('acme/house-model')).toBeNull();
});

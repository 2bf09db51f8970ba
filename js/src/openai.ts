// Small pieces of the OpenAI wire format shared by the Model's chat API and the HTTP server:
// response ids and the usage object.
import type { CompletionUsage } from './chat-types.js';
import type { Usage } from './types.js';

/** An id like OpenAI's (`chatcmpl-…`, `cmpl-…`): the prefix and 32 random hex digits. */
export function completionId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().replaceAll('-', '')}`;
}

/** The package's Usage as OpenAI's `usage` (cached prompt tokens in prompt_tokens_details). */
export function openAiUsage(u: Usage): CompletionUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
}

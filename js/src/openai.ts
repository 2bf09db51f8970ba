// Small pieces of the OpenAI wire format shared by the Model's chat API and the HTTP server:
// response ids, the usage object and the legacy completions' logprobs.
import type { CompletionUsage } from './chat-types.js';
import type { StepLogprobs, Usage } from './types.js';

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

/** The legacy /v1/completions `logprobs` object. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  /** Per token: the most likely tokens' texts and log-probabilities. */
  top_logprobs: Array<Record<string, number>>;
  /** Each token's offset in the choice's text (UTF-16 code units, as the text is returned). */
  text_offset: number[];
}

/** Steps as the legacy completions' `logprobs`; `offset` is where the first token's text starts. */
export function completionLogprobs(steps: readonly StepLogprobs[], offset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const s of steps) {
    out.tokens.push(s.sampled.text);
    out.token_logprobs.push(s.sampled.logprob);
    out.top_logprobs.push(Object.fromEntries(s.top.map((t) => [t.text, t.logprob])));
    out.text_offset.push(offset);
    offset += s.sampled.text.length;
  }
  return out;
}

// OpenAI-shaped chat completion types (field names as OpenAI spells them), plus the llama.cpp
// server extensions we accept (top_k, min_p, repeat_penalty, repeat_last_n, ignore_eos, n_predict,
// grammar, json_schema, chat_template_kwargs). Generation fields are read by js/src/options.ts (optionsFromRequest).

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ChatContentPart {
  type: 'text';
  text: string;
}

export interface ChatMessage {
  role: ChatRole | (string & {});
  content: string | ChatContentPart[] | null;
  name?: string;
  [extra: string]: unknown;
}

interface ChatCompletionParamsBase {
  messages: ChatMessage[];
  /** Echoed back in the response; the loaded model is used whatever it says. */
  model?: string;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  repeat_penalty?: number | null;
  /** Tokens the penalties look back over; -1 = whole context (alias penalty_last_n). */
  repeat_last_n?: number | null;
  penalty_last_n?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  stop?: string | string[] | null;
  /** -1: random. */
  seed?: number | null;
  ignore_eos?: boolean | null;
  /** llama.cpp's name for max_tokens. */
  n_predict?: number | null;
  /** Token id (as a string key) -> bias added to its logit; -100 effectively bans it. */
  logit_bias?: Record<string, number> | null;
  /** Must be 1 if given. */
  n?: number | null;
  /** Jinja chat template to use instead of the model's (extension). */
  chat_template?: string;
  /** Extra template variables, e.g. { enable_thinking: false } (llama.cpp server extension). */
  chat_template_kwargs?: Record<string, unknown>;
  stream_options?: { include_usage?: boolean } | null;
  /** Functions the model may call; rendered through the model's chat template. */
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown> } }> | null;
  /** 'auto' (default with tools), 'none', 'required' (a call is forced by a grammar), or a named function. */
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } } | null;
  /** Several calls in one reply where the format allows (default true). */
  parallel_tool_calls?: boolean | null;
  /** When the conversation does not fit the context with room for the reply: drop the oldest
   *  turns, keeping system messages and the last turn (default), or fail with context_full. */
  context_overflow?: 'drop_oldest' | 'error';
  /** 'auto' (default): a <think>…</think> block at the start of the reply (or one the template
   *  opened) goes to reasoning_content; 'none': everything is content (llama.cpp's names). */
  reasoning_format?: 'auto' | 'none';
  /** Return each content token's log-probability (choices[].logprobs.content). */
  logprobs?: boolean | null;
  /** And this many most likely alternatives per token (0..20 in OpenAI; up to 100 here). */
  top_logprobs?: number | null;
  /** Constrained output: any JSON object, or JSON matching a schema (OpenAI's shape). */
  response_format?: ResponseFormat | null;
  /** GBNF grammar the output must match (llama.cpp server extension). */
  grammar?: string | null;
  /** JSON Schema the output must match (llama.cpp server extension). */
  json_schema?: Record<string, unknown> | null;
  signal?: AbortSignal;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object'; schema?: Record<string, unknown> }
  | {
      type: 'json_schema';
      json_schema: { name?: string; schema?: Record<string, unknown>; strict?: boolean | null; description?: string };
    };

export interface ChatCompletionCreateParamsNonStreaming extends ChatCompletionParamsBase {
  stream?: false | null;
}

export interface ChatCompletionCreateParamsStreaming extends ChatCompletionParamsBase {
  stream: true;
}

export type ChatCompletionCreateParams = ChatCompletionCreateParamsNonStreaming | ChatCompletionCreateParamsStreaming;

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls';

/** A call the model made (OpenAI's shape; arguments are JSON text). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** OpenAI's per-token log-probability entry. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] | null }>;
}

export interface ChatLogprobs {
  content: ChatTokenLogprob[] | null;
  refusal: null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      /** null when the reply is only tool calls. */
      content: string | null;
      refusal: null;
      tool_calls?: ChatToolCall[];
      /** The model's thinking (<think>…</think> at the start of the reply), when it wrote any. */
      reasoning_content?: string;
    };
    finish_reason: ChatFinishReason;
    logprobs: ChatLogprobs | null;
  }>;
  usage: CompletionUsage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string;
      reasoning_content?: string;
      tool_calls?: Array<{ index: number } & ChatToolCall>;
    };
    finish_reason: ChatFinishReason | null;
    logprobs: ChatLogprobs | null;
  }>;
  /** Set on the final chunk (the one with finish_reason), null before. */
  usage: CompletionUsage | null;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

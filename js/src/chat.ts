// OpenAI-shaped chat completions over a model: messages rendered by the model's chat template
// (tools included), the conversation fitted to the context, the reply split into reasoning,
// content and tool calls as it streams, and OpenAI's response and chunk shapes built from it.
import { fitChat } from './chat-fit.js';
import { ReasoningSplitter, partialTagSuffix, promptOpensThinking, type ReplyParts } from './chat-output.js';
import { DEFAULT_CHAT_TEMPLATE, type ChatRenderRequest, type ChatRenderResult, type PromptInput } from './engine.js';
import { WasmChordError } from './errors.js';
import { completionId, openAiUsage } from './openai.js';
import type { GenerationStream } from './model.js';
import { optionsFromRequest, toRecord, type GenerationRecord } from './options.js';
import {
  TOOL_MARKERS,
  checkTools,
  detectToolFormat,
  forcedCallShape,
  genericToolPrompt,
  messagesForTemplate,
  mayBeToolCall,
  parseToolCalls,
  toolCallId,
  type ChatTool,
  type ParsedToolCall,
  type ToolFormat,
} from './tool-calls.js';
import type { ModelInfo, StepLogprobs, TokenLogprob, TokenizeOptions, Usage } from './types.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatMessage,
  ChatTokenLogprob,
  ChatToolCall,
} from './chat-types.js';

/** What a chat completion needs from the model. */
export interface ChatHost {
  info: ModelInfo;
  renderChat(req: ChatRenderRequest): Promise<ChatRenderResult>;
  tokenize(text: string, opts: TokenizeOptions): Promise<number[]>;
  stream(prepare: () => Promise<{ input: PromptInput; raw: GenerationRecord }>, signal?: AbortSignal): GenerationStream;
}

function bad(msg: string): WasmChordError {
  return new WasmChordError('invalid_argument', msg);
}

function openAiLogprob(l: StepLogprobs): ChatTokenLogprob {
  const entry = (t: TokenLogprob) => ({ token: t.text, logprob: t.logprob, bytes: t.bytes });
  return { ...entry(l.sampled), top_logprobs: l.top.map(entry) };
}

/** Message content as the template expects it: text parts joined into one string. */
export function normalizeMessages(messages: ChatMessage[]): unknown[] {
  if (!Array.isArray(messages) || messages.length === 0) throw bad('messages must be a non-empty array');
  return messages.map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string') throw bad(`messages[${i}] needs a string role`);
    let content: unknown = m.content;
    if (Array.isArray(content)) {
      content = content
        .map((p, j) => {
          if (p && p.type === 'text' && typeof p.text === 'string') return p.text;
          throw new WasmChordError('unsupported', `messages[${i}].content[${j}]: only text parts are supported`);
        })
        .join('');
    } else if (content === undefined) content = null;
    else if (content !== null && typeof content !== 'string')
      throw bad(`messages[${i}].content must be a string, an array of text parts, or null`);
    return { ...m, content: content ?? '' };
  });
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined || v === null) return dflt;
  if (!allowed.includes(v as T)) throw bad(`${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Holds back content that may be (the start of) a tool call; at the end parses what it held. */
class ToolCallStream {
  private mode: 'start' | 'content' | 'call';
  private held = '';

  constructor(
    private readonly format: ToolFormat,
    private readonly tools: ChatTool[],
    forcedPrefix: string,
  ) {
    this.mode = forcedPrefix ? 'call' : 'start';
    this.held = forcedPrefix;
  }

  /** Content that is certainly not part of a call. */
  push(text: string): string {
    this.held += text;
    if (this.mode === 'call') return '';
    if (this.mode === 'start') {
      if (!mayBeToolCall(this.format, this.held)) this.mode = 'content';
      else {
        const s = this.held.trimStart();
        const marker = TOOL_MARKERS[this.format];
        if ((marker && s.startsWith(marker)) || (this.format !== 'hermes' && this.format !== 'mistral' && /^[[{]/.test(s)))
          this.mode = 'call';
        return '';
      }
    }
    // Content: calls may still follow text for the formats with a marker.
    const marker = this.format === 'hermes' || this.format === 'mistral' ? TOOL_MARKERS[this.format]! : null;
    if (!marker) return this.take(this.held.length);
    const at = this.held.indexOf(marker);
    if (at >= 0) {
      this.mode = 'call';
      return this.take(at);
    }
    return this.take(this.held.length - partialTagSuffix(this.held, marker));
  }

  private take(n: number): string {
    const out = this.held.slice(0, n);
    this.held = this.held.slice(n);
    return out;
  }

  finish(): { content: string; calls: ParsedToolCall[] } {
    const r = parseToolCalls(this.format, this.held, this.tools);
    this.held = '';
    return r;
  }
}

/** One reply event: reasoning/content text, the logprobs of the token behind it, or (last) the
 *  tool calls found. */
type ReplyEvent = ReplyParts & { logprobs?: StepLogprobs; calls?: ChatToolCall[] };

export async function createChatCompletion(
  host: ChatHost,
  params: ChatCompletionCreateParams,
  signal?: AbortSignal,
): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
  if (typeof params !== 'object' || params === null) throw bad('params must be an object');
  if (params.n !== undefined && params.n !== null && params.n !== 1) throw new WasmChordError('unsupported', 'only n = 1 is supported');
  const info = host.info;
  const ctx = info.contextLength;
  // Unlike OpenAI's, the default is "until the context is full" (as llama.cpp's server).
  const genOpts = optionsFromRequest(params as unknown as Record<string, unknown>, { contextLength: ctx, defaultMaxTokens: -1 });
  const overflow = oneOf('context_overflow', params.context_overflow, ['drop_oldest', 'error'], 'drop_oldest');
  const reasoningFormat = oneOf('reasoning_format', params.reasoning_format, ['auto', 'none'], 'auto');

  // Tools: rendered through the template (or a system message for templates without tool
  // support); a forced call is the format's prefix in the prompt plus a JSON Schema grammar.
  const { tools, choice } = checkTools(params.tools, params.tool_choice);
  const useTools = tools.length > 0 && choice !== 'none';
  const template = params.chat_template ?? info.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
  const format = detectToolFormat(template);
  let messages = messagesForTemplate(normalizeMessages(params.messages));
  const extra: Record<string, unknown> = { ...(params.chat_template_kwargs ?? {}) };
  if (useTools && format !== 'generic') extra.tools = tools;
  if (useTools && format === 'generic') {
    const first = messages[0] as { role?: string; content?: string } | undefined;
    const prompt = genericToolPrompt(tools);
    messages =
      first?.role === 'system'
        ? [{ ...first, content: `${first.content}\n\n${prompt}` }, ...messages.slice(1)]
        : [{ role: 'system', content: prompt }, ...messages];
  }
  let forcedPrefix = '';
  if (useTools && choice !== 'auto') {
    if (genOpts.jsonSchema !== undefined || genOpts.grammar !== undefined)
      throw bad('a forced tool call cannot be combined with response_format or a grammar');
    const shape = forcedCallShape(format, tools, choice, params.parallel_tool_calls !== false);
    genOpts.jsonSchema = shape.schema;
    forcedPrefix = shape.prefix;
  }
  toRecord(genOpts, info.nVocab); // validate now, before anything is queued

  const asked = [params.max_completion_tokens, params.max_tokens, params.n_predict].find((v) => v !== undefined && v !== null && v !== -1);
  let opensThinking = false;
  let markerId: number | undefined;
  const stream = host.stream(async () => {
    let usedDefaultTemplate = false;
    const fit = await fitChat({
      messages,
      contextLength: ctx,
      policy: overflow,
      // Room for the reply: what was asked (at most half the context), else a quarter.
      reserve: asked !== undefined && asked !== null ? Math.min(asked, Math.floor(ctx / 2)) : Math.floor(ctx / 4),
      render: async (msgs) => {
        const r = await host.renderChat({ messages: [...msgs], template: params.chat_template, addGenerationPrompt: true, extra });
        usedDefaultTemplate = r.usedDefaultTemplate;
        return r.prompt + forcedPrefix;
      },
      tokenize: (prompt) => host.tokenize(prompt, { addSpecial: true, parseSpecial: true }),
    });
    opensThinking = promptOpensThinking(fit.prompt);
    // A tool-call marker that is a control token is hidden from the text: find its id.
    const marker = useTools ? TOOL_MARKERS[format] : null;
    if (marker) {
      const ids = await host.tokenize(marker, { addSpecial: false, parseSpecial: true });
      if (ids.length === 1) markerId = ids[0];
    }
    // The ChatML fallback's end marker is plain text for models without it as a token.
    const extraStop = usedDefaultTemplate ? ['<|im_end|>'] : [];
    return { input: { kind: 'tokens', tokens: fit.tokens }, raw: toRecord(genOpts, info.nVocab, extraStop) };
  }, signal);

  async function* events(): AsyncGenerator<ReplyEvent> {
    let splitter: ReasoningSplitter | undefined;
    const calls = useTools ? new ToolCallStream(format, tools, forcedPrefix) : undefined;
    const content = (p: ReplyParts): ReplyParts => (calls ? { reasoning: p.reasoning, content: calls.push(p.content) } : p);
    for await (const c of stream) {
      splitter ??= reasoningFormat === 'none' ? undefined : new ReasoningSplitter(opensThinking);
      const text = c.token === markerId && c.text === '' ? TOOL_MARKERS[format]! : c.text;
      yield { ...content(splitter ? splitter.push(text) : { reasoning: '', content: text }), logprobs: c.logprobs };
    }
    if (splitter) yield content(splitter.flush());
    if (calls) {
      const r = calls.finish();
      yield {
        reasoning: '',
        content: r.content,
        calls: r.calls.map((c) => ({ id: toolCallId(format), type: 'function', function: { name: c.name, arguments: c.arguments } })),
      };
    }
  }

  const id = completionId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  const model = params.model ?? (info.name || info.arch);
  const wantLogprobs = genOpts.logprobs === true || (genOpts.topLogprobs ?? 0) > 0;
  const finishReason = (calls: ChatToolCall[], r: { finishReason: 'stop' | 'length' }) =>
    calls.length ? ('tool_calls' as const) : r.finishReason;

  if (!params.stream) {
    let reasoning = '';
    let text = '';
    const logprobs: ChatTokenLogprob[] = [];
    let toolCalls: ChatToolCall[] = [];
    for await (const e of events()) {
      reasoning += e.reasoning;
      text += e.content;
      if (e.logprobs) logprobs.push(openAiLogprob(e.logprobs));
      if (e.calls) toolCalls = e.calls;
    }
    const r = await stream.result;
    const message: ChatCompletion['choices'][0]['message'] = {
      role: 'assistant',
      content: toolCalls.length && text.trim() === '' ? null : text,
      refusal: null,
    };
    if (reasoning.trim() !== '') message.reasoning_content = reasoning.trim();
    if (toolCalls.length) message.tool_calls = toolCalls;
    return {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message,
          finish_reason: finishReason(toolCalls, r),
          logprobs: wantLogprobs ? { content: logprobs, refusal: null } : null,
        },
      ],
      usage: openAiUsage(r.usage),
    };
  }
  type Delta = ChatCompletionChunk['choices'][0]['delta'];
  const chunk = (
    delta: Delta,
    finish: ChatCompletionChunk['choices'][0]['finish_reason'],
    usage: Usage | null,
    logprobs?: StepLogprobs,
  ): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [
      { index: 0, delta, finish_reason: finish, logprobs: logprobs ? { content: [openAiLogprob(logprobs)], refusal: null } : null },
    ],
    usage: usage ? openAiUsage(usage) : null,
  });
  async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    let first = true; // the role chunk comes with the first event: prompt errors come before any chunk
    let toolCalls: ChatToolCall[] = [];
    for await (const e of events()) {
      if (first) yield chunk({ role: 'assistant', content: '' }, null, null);
      first = false;
      const delta: Delta = {};
      if (e.reasoning !== '') delta.reasoning_content = e.reasoning;
      if (e.content !== '' || (e.reasoning === '' && e.logprobs)) delta.content = e.content;
      if (Object.keys(delta).length) yield chunk(delta, null, null, e.logprobs);
      if (e.calls) {
        toolCalls = e.calls;
        // Each call in one delta: id, name and the whole arguments text.
        for (const [index, c] of e.calls.entries()) yield chunk({ tool_calls: [{ index, ...c }] }, null, null);
      }
    }
    const r = await stream.result;
    if (first) yield chunk({ role: 'assistant', content: '' }, null, null);
    yield chunk({}, finishReason(toolCalls, r), r.usage);
  }
  return chunks();
}

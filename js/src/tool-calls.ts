// Tool calling: which syntax a chat template's model writes tool calls in (from the template
// text), parsing those calls back out of a reply, and the JSON Schema a forced call must match.
// Formats: Hermes / Qwen `<tool_call>{json}</tool_call>`, Llama 3.x `{"name", "parameters"}`,
// Mistral `[TOOL_CALLS][{...}]` or `[TOOL_CALLS]name[ARGS]{...}`, and a generic JSON reply
// (`{"tool_calls": [...]}`) for templates that know no tools, described in a system message.
import { WasmChordError } from './errors.js';

export type ToolFormat = 'hermes' | 'llama3' | 'mistral' | 'generic';

export interface ToolFunction {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface ChatTool {
  type: 'function';
  function: ToolFunction;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface ParsedToolCall {
  name: string;
  /** The arguments as JSON text (OpenAI's form). */
  arguments: string;
}

export function detectToolFormat(template: string): ToolFormat {
  if (template.includes('<tool_call>')) return 'hermes';
  if (template.includes('[TOOL_CALLS]')) return 'mistral';
  if (template.includes('<|python_tag|>') || (template.includes('<|start_header_id|>') && template.includes('"parameters"')))
    return 'llama3';
  return 'generic';
}

/** Marker tokens that may be control tokens (hidden from text) and must be put back for parsing. */
export const TOOL_MARKERS: Record<ToolFormat, string | null> = {
  hermes: '<tool_call>',
  llama3: '<|python_tag|>',
  mistral: '[TOOL_CALLS]',
  generic: null,
};

function bad(msg: string): WasmChordError {
  return new WasmChordError('invalid_argument', msg);
}

/** Validates `tools` and `tool_choice`; returns the tools the model may call. */
export function checkTools(tools: unknown, choice: unknown): { tools: ChatTool[]; choice: ToolChoice } {
  if (tools === undefined || tools === null) tools = [];
  if (!Array.isArray(tools)) throw bad('tools must be an array');
  const list = tools.map((t: unknown, i): ChatTool => {
    const f = (t as { function?: ToolFunction })?.function;
    if (
      (t as { type?: unknown })?.type !== 'function' ||
      typeof f !== 'object' ||
      f === null ||
      typeof f.name !== 'string' ||
      f.name === ''
    )
      throw bad(`tools[${i}] must be {type: 'function', function: {name, description?, parameters?}}`);
    if (f.parameters !== undefined && (typeof f.parameters !== 'object' || f.parameters === null))
      throw bad(`tools[${i}].function.parameters must be a JSON Schema object`);
    return t as ChatTool;
  });
  const c = choice ?? 'auto';
  if (c === 'auto' || c === 'none' || c === 'required') {
    if (c === 'required' && list.length === 0) throw bad("tool_choice 'required' needs tools");
    return { tools: list, choice: c };
  }
  const name = (c as { function?: { name?: unknown } })?.function?.name;
  if ((c as { type?: unknown })?.type !== 'function' || typeof name !== 'string')
    throw bad("tool_choice must be 'auto', 'none', 'required' or {type: 'function', function: {name}}");
  if (!list.some((t) => t.function.name === name)) throw bad(`tool_choice names '${name}', which is not among the tools`);
  return { tools: list, choice: c as ToolChoice };
}

/** The system message that teaches a template without tool support the generic JSON format. */
export function genericToolPrompt(tools: ChatTool[]): string {
  return (
    'You can call these tools:\n' +
    JSON.stringify(
      tools.map((t) => t.function),
      null,
      2,
    ) +
    '\n\nTo call tools, reply with only a JSON object: {"tool_calls": [{"name": <tool name>, "arguments": <object>}]}. ' +
    'Otherwise reply normally.'
  );
}

/** The JSON Schema of one call to `tool` in `format`'s JSON (the part a grammar can force). */
function callSchema(format: ToolFormat, tool: ChatTool): Record<string, unknown> {
  const args = tool.function.parameters ?? { type: 'object' };
  const argsKey = format === 'llama3' ? 'parameters' : 'arguments';
  return {
    type: 'object',
    properties: { name: { const: tool.function.name }, [argsKey]: args },
    required: ['name', argsKey],
    additionalProperties: false,
  };
}

/** What a forced call (tool_choice 'required' or named) must look like: the JSON Schema of the
 *  reply's JSON part, and the text around it (`prefix` + JSON + `suffix`). */
export function forcedCallShape(
  format: ToolFormat,
  tools: ChatTool[],
  choice: ToolChoice,
  parallel: boolean,
): { schema: Record<string, unknown>; prefix: string; suffix: string } {
  const allowed = typeof choice === 'object' ? tools.filter((t) => t.function.name === choice.function.name) : tools;
  const one = allowed.length === 1 ? callSchema(format, allowed[0]!) : { anyOf: allowed.map((t) => callSchema(format, t)) };
  switch (format) {
    case 'hermes':
      return { schema: one, prefix: '<tool_call>\n', suffix: '\n</tool_call>' };
    case 'llama3':
      return { schema: one, prefix: '', suffix: '' };
    case 'mistral':
      return {
        schema: { type: 'array', items: one, minItems: 1, ...(parallel ? {} : { maxItems: 1 }) },
        prefix: '[TOOL_CALLS]',
        suffix: '',
      };
    case 'generic':
      return {
        schema: {
          type: 'object',
          properties: { tool_calls: { type: 'array', items: one, minItems: 1, ...(parallel ? {} : { maxItems: 1 }) } },
          required: ['tool_calls'],
          additionalProperties: false,
        },
        prefix: '',
        suffix: '',
      };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A {name, arguments|parameters} object naming one of the tools, as a call. */
function asCall(v: unknown, names: ReadonlySet<string>): ParsedToolCall | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const fn = typeof o.function === 'object' && o.function !== null ? (o.function as Record<string, unknown>) : o;
  const name = fn.name;
  const args = fn.arguments ?? fn.parameters ?? {};
  if (typeof name !== 'string' || !names.has(name)) return null;
  if (typeof args === 'string') return parseJson(args) !== undefined ? { name, arguments: args } : null;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return null;
  return { name, arguments: JSON.stringify(args) };
}

function callsFrom(v: unknown, names: ReadonlySet<string>): ParsedToolCall[] | null {
  const list = Array.isArray(v) ? v : [v];
  const calls = list.map((x) => asCall(x, names));
  return calls.length > 0 && calls.every((c) => c !== null) ? (calls as ParsedToolCall[]) : null;
}

/** Splits a finished reply into content and tool calls; text that is not a well-formed call of a
 *  known tool stays content. */
export function parseToolCalls(format: ToolFormat, text: string, tools: ChatTool[]): { content: string; calls: ParsedToolCall[] } {
  const names = new Set(tools.map((t) => t.function.name));
  const none = { content: text, calls: [] };
  if (format === 'hermes') {
    const calls: ParsedToolCall[] = [];
    let content = '';
    let at = 0;
    for (const m of text.matchAll(/<tool_call>\s*([\s\S]*?)\s*(?:<\/tool_call>|$)/g)) {
      const c = callsFrom(parseJson(m[1]!), names);
      if (!c) continue;
      content += text.slice(at, m.index);
      at = m.index! + m[0].length;
      calls.push(...c);
    }
    return calls.length ? { content: (content + text.slice(at)).trim(), calls } : none;
  }
  if (format === 'mistral') {
    const at = text.indexOf('[TOOL_CALLS]');
    if (at < 0) return none;
    const body = text.slice(at + '[TOOL_CALLS]'.length).trim();
    let calls = callsFrom(parseJson(body), names);
    if (!calls) {
      // newer form: name[ARGS]{json} repeated
      calls = [];
      for (const part of body.split('[TOOL_CALLS]')) {
        const m = /^\s*([\w.-]+)\s*\[ARGS\]\s*([\s\S]*)$/.exec(part);
        const c = m && asCall({ name: m[1], arguments: parseJson(m[2]!.trim()) }, names);
        if (!c) return none;
        calls.push(c);
      }
    }
    return { content: text.slice(0, at).trim(), calls };
  }
  const body = text.replace(/^\s*<\|python_tag\|>/, '').trim();
  if (format === 'llama3') {
    const calls = callsFrom(parseJson(body), names) ?? callsFrom(body.split(/\s*;\s*|\n+/).map(parseJson), names); // several calls, ';' or line separated
    return calls ? { content: '', calls } : none;
  }
  const v = parseJson(body) as Record<string, unknown> | undefined;
  const calls = v && (callsFrom(v.tool_calls, names) ?? (v.tool_call !== undefined ? callsFrom(v.tool_call, names) : null));
  return calls ? { content: '', calls } : none;
}

/** Whether a reply that begins with `start` may turn out to be a tool call (so it is held back
 *  instead of streamed as content). */
export function mayBeToolCall(format: ToolFormat, start: string): boolean {
  const s = start.trimStart();
  if (s === '') return true;
  if (format === 'hermes') return '<tool_call>'.startsWith(s.slice(0, 11)) || s.startsWith('<tool_call>');
  if (format === 'mistral') return '[TOOL_CALLS]'.startsWith(s.slice(0, 12)) || s.startsWith('[TOOL_CALLS]');
  return s.startsWith('{') || s.startsWith('[') || '<|python_tag|>'.startsWith(s.slice(0, 14)) || s.startsWith('<|python_tag|>');
}

/** An id for a call: Mistral templates require 9 alphanumerics, others take OpenAI's call_ form. */
export function toolCallId(format: ToolFormat): string {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const r = crypto.getRandomValues(new Uint8Array(format === 'mistral' ? 9 : 24));
  const s = Array.from(r, (b) => abc[b % abc.length]).join('');
  return format === 'mistral' ? s : `call_${s}`;
}

/** Messages as templates expect them: tool-call arguments given as JSON text become objects
 *  (most templates print them with tojson). */
export function messagesForTemplate(messages: readonly unknown[]): unknown[] {
  return messages.map((m) => {
    const calls = (m as { tool_calls?: unknown })?.tool_calls;
    if (!Array.isArray(calls)) return m;
    return {
      ...(m as object),
      tool_calls: calls.map((c: { function?: { arguments?: unknown } }) => {
        const a = c?.function?.arguments;
        const parsed = typeof a === 'string' ? parseJson(a) : undefined;
        return parsed !== undefined && typeof parsed === 'object' ? { ...c, function: { ...c.function, arguments: parsed } } : c;
      }),
    };
  });
}

// Long chats: when a rendered conversation leaves too little room in the context for the reply,
// the oldest whole turns are dropped (a turn starts at a user message and runs to the next one);
// leading system messages and the latest turn are always kept.
import { WasmChordError } from './errors.js';

/** What a chat does when its prompt does not fit: drop the oldest turns (default) or fail. */
export type ContextOverflow = 'drop_oldest' | 'error';

export interface FitRequest {
  messages: readonly unknown[];
  contextLength: number;
  /** Tokens kept free for the reply. */
  reserve: number;
  policy: ContextOverflow;
  render(messages: readonly unknown[]): Promise<string>;
  tokenize(prompt: string): Promise<number[]>;
}

export interface FitResult {
  prompt: string;
  tokens: number[];
  /** Messages left out from the start of the conversation. */
  dropped: number;
}

function role(m: unknown): unknown {
  return typeof m === 'object' && m !== null ? (m as { role?: unknown }).role : undefined;
}

/** Index where each droppable turn starts, oldest first, then the start of the kept last turn. */
function turnStarts(messages: readonly unknown[]): number[] {
  let first = 0;
  while (first < messages.length && (role(messages[first]) === 'system' || role(messages[first]) === 'developer')) ++first;
  const starts: number[] = [];
  for (let i = first; i < messages.length; ++i) if (i === first || role(messages[i]) === 'user') starts.push(i);
  return starts;
}

/** Renders and tokenizes the conversation, dropping old turns until it fits. Once dropping is
 *  needed it drops down to 3/4 of the room, so the next turns reuse the KV cache prefix instead of
 *  shifting the start of the prompt every time. */
export async function fitChat(req: FitRequest): Promise<FitResult> {
  const room = req.contextLength - req.reserve;
  const attempt = async (dropFrom: number, dropTo: number) => {
    const kept = [...req.messages.slice(0, dropFrom), ...req.messages.slice(dropTo)];
    const prompt = await req.render(kept);
    return { prompt, tokens: await req.tokenize(prompt), dropped: dropTo - dropFrom };
  };
  let fit = await attempt(0, 0);
  if (fit.tokens.length <= room) return fit;
  const starts = turnStarts(req.messages);
  const tooLong = (n: number) =>
    new WasmChordError(
      'context_full',
      `the conversation needs ${n} prompt tokens, but the context holds ${req.contextLength} with ${req.reserve} kept for the reply` +
        (req.policy === 'error' ? ' (context_overflow: error)' : ' even with only the system messages and the last turn'),
    );
  if (req.policy === 'error') throw tooLong(fit.tokens.length);
  const from = starts[0] ?? 0;
  const target = Math.floor(room * 0.75);
  // Drop turns oldest first; starts[k] is where the conversation resumes after dropping k turns.
  for (let k = 1; k < starts.length; ++k) {
    fit = await attempt(from, starts[k]!);
    if (fit.tokens.length <= target) return fit;
  }
  if (fit.tokens.length <= room) return fit;
  throw tooLong(fit.tokens.length);
}

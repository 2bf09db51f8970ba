// Splits a streamed chat reply into reasoning (<think>…</think> at the start, as Qwen3, QwQ and
// DeepSeek-R1 distills write it) and content, holding back text that may be the start of a tag so
// a tag split across tokens never leaks into either part.

export interface ReplyParts {
  reasoning: string;
  content: string;
}

const OPEN = '<think>';
const CLOSE = '</think>';

/** Longest suffix of `text` that is a proper prefix of `tag` (text that may still become it). */
export function partialTagSuffix(text: string, tag: string): number {
  for (let k = Math.min(tag.length - 1, text.length); k > 0; --k) if (text.endsWith(tag.slice(0, k))) return k;
  return 0;
}

/** True when the rendered prompt leaves the model inside a thinking block (templates that end
 *  the generation prompt with "<think>\n", e.g. DeepSeek-R1 distills). */
export function promptOpensThinking(prompt: string): boolean {
  const at = prompt.lastIndexOf(OPEN);
  return at >= 0 && prompt.slice(at + OPEN.length).trim() === '';
}

export class ReasoningSplitter {
  private state: 'start' | 'reasoning' | 'content';
  private held = '';
  private afterClose = false; // drop whitespace between </think> and the answer

  constructor(inThinking: boolean) {
    this.state = inThinking ? 'reasoning' : 'start';
  }

  push(text: string): ReplyParts {
    const out: ReplyParts = { reasoning: '', content: '' };
    let t = this.held + text;
    this.held = '';
    for (;;) {
      if (this.state === 'start') {
        // Only a <think> before any content opens reasoning (leading whitespace allowed).
        const lead = t.length - t.trimStart().length;
        const rest = t.slice(lead);
        if (rest.startsWith(OPEN)) {
          this.state = 'reasoning';
          t = rest.slice(OPEN.length).replace(/^\s+/, '');
          continue;
        }
        if (rest === '' || OPEN.startsWith(rest)) {
          this.held = t;
          return out;
        }
        this.state = 'content';
        continue;
      }
      if (this.state === 'reasoning') {
        const end = t.indexOf(CLOSE);
        if (end < 0) {
          const keep = partialTagSuffix(t, CLOSE);
          out.reasoning += t.slice(0, t.length - keep);
          this.held = t.slice(t.length - keep);
          return out;
        }
        out.reasoning += t.slice(0, end).replace(/\s+$/, '');
        t = t.slice(end + CLOSE.length);
        this.state = 'content';
        this.afterClose = true;
        continue;
      }
      if (this.afterClose) {
        t = t.replace(/^\s+/, '');
        if (t === '') return out;
        this.afterClose = false;
      }
      out.content += t;
      return out;
    }
  }

  /** The end of the reply: held-back text is what it is (an unfinished tag stays text). */
  flush(): ReplyParts {
    const t = this.held;
    this.held = '';
    if (this.state === 'reasoning') return { reasoning: t, content: '' };
    return { reasoning: '', content: this.afterClose ? t.trimStart() : t };
  }
}

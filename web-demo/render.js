// Assistant messages in the demo: markdown rendered by marked and sanitized by DOMPurify into a DOM
// fragment (the model's text never reaches innerHTML), a collapsible block for a reasoning model's
// thinking, and a view that re-renders a streaming message at most once per animation frame.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const markdown = new Marked({ gfm: true, breaks: true, async: false });

// What markdown produces, and nothing else: no images, media, forms, frames or styles (a model's
// output must not load remote resources, a known exfiltration path, nor restyle the page).
const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  ALLOWED_TAGS: [
    'a',
    'b',
    'blockquote',
    'br',
    'code',
    'del',
    'em',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'hr',
    'i',
    'kbd',
    'li',
    'ol',
    'p',
    'pre',
    's',
    'span',
    'strong',
    'sub',
    'sup',
    'table',
    'tbody',
    'td',
    'th',
    'thead',
    'tr',
    'ul',
  ],
  ALLOWED_ATTR: ['href', 'title', 'class', 'align', 'start'],
};

// Links open in a new tab with no handle on this page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

/** Markdown text → a sanitized DocumentFragment. */
export function markdownFragment(text) {
  return DOMPurify.sanitize(markdown.parse(text), PURIFY);
}

/**
 * The live view of one assistant message: `<details class="thinking">` (hidden until reasoning
 * arrives; open while it streams, collapsed once the answer starts) above `.body` (the answer as
 * sanitized markdown, or as a JSON code block in JSON mode). set() schedules a repaint for the next
 * frame; flush() paints at once. onPaint runs after each paint (stats, scrolling).
 */
export class AssistantView {
  constructor(li, { json = false, onPaint = () => {} } = {}) {
    this.li = li;
    this.json = json;
    this.onPaint = onPaint;
    this.body = li.querySelector('.body');
    this.body.classList.add('md');
    this.thinking = document.createElement('details');
    this.thinking.className = 'thinking';
    this.thinking.dataset.testid = 'thinking';
    this.thinking.hidden = true;
    this.summary = document.createElement('summary');
    this.thinkingBody = document.createElement('div');
    this.thinkingBody.className = 'thinking-body';
    this.thinking.append(this.summary, this.thinkingBody);
    this.body.before(this.thinking);
    this.reasoning = '';
    this.content = '';
    this.painted = { reasoning: '', content: '' };
    this.thinkStart = 0;
    this.thinkEnd = 0;
    this.frame = 0;
  }

  /** New totals so far (the whole reasoning and answer text, not deltas). */
  set(reasoning, content) {
    if (reasoning && !this.thinkStart) this.thinkStart = performance.now();
    if (content && this.thinkStart && !this.thinkEnd) this.thinkEnd = performance.now();
    this.reasoning = reasoning;
    this.content = content;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.paint());
  }

  flush() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.paint();
  }

  paint() {
    this.frame = 0;
    const { reasoning, content } = this;
    if (reasoning !== this.painted.reasoning) {
      if (this.thinking.hidden) {
        this.thinking.hidden = false;
        this.thinking.open = true;
        this.thinking.dataset.state = 'thinking';
        this.summary.textContent = 'Thinking…';
      }
      this.thinkingBody.textContent = reasoning.trim();
      this.painted.reasoning = reasoning;
    }
    if (content !== this.painted.content) {
      // The answer has started: fold the thinking away once (the person may open it again).
      if (this.thinking.dataset.state === 'thinking') {
        this.thinking.open = false;
        this.thinking.dataset.state = 'done';
        this.summary.textContent = `Thought for ${((this.thinkEnd - this.thinkStart) / 1000).toFixed(1)} s`;
      }
      if (this.json) {
        const pre = document.createElement('pre');
        const code = document.createElement('code');
        code.className = 'language-json';
        code.textContent = content;
        pre.append(code);
        this.body.replaceChildren(pre);
      } else {
        this.body.replaceChildren(markdownFragment(content));
      }
      this.painted.content = content;
    }
    this.onPaint();
  }

  /** The message ended (done, stopped or failed): a thinking block still open says so; in JSON
   *  mode the message says whether the answer parses (data-json valid|invalid). */
  finish() {
    this.flush();
    if (this.thinking.dataset.state === 'thinking') {
      this.thinking.dataset.state = 'ended';
      this.summary.textContent = 'Thinking (no answer)';
    }
    if (this.json) {
      let valid = true;
      try {
        JSON.parse(this.content);
      } catch {
        valid = false;
      }
      this.li.dataset.json = valid ? 'valid' : 'invalid';
    }
  }
}

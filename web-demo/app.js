// wasm-chord chat demo: model loading (URL, file, cache) with per-phase progress, streaming chat
// with Stop / New chat (answers as sanitized markdown, a thinking block for reasoning models, see
// render.js), sampling / Thinking / JSON-mode settings, speed and context usage, a cache manager.
// URL parameters: model=<url> (preselect), autoload=1, threads=<n|auto>, chunk=<bytes per cache
// record>, ctx=<context length>, coi=0 (served without cross-origin isolation: single thread).
import { cache, capabilities, isAbortError, loadModel } from 'wasm-chord';
import { AssistantView } from './render.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { model: null, modelName: '', loadCtl: null, genCtl: null, messages: [], ctxUsed: 0, lastRequest: null };

// ---------- formatting and messages ----------

function fmtBytes(n) {
  if (n === undefined || n === null) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A sentence a person can act on, from a WasmChordError (or anything thrown). */
function explain(e) {
  const msg = e?.message ?? String(e);
  switch (e?.code) {
    case 'unsupported':
      return `This model or browser is not supported: ${msg}`;
    case 'bad_gguf':
      return `This is not a usable GGUF model file: ${msg}`;
    case 'out_of_memory':
      return `Not enough memory for this model: ${msg}`;
    case 'quota_exceeded':
      return `Browser storage is full (quota exceeded): ${msg}. Delete cached models below or load with "do not cache".`;
    case 'not_found':
      return `Not found: ${msg}`;
    case 'io_error':
      return `Could not read the model (network or file error): ${msg}`;
    case 'context_full':
      return `The latest message does not fit the model's context window, even with the older turns left out. Shorten it or start a New chat. (${msg})`;
    case 'aborted':
      return 'Cancelled.';
    case 'invalid_argument':
      return `Invalid setting: ${msg}`;
    case 'template_error':
      return `The model's chat template failed: ${msg}`;
    default:
      return `Something went wrong: ${msg}`;
  }
}

function showError(e) {
  const el = $('error');
  el.textContent = typeof e === 'string' ? e : explain(e);
  el.dataset.code = e?.code ?? '';
  el.hidden = false;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
  $('error').dataset.code = '';
}

function showNotice(text, code = '') {
  const el = $('notice');
  el.textContent = text;
  el.dataset.code = code;
  el.hidden = !text;
}

function setStatus(s, text) {
  $('model-status').dataset.state = s;
  $('model-status').textContent = text;
}

// ---------- capabilities ----------

const caps = capabilities();
function showIsolation() {
  const el = $('isolation');
  const threads = caps.threads;
  el.dataset.coi = String(caps.crossOriginIsolated);
  el.dataset.threads = threads ? 'mt' : 'st';
  el.textContent = threads
    ? `Cross-origin isolated: multi-threaded (up to ${Math.min(8, caps.hardwareConcurrency)} threads)`
    : 'Not cross-origin isolated: single thread (serve with COOP/COEP for threads)';
  if (!caps.simd) showError('This browser lacks WebAssembly SIMD, which wasm-chord needs.');
}

// ---------- loading ----------

function resetProgress() {
  for (const phase of ['download', 'cache', 'load']) {
    const bar = $(`progress-${phase}`);
    bar.value = 0;
    bar.max = 1;
    bar.dataset.events = '0';
    $(`progress-${phase}-text`).textContent = '–';
  }
}

function onProgress(e) {
  const bar = $(`progress-${e.phase}`);
  if (!bar) return;
  bar.dataset.events = String(Number(bar.dataset.events ?? 0) + 1);
  const total = e.total ?? 0;
  bar.max = Math.max(1, total);
  bar.value = Math.min(e.loaded, bar.max);
  const text = $(`progress-${e.phase}-text`);
  text.textContent =
    e.phase === 'load'
      ? total && e.loaded >= total
        ? 'done'
        : 'parsing…'
      : `${fmtBytes(e.loaded)} / ${e.total === undefined ? '?' : fmtBytes(e.total)}`;
}

function threadsOption() {
  const t = params.get('threads');
  return t && t !== 'auto' ? Number(t) : 'auto';
}

function setChatEnabled(on) {
  $('prompt').disabled = !on;
  $('prompt').placeholder = on
    ? 'Type a message (Enter sends, Shift+Enter for a new line)'
    : 'Load a model, then type a message (Enter sends, Shift+Enter for a new line)';
  $('send').disabled = !on;
}

function showInfo(m) {
  const i = m.info;
  const rows = [
    ['Name', i.name || state.modelName],
    ['Architecture', i.arch],
    ['Parameters', i.parameterCount.toLocaleString()],
    ['File', fmtBytes(i.fileBytes)],
    ['Context', `${i.contextLength} tokens`],
    ['Tokenizer', i.tokenizer],
    ['Runtime', i.wasm === 'mt' ? `wasm pthreads, ${i.threads} threads` : 'wasm single thread'],
    ['Chat template', i.chatTemplate ? 'from the model' : 'ChatML default'],
  ];
  const dl = $('model-info');
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
  dl.dataset.wasm = i.wasm;
  dl.dataset.threads = String(i.threads);
  dl.hidden = false;
}

async function unload() {
  stopGeneration();
  const m = state.model;
  state.model = null;
  setChatEnabled(false);
  $('model-info').hidden = true;
  if (m) await m.dispose().catch(() => {});
}

async function load(source, name) {
  state.loadCtl?.abort();
  const ctl = new AbortController();
  state.loadCtl = ctl;
  setStatus('loading', `Loading ${name}…`);
  clearError();
  showNotice('');
  resetProgress();
  state.modelName = name;
  await unload();
  $('cancel-load').disabled = false;
  const chunk = params.get('chunk');
  const ctx = params.get('ctx');
  const hfEndpoint = params.get('hf-endpoint');
  try {
    const model = await loadModel(source, {
      onProgress: (e) => {
        if (state.loadCtl === ctl) onProgress(e);
      },
      signal: ctl.signal,
      threads: threadsOption(),
      cache: $('cache-policy').value,
      ...(chunk ? { cacheChunkBytes: Number(chunk) } : {}),
      ...(ctx ? { contextLength: Number(ctx) } : {}),
      ...(hfEndpoint ? { hfEndpoint } : {}),
      onCacheError: (e) => showNotice(`Loaded, but not cached: ${explain(e)}`, e.code ?? ''),
    });
    if (state.loadCtl !== ctl) {
      await model.dispose();
      return;
    }
    state.model = model;
    showInfo(model);
    setStatus('ready', `Ready: ${name} (${model.info.wasm === 'mt' ? `${model.info.threads} threads` : 'single thread'})`);
    setChatEnabled(true);
    newChat();
    $('prompt').focus();
  } catch (e) {
    if (state.loadCtl !== ctl) return;
    setStatus(isAbortError(e) ? 'cancelled' : 'error', isAbortError(e) ? 'Loading cancelled.' : `Could not load ${name}.`);
    if (!isAbortError(e)) showError(e);
  } finally {
    if (state.loadCtl === ctl) {
      state.loadCtl = null;
      $('cancel-load').disabled = true;
    }
    refreshCache();
  }
}

// ---------- chat ----------

function addMessage(role, text) {
  const li = document.createElement('li');
  li.className = 'msg';
  li.dataset.role = role;
  li.dataset.testid = `msg-${role}`;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = role === 'user' ? 'You' : role === 'assistant' ? 'Model' : 'System';
  const body = document.createElement('div');
  body.className = 'body';
  body.textContent = text;
  li.append(who, body);
  $('messages').append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

function setGenState(s) {
  $('gen-state').dataset.state = s;
  $('gen-state').textContent = s;
  $('stop').disabled = s !== 'generating';
  $('send').disabled = s === 'generating' || !state.model;
}

/** Context usage; `used` null: not known yet (the package may leave old turns out); `dropped`:
 *  prompt tokens of older turns the package left out to make room for the reply. */
function showCtx(used, dropped = 0) {
  const el = $('ctx-usage');
  const n = state.model?.info.contextLength;
  state.ctxUsed = used;
  el.dataset.used = used === null ? '' : String(used);
  el.dataset.dropped = String(Math.max(0, dropped));
  if (!n) el.textContent = '–';
  else if (used === null) el.textContent = `? / ${n} tokens (older turns may be left out)`;
  else el.textContent = `${used} / ${n} tokens (${Math.round((100 * used) / n)}%)` + (dropped > 0 ? ', older turns left out' : '');
}

function readSettings() {
  const num = (id) => {
    const v = Number($(id).value);
    if (!Number.isFinite(v)) throw Object.assign(new Error(`${id} must be a number`), { code: 'invalid_argument' });
    return v;
  };
  return {
    temperature: num('temperature'),
    top_p: num('top-p'),
    top_k: Math.round(num('top-k')),
    max_tokens: Math.round(num('max-tokens')),
    // Templates that know the variable (Qwen3, DeepSeek-R1 distills …) switch thinking on or off.
    chat_template_kwargs: { enable_thinking: $('thinking').checked },
    ...($('json-mode').checked ? { response_format: { type: 'json_object' } } : {}),
    ...($('chat-template').value.trim() ? { chat_template: $('chat-template').value } : {}),
  };
}

function conversation() {
  const sys = $('system-prompt').value.trim();
  return sys ? [{ role: 'system', content: sys }, ...state.messages] : [...state.messages];
}

/**
 * Reads a chat completion stream (OpenAI chunks; reasoning models add delta.reasoning_content)
 * into `view`. `counts` gets tokens, tFirst and, from the final chunk, usage. Returns the answer
 * text. The page's send() and the test hook's replay() both go through here.
 */
async function readStream(stream, view, li, counts) {
  let reasoning = '';
  let content = '';
  for await (const c of stream) {
    const choice = c.choices[0];
    const think = choice?.delta?.reasoning_content ?? '';
    const delta = choice?.delta?.content ?? '';
    if (think !== '' || delta !== '') {
      if (!counts.tFirst) counts.tFirst = performance.now();
      counts.tokens++;
    }
    reasoning += think;
    content += delta;
    if (c.usage) {
      counts.usage = c.usage;
      counts.tokens = c.usage.completion_tokens;
      li.dataset.finish = choice?.finish_reason ?? '';
    }
    view.set(reasoning, content);
  }
  return content;
}

async function send(text) {
  const model = state.model;
  if (!model || state.genCtl || text.trim() === '') return;
  clearError();
  let settings;
  try {
    settings = readSettings();
  } catch (e) {
    showError(e);
    return;
  }
  state.messages.push({ role: 'user', content: text });
  addMessage('user', text);
  const li = addMessage('assistant', '');
  li.dataset.state = 'streaming';
  const ctl = new AbortController();
  state.genCtl = ctl;
  setGenState('generating');
  const counts = { tokens: 0, tFirst: 0, usage: null };
  // The whole conversation's size; the package drops the oldest turns when it leaves too little
  // room for the reply (the final chunk's usage then says how much was kept).
  let fullPrompt = 0;
  const t0 = performance.now();
  const updateStats = () => {
    const secs = counts.tFirst ? (performance.now() - counts.tFirst) / 1000 : 0;
    $('tps').textContent = secs > 0 && counts.tokens > 1 ? `${((counts.tokens - 1) / secs).toFixed(1)} tokens/s` : '– tokens/s';
    $('gen-tokens').textContent = `${counts.tokens} tokens`;
    $('gen-tokens').dataset.count = String(counts.tokens);
    if (counts.usage) showCtx(counts.usage.prompt_tokens + counts.tokens, fullPrompt - counts.usage.prompt_tokens);
    else if (fullPrompt + counts.tokens <= model.info.contextLength) showCtx(fullPrompt + counts.tokens);
    else showCtx(null); // older turns are left out: how many is known when the answer ends
  };
  const view = new AssistantView(li, {
    json: !!settings.response_format,
    onPaint: () => {
      li.scrollIntoView({ block: 'end' });
      updateStats();
    },
  });
  let out = '';
  try {
    const messages = conversation();
    // Rendered and tokenized as chat.completions does, to compare with usage.prompt_tokens.
    const rendered = await model.applyChatTemplate(messages, {
      addGenerationPrompt: true,
      template: settings.chat_template,
      extra: settings.chat_template_kwargs,
    });
    fullPrompt = (await model.tokenize(rendered, { addSpecial: true, parseSpecial: true })).length;
    updateStats();
    const request = { messages, stream: true, ...settings };
    state.lastRequest = structuredClone(request);
    const stream = await model.chat.completions.create({ ...request, signal: ctl.signal });
    out = await readStream(stream, view, li, counts);
    li.dataset.state = 'done';
    setGenState('done');
  } catch (e) {
    if (isAbortError(e)) {
      li.dataset.state = 'stopped';
      setGenState('stopped');
    } else {
      li.dataset.state = 'error';
      setGenState('error');
      showError(e);
    }
  } finally {
    view.finish();
    out ||= view.content;
    li.dataset.ms = String(Math.round(performance.now() - t0));
    // The answer goes into the history (not the thinking, as reasoning models expect); a reply that
    // was all thinking is an empty answer; nothing at all from a failed or stopped one: forget the question.
    if (out || li.dataset.state === 'done') state.messages.push({ role: 'assistant', content: out });
    else state.messages.pop();
    if (state.genCtl === ctl) state.genCtl = null;
    if (state.model) $('send').disabled = false;
  }
}

function stopGeneration() {
  state.genCtl?.abort();
}

function newChat() {
  stopGeneration();
  state.messages = [];
  $('messages').replaceChildren();
  $('tps').textContent = '– tokens/s';
  $('gen-tokens').textContent = '0 tokens';
  $('gen-tokens').dataset.count = '0';
  showCtx(0);
  setGenState('idle');
  clearError();
}

// ---------- cache manager ----------

let refreshing = Promise.resolve();
function refreshCache() {
  refreshing = refreshing.then(renderCache, renderCache);
  return refreshing;
}

async function renderCache() {
  const tbody = $('cache-list');
  let entries;
  let usage;
  try {
    [entries, usage] = await Promise.all([cache.list(), cache.usage()]);
  } catch (e) {
    $('cache-usage').textContent = `The cache is unavailable: ${e.message}`;
    tbody.replaceChildren();
    return;
  }
  $('cache-usage').textContent =
    `${fmtBytes(usage.cachedBytes)} in ${usage.entries} model${usage.entries === 1 ? '' : 's'}` +
    (usage.quota ? ` · origin uses ${fmtBytes(usage.usage)} of ${fmtBytes(usage.quota)}` : '');
  $('cache-usage').dataset.bytes = String(usage.cachedBytes);
  $('cache-empty').hidden = entries.length > 0;
  tbody.replaceChildren(
    ...entries.map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'cache-row';
      tr.dataset.url = e.url;
      tr.dataset.complete = String(e.complete);
      const name = document.createElement('td');
      name.className = 'url';
      name.textContent = decodeURIComponent(new URL(e.url).pathname.split('/').pop() || e.url);
      name.title = e.url;
      const size = document.createElement('td');
      size.textContent = fmtBytes(e.size);
      const st = document.createElement('td');
      st.textContent = e.complete
        ? `cached ${new Date(e.cachedAt).toLocaleString()}`
        : `partial ${Math.floor((100 * e.storedBytes) / e.size)}%, resumes on next load`;
      const actions = document.createElement('td');
      const loadBtn = document.createElement('button');
      loadBtn.type = 'button';
      loadBtn.textContent = e.complete ? 'Load' : 'Resume';
      loadBtn.dataset.testid = 'cache-load';
      loadBtn.setAttribute('aria-label', e.complete ? `Load ${name.textContent} from the cache` : `Resume downloading ${name.textContent}`);
      loadBtn.addEventListener('click', () => {
        $('model-url').value = e.url;
        load(e.url, name.textContent);
      });
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'Delete';
      del.dataset.testid = 'cache-delete';
      del.setAttribute('aria-label', `Delete ${name.textContent} from the cache`);
      del.addEventListener('click', async () => {
        try {
          await cache.delete(e.url);
        } catch (err) {
          showError(err);
        }
        refreshCache();
      });
      actions.append(loadBtn, ' ', del);
      tr.append(name, size, st, actions);
      return tr;
    }),
  );
}

// ---------- wiring ----------

function nameOf(url) {
  try {
    return decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);
  } catch {
    return url;
  }
}

$('url-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const url = $('model-url').value.trim();
  if (url) load(new URL(url, location.href).href, nameOf(url));
});
$('model-file').addEventListener('change', () => {
  const f = $('model-file').files?.[0];
  if (f) load(f, f.name);
});
$('cancel-load').addEventListener('click', () => state.loadCtl?.abort());
$('chat-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('prompt').value;
  if (!state.model || state.genCtl || !text.trim()) return;
  $('prompt').value = '';
  send(text);
});
$('prompt').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $('chat-form').requestSubmit();
  }
});
$('stop').addEventListener('click', stopGeneration);
$('new-chat').addEventListener('click', newChat);
$('cache-refresh').addEventListener('click', refreshCache);
$('cache-clear').addEventListener('click', async () => {
  if (!confirm('Delete every cached model?')) return;
  try {
    await cache.clear();
  } catch (e) {
    showError(e);
  }
  refreshCache();
});

// ---------- test hook ----------

// window.__chordDemo, for the e2e tests: replay(chunks, { delayMs, json }) renders OpenAI-shaped
// stream chunks (delta.content, delta.reasoning_content) as an assistant message through the same
// path as a model's stream (readStream → AssistantView); lastRequest is the last chat request the
// page sent, without its AbortSignal.
window.__chordDemo = {
  get lastRequest() {
    return state.lastRequest;
  },
  async replay(chunks, { delayMs = 0, json = false } = {}) {
    const li = addMessage('assistant', '');
    li.dataset.state = 'streaming';
    const view = new AssistantView(li, { json, onPaint: () => li.scrollIntoView({ block: 'end' }) });
    async function* stream() {
      for (const c of chunks) {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        yield c;
      }
    }
    try {
      await readStream(stream(), view, li, { tokens: 0, tFirst: 0, usage: null });
      li.dataset.state = 'done';
    } finally {
      view.finish();
    }
  },
};

async function init() {
  showIsolation();
  setGenState('idle');
  resetProgress();
  refreshCache();
  let preselect = params.get('model');
  if (!preselect) {
    try {
      const idx = await (await fetch('/models/index.json')).json();
      preselect = idx.default;
    } catch {
      // not served by scripts/serve.mjs: the page asks for a URL or a file
    }
  }
  if (preselect) {
    $('model-url').value = new URL(preselect, location.href).href;
    setStatus('empty', `No model loaded. ${nameOf(preselect)} is preselected: press Load.`);
    if (params.get('autoload') === '1') load($('model-url').value, nameOf(preselect));
  } else {
    setStatus('empty', 'No model loaded. Enter a GGUF URL or pick a local file.');
  }
  document.body.dataset.ready = 'true';
}

init();

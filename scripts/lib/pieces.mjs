// Token id <-> the piece text llama.node reports for candidates (tok_str): llama.cpp's
// token_to_piece(special = true), then llama.rn's tokens_to_output_formatted_string (a lone high
// byte becomes "byte: \xNN"), then UTF-8 -> JS string with U+FFFD for invalid bytes (as N-API does).
import { readGgufMetadata } from './gguf.mjs';

const TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

// GPT-2 byte-level alphabet: code point -> byte (bytes that are printable map to themselves,
// the others to 256 + n in byte order).
function gpt2Decoder() {
  const m = new Map();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    m.set(printable ? b : 256 + n++, b);
  }
  return m;
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }); // keep a leading U+FEFF

export class Pieces {
  // kv: a GGUF's metadata (tokenizer.ggml.* keys), token texts as raw bytes.
  constructor(kv) {
    this.model = kv['tokenizer.ggml.model'];
    const tokens = kv['tokenizer.ggml.tokens']?.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength));
    const types = kv['tokenizer.ggml.token_type'] ?? [];
    if (!tokens) throw new Error('no tokenizer.ggml.tokens');
    const dec = this.model === 'gpt2' ? gpt2Decoder() : null;
    this.bytes = tokens.map((t, id) => this.#raw(t, types[id] ?? TYPE.NORMAL, dec));
    this.text = this.bytes.map((b) => {
      if (b.length === 1 && b[0] & 0x80) return `byte: \\x${b[0].toString(16)}`;
      return utf8.decode(b);
    });
    this.byText = new Map();
    this.text.forEach((s, id) => {
      const l = this.byText.get(s);
      if (l) l.push(id);
      else this.byText.set(s, [id]);
    });
  }

  static async fromFile(path) {
    return new Pieces(await readGgufMetadata(path, { rawStringArrays: true }));
  }

  // The bytes of token_to_piece(id, special = true).
  #raw(text, type, dec) {
    if (type === TYPE.CONTROL || type === TYPE.UNKNOWN || type === TYPE.USER_DEFINED) return text;
    if (type === TYPE.BYTE) {
      const v = parseInt(text.toString('latin1').slice(3, 5), 16);
      return Buffer.from([v]);
    }
    if (type !== TYPE.NORMAL) return Buffer.alloc(0); // unused/undefined: suppressed
    if (!dec) return Buffer.from(text.toString('utf8').replaceAll('\u2581', ' '), 'utf8');
    const out = [];
    for (const ch of text.toString('utf8')) {
      const b = dec.get(ch.codePointAt(0));
      if (b !== undefined) out.push(b);
      else {
        // llama_decode_text: "[UNK_BYTE_0x<hex of the char's UTF-8><whole token text>]"
        const u = Buffer.from(ch, 'utf8');
        out.push(...Buffer.from(`[UNK_BYTE_0x${u.toString('hex')}`), ...text, ...Buffer.from(']'));
      }
    }
    return Buffer.from(out);
  }

  piece(id) {
    return this.text[id];
  }
  ids(piece) {
    return this.byText.get(piece) ?? [];
  }
  isUnique(piece) {
    return this.ids(piece).length === 1;
  }
}

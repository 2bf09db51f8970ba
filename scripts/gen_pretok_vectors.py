#!/usr/bin/env python3
"""Writes tests/cpp/tokenizer/data/pretok_vectors.txt: reference pre-tokenizer splits for the BPE
pre-tokenizers, computed independently of the C++ code by replaying llama.cpp's regex lists the
way llama.cpp runs them (src/unicode.cpp, unicode_regex_split):
  'u' passes (the GPT-2 / Llama-3 regexes llama.cpp hand-codes): the third-party `regex` module on
      the text itself, with Unicode classes;
  'c' passes (regexes using \\p{..}): Python `re` (ASCII mode) on llama.cpp's "collapsed" text, one
      character per code point (ASCII kept, other whitespace -> \\v, others -> one byte per
      category), with \\p{..} rewritten to that byte plus ASCII ranges exactly as llama.cpp does;
  'w' passes (no \\p{..}: std::wregex in llama.cpp): Python `re` (ASCII \\s) on the code points with
      non-ASCII whitespace replaced by \\v.
Each regex splits every current segment: matches and the stretches between them become segments.

Usage: python3 scripts/gen_pretok_vectors.py > tests/cpp/tokenizer/data/pretok_vectors.txt
Format: "T <hex of the UTF-8 input>", then one line per pre-tokenizer name:
"<name> <byte length of each word ...>".
"""
import random
import re
import sys
import unicodedata

import regex  # third-party: Unicode classes for the 'u' passes

WS = set(range(9, 14)) | set(range(0x2000, 0x200B)) | {0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
CAT = {'N': '\xd1', 'L': '\xd2', 'P': '\xd3', 'M': '\xd4', 'S': '\xd5'}
UMAP = {'N': '\xd10-9', 'L': '\xd2A-Za-z', 'P': '\xd3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}', 'M': '\xd4', 'S': '\xd5\\$\\+<->\\^`\\|'}

def collapse_text(t):
    out = []
    for ch in t:
        c = ord(ch)
        if c < 128: out.append(ch)
        elif c in WS: out.append('\x0b')
        else: out.append(CAT.get(unicodedata.category(ch)[0], '\xd0'))
    return ''.join(out)

def collapse_regex(r):
    out = ''; inside = False; i = 0
    while i < len(r):
        if r[i] == '[' and (i == 0 or r[i-1] != '\\'):
            out += '['; inside = True; i += 1; continue
        if inside and r[i] == ']' and r[i-1] != '\\':
            out += ']'; inside = False; i += 1; continue
        if r[i] == '\\' and i + 4 < len(r) and r[i+1] == 'p' and r[i+2] == '{' and r[i+4] == '}' and r[i+3] in UMAP:
            s = UMAP[r[i+3]]
            out += s if inside else '[' + s + ']'
            i += 5; continue
        out += r[i]; i += 1
    return out

def wide_text(t):
    return ''.join('\x0b' if (ord(ch) > 127 and ord(ch) in WS) else ch for ch in t)

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
SEED = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"
DSC = [(0x41, 0x5A), (0x61, 0x7A), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BA), (0x1BC, 0x1BF), (0x1C4, 0x293), (0x295, 0x2AF), (0x370, 0x373), (0x376, 0x377), (0x37B, 0x37D), (0x37F, 0x37F), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x3A1), (0x3A3, 0x3F5), (0x3F7, 0x481), (0x48A, 0x52F), (0x531, 0x556), (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2102, 0x2102), (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115), (0x2119, 0x211D), (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128), (0x212A, 0x212D), (0x212F, 0x2134), (0x2139, 0x2139), (0x213C, 0x213F), (0x2145, 0x2149), (0x214E, 0x214E), (0x2183, 0x2184), (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3), (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E), (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943)]
DSCLS = ''.join('%s-%s' % (re.escape(chr(a)), re.escape(chr(b))) for a, b in DSC)
PASSES = {
    'gpt-2': [('u', GPT2)],
    'llama-bpe': [('u', LLAMA3)],
    'qwen2': [('c', QWEN2)],
    'seed-coder': [('c', SEED)],
    'deepseek-llm': [('w', r"[\r\n]"), ('w', r"\s?[" + DSCLS + r"]+"), ('w', "\\s?[!-/:-~！-／：-～‘-‟　-。]+"), ('w', r"\s+\Z"), ('w', "[一-龥ࠀ-一가-퟿]+"), ('c', r"\p{N}+")],
    'deepseek-coder': [('w', r"[\r\n]"), ('c', r"\s?\p{L}+"), ('c', r"\s?\p{P}+"), ('w', "[一-龥ࠀ-一가-퟿]+"), ('c', r"\p{N}")],
    'deepseek-v3': [('c', r"\p{N}{1,3}"), ('w', "[一-龥぀-ゟ゠-ヿ]+"), ('c', "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")],
    'falcon': [('c', r"[\p{P}\$\+<=>\^~\|`]+"), ('u', GPT2), ('w', r"[0-9][0-9][0-9]")],
    'starcoder': [('c', r"\p{N}"), ('u', GPT2)],
    'default': [('c', r"[\p{P}\$\+<=>\^~\|]+"), ('u', GPT2), ('c', r"\p{N}+"), ('w', r"[0-9][0-9][0-9]")],
    'poro-chat': [('w', " ?[^(\\s|.,!?…。，、।۔،)]+")],
    'viking': [('w', " ?[^(\\s|.,!?…。，、।۔،)]+"), ('c', r"\p{N}")],
}

def split(name, text):
    segs = [len(text)]
    for mode, pat in PASSES[name]:
        if mode == 'u': view, rx = text, regex.compile(pat)
        elif mode == 'c': view, rx = collapse_text(text), re.compile(collapse_regex(pat), re.ASCII)
        else: view, rx = wide_text(text), re.compile(pat, re.ASCII)
        out = []; start = 0
        for n in segs:
            sub = view[start:start+n]; prev = 0
            for m in rx.finditer(sub):
                assert m.end() > m.start()
                if m.start() > prev: out.append(m.start() - prev)
                out.append(m.end() - m.start()); prev = m.end()
            if n > prev: out.append(n - prev)
            start += n
        segs = out
    words = []; start = 0
    for n in segs: words.append(text[start:start+n]); start += n
    return words


ALPHA = (list("aAbZzqsStTmMdDrReEvVlLk") * 3 + list("0123456789") * 2 +
         list("'''!?.,;:-_()[]{}<>=+$^~|`@#%&*/\\\"") + [" "] * 12 + ["\t", "\n", "\n", "\r", "\x0b", "\x0c"] +
         list("éßЖж中文가ーぁァµΩKℭ٣½²…。，、।۔،\u00a0\u3000\u2003\u0301\u200b🦙€™‘’“！ａ\u2126ΐ\u1fd3ǅ\u0903\u00ad\x7f"))


def main():
    random.seed(20240501)
    texts = ["Hello world", " Hello", "  Hello", "\n =", "' era", "3333333", "it's  \n\n x", "   ", "a  ",
             "\u3000\u3000a", "x~y", "~~ab", "I'LL DON'T we've", "\t\n", " \n\n  \n b", "1234567890 12 ٣٣٣٣"]
    for _ in range(160):
        n = random.randint(1, 32)
        texts.append("".join(random.choice(ALPHA) for _ in range(n)))
    out = sys.stdout
    out.write("# generated by scripts/gen_pretok_vectors.py; do not edit\n")
    for t in texts:
        out.write("T %s\n" % t.encode("utf-8").hex())
        for name in PASSES:
            lens = [len(w.encode("utf-8")) for w in split(name, t)]
            out.write("%s %s\n" % (name, " ".join(map(str, lens))))


if __name__ == "__main__":
    main()

// chord-cli: a small native tool for debugging and for comparing with llama.cpp.
//   chord-cli run MODEL -p TEXT [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--seed S] ...
//   chord-cli tokenize MODEL -p TEXT        chord-cli info MODEL
//   chord-cli score MODEL --ids 1,2,3 [--top 10]   (teacher-forced next-token probabilities, JSON lines)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/options.h"

using namespace chord;

namespace {

const char* kUsage =
    "usage: chord-cli <command> MODEL.gguf [options]\n"
    "commands:\n"
    "  run       generate text (default command when the first argument is a file)\n"
    "  tokenize  print the token ids of -p TEXT\n"
    "  score     teacher-forced next-token probabilities for --ids (JSON lines)\n"
    "  info      model description\n"
    "options:\n"
    "  -p, --prompt TEXT     prompt text            --ids A,B,C     prompt as token ids\n"
    "  -n, --n-predict N     tokens to generate (default 64)\n"
    "  -c, --ctx N           context length (default: min(train, 4096))\n"
    "  -t, --threads N       threads (default 1)   -b, --batch-size N  prompt tokens per batch (default 64)\n"
    "  --NAME VALUE          any generation option by its record name (runtime/options.h), '-' for '_':\n"
    "                        --temp T --top-k K --top-p P --min-p P --seed S --repeat-penalty R\n"
    "                        --repeat-last-n N --frequency-penalty F --presence-penalty F\n"
    "                        --stop TEXT (repeatable) --logit-bias ID:BIAS (repeatable)\n"
    "                        --grammar GBNF --json-schema JSON (output constrained as llama.cpp's)\n"
    "  --grammar-file F      GBNF grammar from a file   --json-schema-file F  JSON Schema from a file\n"
    "  --ignore-eos   --no-bos   --special (parse special tokens)\n"
    "  --print-ids           print generated token ids instead of text\n"
    "  --top K               (score) candidates per position (default 10)\n";

struct Args {
  std::string cmd = "run", model, prompt;
  std::vector<Token> ids;
  bool have_ids = false, no_bos = false, special = false, print_ids = false;
  int ctx = 0, batch = 64, threads = 1, top = 10;
  GenerateOptions go;
};

// llama.cpp's flag names for record fields spelled differently.
std::string option_alias(std::string flag) {
  if (flag == "temp") return "temperature";
  if (flag == "n-predict") return "max_tokens";
  return flag;
}

int fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.to_string().c_str());
  return s.code() == Code::invalid_argument ? 2 : 1;
}

bool parse_ids(const char* s, std::vector<Token>& out) {
  std::string str(s);
  size_t p = 0;
  while (p < str.size()) {
    size_t e = str.find(',', p);
    if (e == std::string::npos) e = str.size();
    char* end = nullptr;
    long v = std::strtol(str.c_str() + p, &end, 10);
    if (end != str.c_str() + e) return false;
    out.push_back(static_cast<Token>(v));
    p = e + 1;
  }
  return true;
}

// A whole file's text (for --grammar-file / --json-schema-file).
bool read_text(const char* path, std::string& out) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return true;
}

int parse_args(int argc, char** argv, Args& a) {
  int i = 1;
  if (i < argc && (!std::strcmp(argv[i], "run") || !std::strcmp(argv[i], "tokenize") ||
                   !std::strcmp(argv[i], "score") || !std::strcmp(argv[i], "info")))
    a.cmd = argv[i++];
  a.go.max_tokens = 64;
  a.go.sampling.temperature = 0.0f;  // the CLI is for debugging: greedy unless asked
  for (; i < argc; ++i) {
    std::string o = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (o == "-h" || o == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (o == "--no-bos")
      a.no_bos = true;
    else if (o == "--special")
      a.special = true;
    else if (o == "--print-ids")
      a.print_ids = true;
    else if (o == "--ignore-eos")
      a.go.ignore_eos = true;
    else if (o[0] != '-' && a.model.empty())
      a.model = o;
    else if (!(v = val())) {
      std::fprintf(stderr, "error: %s needs a value\n%s", o.c_str(), kUsage);
      return 2;
    } else if (o == "-p" || o == "--prompt")
      a.prompt = v;
    else if (o == "--ids") {
      a.have_ids = true;
      if (!parse_ids(v, a.ids)) {
        std::fprintf(stderr, "error: bad --ids\n");
        return 2;
      }
    } else if (o == "-n") {
      if (Status st = set_option(a.go, "max_tokens", v); !st.ok()) return fail(st);
    } else if (o == "-c" || o == "--ctx")
      a.ctx = std::atoi(v);
    else if (o == "-b" || o == "--batch-size")
      a.batch = std::atoi(v);
    else if (o == "-t" || o == "--threads")
      a.threads = std::atoi(v);
    else if (o == "--top")
      a.top = std::atoi(v);
    else if (o == "--grammar-file" || o == "--json-schema-file") {  // llama.cpp's names
      std::string& text = o == "--grammar-file" ? a.go.grammar : a.go.json_schema.text;
      text.clear();
      if (!read_text(v, text)) {
        std::fprintf(stderr, "error: cannot read %s\n", v);
        return 1;
      }
    } else if (o.size() > 2 && o[1] == '-') {  // a generation option by its record name (--top-k = top_k)
      std::string name = option_alias(o.substr(2));
      for (char& c : name) c = c == '-' ? '_' : c;
      if (Status st = set_option(a.go, name, v); !st.ok()) {
        std::fprintf(stderr, "error: %s\n%s", st.message().c_str(), kUsage);
        return 2;
      }
    } else {
      std::fprintf(stderr, "error: unknown option %s\n%s", o.c_str(), kUsage);
      return 2;
    }
  }
  if (a.model.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  return -1;
}

std::vector<Token> prompt_tokens(const Args& a, const Model& m) {
  if (a.have_ids) return a.ids;
  auto toks = m.tokenizer()->encode(a.prompt, !a.no_bos, a.special);
  if (a.no_bos && !toks.empty() && toks[0] == m.tokenizer()->bos()) toks.erase(toks.begin());
  return toks;
}

int cmd_score(const Args& a, const std::shared_ptr<const Model>& m) {
  auto ctx = Context::create(m, {a.ctx, a.batch, a.threads});
  if (!ctx.ok()) return fail(ctx.status());
  std::vector<Token> toks = prompt_tokens(a, *m);
  std::vector<float> logits;
  if (Status s = (*ctx)->eval(toks, true, logits); !s.ok()) return fail(s);
  const size_t nv = static_cast<size_t>(m->desc().n_vocab);
  std::vector<std::pair<double, Token>> p(nv);
  for (size_t pos = 0; pos < toks.size(); ++pos) {
    const float* l = logits.data() + pos * nv;
    double mx = -INFINITY, sum = 0;
    for (size_t i = 0; i < nv; ++i) mx = std::max(mx, static_cast<double>(l[i]));
    for (size_t i = 0; i < nv; ++i) sum += std::exp(l[i] - mx);
    for (size_t i = 0; i < nv; ++i) p[i] = {std::exp(l[i] - mx) / sum, static_cast<Token>(i)};
    const size_t k = std::min(nv, static_cast<size_t>(std::max(1, a.top)));
    std::partial_sort(p.begin(), p.begin() + static_cast<long>(k), p.end(), [](auto& x, auto& y) {
      return x.first > y.first || (x.first == y.first && x.second < y.second);
    });
    // One write per row: a line is never split between writes (seen garbled once in the pthreads
    // build under heavy load).
    std::string row = "{\"pos\":" + std::to_string(pos) + ",\"top\":[";
    char cell[48];
    for (size_t j = 0; j < k; ++j) {
      std::snprintf(cell, sizeof cell, "%s[%d,%.9g]", j ? "," : "", p[j].second, p[j].first);
      row += cell;
    }
    row += "]}\n";
    std::fwrite(row.data(), 1, row.size(), stdout);
  }
  return 0;
}

int cmd_run(const Args& a, const std::shared_ptr<const Model>& m) {
  auto ctx = Context::create(m, {a.ctx, a.batch, a.threads});
  if (!ctx.ok()) return fail(ctx.status());
  auto gen = Generator::start(**ctx, prompt_tokens(a, *m), a.go);
  if (!gen.ok()) return fail(gen.status());
  auto t0 = std::chrono::steady_clock::now();
  bool first_token = true;
  double prefill_s = 0;
  Step s;
  do {
    auto r = (*gen)->step();
    if (!r.ok()) return fail(r.status());
    s = std::move(r.value());
    if (s.token >= 0 && first_token) {
      first_token = false;
      prefill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      t0 = std::chrono::steady_clock::now();
    }
    if (a.print_ids && s.token >= 0)
      std::printf("%d\n", s.token);
    else if (!a.print_ids)
      std::fputs(s.text.c_str(), stdout);
    std::fflush(stdout);
  } while (!s.done);
  const double decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int n_gen = (*gen)->completion_tokens();
  std::fprintf(stderr,
               "\n[prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens in %.3f s (%.1f tok/s); finish: %s]\n",
               (*gen)->prompt_tokens(), prefill_s, (*gen)->prompt_tokens() / std::max(prefill_s, 1e-9), n_gen, decode_s,
               (n_gen > 1 ? n_gen - 1 : 0) / std::max(decode_s, 1e-9), s.finish_reason);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (int rc = parse_args(argc, argv, a); rc >= 0) return rc;
  auto model = Model::load_file(a.model);
  if (!model.ok()) return fail(model.status());
  const auto& m = *model;
  if (a.cmd == "info") {
    const ModelDesc& d = m->desc();
    std::printf(
        "arch %s  name '%s'\nvocab %d  embd %d  layers %d  heads %d/%d  head_dim %d  ffn %d  ctx_train %d\n"
        "rope base %g  n_rot %d  %s  freq_scale %g  norm_eps %g  qkv_bias %d  qk_norm %d  tied %d\n"
        "tokenizer %s/%s  bos %d  eos %d  file %llu bytes\n",
        d.arch.c_str(), d.name.c_str(), d.n_vocab, d.n_embd, d.n_layer, d.n_head, d.n_head_kv, d.head_dim, d.n_ff,
        d.n_ctx_train, d.rope_base, d.n_rot, d.rope_neox ? "neox" : "normal", d.rope_freq_scale, d.norm_eps, d.qkv_bias,
        d.qk_norm, d.tied_embeddings, std::string(m->tokenizer()->model()).c_str(),
        std::string(m->tokenizer()->pre()).c_str(), m->tokenizer()->bos(), m->tokenizer()->eos(),
        static_cast<unsigned long long>(m->file_bytes()));
    return 0;
  }
  if (a.cmd == "tokenize") {
    for (Token t : prompt_tokens(a, *m)) std::printf("%d ", t);
    std::printf("\n");
    return 0;
  }
  if (a.cmd == "score") return cmd_score(a, m);
  return cmd_run(a, m);
}

// chord-synth command line: chord-synth --preset NAME --type Q4_0 --seed 1 -o out.gguf
// [--layers N] [--vocab PATH.gguf] [--threads N] [--logit-scale X ...] [--list] [-v]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "scripts/synth/synth.h"

using namespace chord::synth;

namespace {

void usage(std::FILE* f) {
  std::fprintf(f,
               "usage: chord-synth --preset NAME --type TYPE [--seed S] -o OUT.gguf [options]\n"
               "  --preset NAME       model shape (--list shows them)\n"
               "  --type TYPE         %s\n"
               "                      (plain types: every 2-D weight in TYPE, as llama-quantize --pure;\n"
               "                       rows that do not fit 256-blocks fall back as llama.cpp does)\n"
               "  --seed S            random seed (default 1); same seed, same file\n"
               "  --layers N          override the number of layers\n"
               "  --vocab PATH        vocabulary GGUF to copy tokenizer.* from (default: the preset's)\n"
               "  --threads N         generation threads (default 2)\n"
               "  --output-type TYPE  type of output.weight (token_embd when tied), e.g. F16\n"
               "  --tensor-type NAME_PART=TYPE  type for 2-D weights whose name contains NAME_PART\n"
               "                      (repeatable, first match wins), e.g. output.weight=Q8_0\n"
               "  --logit-scale X --attn-scale X --resid-scale X --embd-scale X --norm-noise X\n"
               "  --bias-scale X      weight scales (defaults tuned for sharp next-token distributions)\n"
               "  --list              list presets   -v  print every tensor\n",
               type_names().c_str());
}

bool parse_double(const char* s, double& out) {
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end && *end == 0 && end != s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string preset, type;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a == "--list") {
      for (const Preset& p : presets())
        std::printf("%-14s %-6s embd %4d layers %2d heads %2d/%d ffn %4d  %s\n", p.name, p.arch, p.n_embd, p.n_layer,
                    p.n_head, p.n_head_kv, p.n_ff, p.about);
      return 0;
    }
    if (a == "-v") {
      o.verbose = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "chord-synth: %s needs a value\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    double* scale = nullptr;  // the numeric scale options
    if (a == "--preset")
      preset = v;
    else if (a == "--type")
      type = v;
    else if (a == "--seed")
      o.seed = std::strtoull(v, nullptr, 10);
    else if (a == "-o" || a == "--out")
      o.out_path = v;
    else if (a == "--layers")
      o.layers = std::atoi(v);
    else if (a == "--vocab")
      o.vocab_path = v;
    else if (a == "--threads")
      o.threads = std::max(1, std::atoi(v));
    else if (a == "--output-type") {
      auto tc = parse_type(v);
      if (!tc || tc->q4_k_m) {
        std::fprintf(stderr, "chord-synth: --output-type: unknown type %s\n", v);
        return 2;
      }
      o.output_type = tc->base;
    } else if (a == "--tensor-type") {
      const std::string spec = v;
      const size_t eq = spec.rfind('=');
      auto tc = eq == std::string::npos ? std::nullopt : parse_type(spec.substr(eq + 1));
      if (!tc || tc->q4_k_m || eq == 0) {
        std::fprintf(stderr, "chord-synth: --tensor-type wants NAME_PART=TYPE, got %s\n", v);
        return 2;
      }
      o.overrides.push_back({spec.substr(0, eq), tc->base});
    } else if (a == "--logit-scale")
      scale = &o.scales.logit;
    else if (a == "--attn-scale")
      scale = &o.scales.attn;
    else if (a == "--resid-scale")
      scale = &o.scales.resid;
    else if (a == "--embd-scale")
      scale = &o.scales.embd;
    else if (a == "--norm-noise")
      scale = &o.scales.norm_noise;
    else if (a == "--bias-scale")
      scale = &o.scales.bias;
    else {
      std::fprintf(stderr, "chord-synth: unknown option %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
    if (scale && !parse_double(v, *scale)) {
      std::fprintf(stderr, "chord-synth: %s: not a number: %s\n", a.c_str(), v);
      return 2;
    }
  }
  if (preset.empty() || type.empty() || o.out_path.empty()) {
    usage(stderr);
    return 2;
  }
  o.preset = find_preset(preset);
  if (!o.preset) {
    std::fprintf(stderr, "chord-synth: unknown preset '%s' (--list shows them)\n", preset.c_str());
    return 2;
  }
  auto tc = parse_type(type);
  if (!tc) {
    std::fprintf(stderr, "chord-synth: unknown type '%s' (one of: %s)\n", type.c_str(), type_names().c_str());
    return 2;
  }
  o.type = *tc;
  if (o.layers < 0 || o.layers > 4096) {
    std::fprintf(stderr, "chord-synth: --layers out of range\n");
    return 2;
  }
  chord::Status s = generate(o);
  if (!s.ok()) {
    std::fprintf(stderr, "chord-synth: %s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}

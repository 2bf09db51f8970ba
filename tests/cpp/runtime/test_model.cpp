// Model description and loading details: split part names, metadata errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/gguf/gguf.h"
#include "runtime/model.h"
#include "tests/cpp/test_util.h"

using namespace chord;

TEST_CASE("split part paths follow gguf-split naming") {
  CHECK(split_part_paths("/m/model.gguf") == std::vector<std::string>{"/m/model.gguf"});
  CHECK(split_part_paths("/m/x-00001-of-00003.gguf") ==
        std::vector<std::string>{"/m/x-00001-of-00003.gguf", "/m/x-00002-of-00003.gguf", "/m/x-00003-of-00003.gguf"});
  CHECK(split_part_paths("/m/x-00002-of-00003.gguf") == std::vector<std::string>{"/m/x-00002-of-00003.gguf"});
  CHECK(split_part_paths("/m/x-0000a-of-00003.gguf") == std::vector<std::string>{"/m/x-0000a-of-00003.gguf"});
}

TEST_CASE("model description of stories260K") {
  auto m = Model::load_file(test::model_path("gguf/stories260K.gguf"));
  REQUIRE(m.ok());
  const ModelDesc& d = (*m)->desc();
  CHECK(d.arch == "llama");
  CHECK(d.n_vocab == 512);
  CHECK(d.n_embd == 64);
  CHECK(d.n_layer == 5);
  CHECK(d.n_head == 8);
  CHECK(d.n_head_kv == 4);
  CHECK(d.head_dim == 8);
  CHECK(d.n_ff == 172);
  CHECK_FALSE(d.rope_neox);
  CHECK_FALSE(d.tied_embeddings);
}

TEST_CASE("unsupported and malformed files give typed errors") {
  CHECK(Model::load_file(test::model_path("legacy/tinyllamas-stories-260k-f32.gguf")).status().code() ==
        Code::unsupported);
  CHECK(Model::load_file(test::model_path("legacy/TinyLLama-v0.ggmlv3.q4_0.bin")).status().code() == Code::unsupported);
  CHECK(Model::load_file(test::model_path("MODELS.md")).status().code() == Code::bad_gguf);
  CHECK(Model::load_file("/nonexistent/model.gguf").status().code() == Code::io_error);
  // A vocabulary-only GGUF has no llama weights.
  auto v = Model::load_file(test::model_path("vocab/ggml-vocab-gpt-2.gguf"));
  CHECK_FALSE(v.ok());
}

namespace {
// A metadata-only GGUF of `arch` with n_layer layers (and as many dummy tensors, so block_count is
// plausible), plus whatever `extra` sets; returns describe()'s result.
template <class Extra>
Result<ModelDesc> describe_with(const std::string& arch, int n_layer, Extra extra, int n_tensors = -1) {
  gguf::Writer w;
  w.set_string("general.architecture", arch);
  w.set_u32(arch + ".embedding_length", 256);
  w.set_u32(arch + ".block_count", static_cast<uint32_t>(n_layer));
  w.set_u32(arch + ".feed_forward_length", 512);
  w.set_u32(arch + ".attention.head_count", 4);
  w.set_u32(arch + ".attention.head_count_kv", 2);
  w.set_f32(arch + ".rope.freq_base", 1e6f);
  extra(w);
  const std::vector<uint8_t> one(4, 0);
  for (int i = 0; i < (n_tensors < 0 ? n_layer : n_tensors); ++i)
    REQUIRE(w.add_tensor("t" + std::to_string(i), GgmlType::F32, {1}, one).ok());
  static std::vector<uint8_t> bytes;
  bytes = w.finish();
  auto f = gguf::File::parse(bytes);
  REQUIRE(f.ok());
  return describe(*f);
}
}  // namespace

TEST_CASE("architectures: per-layer windows, RoPE bases, NoPE layers and multipliers from metadata") {
  auto g3 = describe_with("gemma3", 12, [](gguf::Writer& w) {
    w.set_u32("gemma3.attention.sliding_window", 512);
    w.set_f32("gemma3.rope.scaling.factor", 8.0f);
  });
  REQUIRE(g3.ok());
  for (int il = 0; il < 12; ++il) {  // 5 local : 1 global
    const LayerDesc& l = g3->layers[static_cast<size_t>(il)];
    const bool local = il % 6 < 5;
    INFO("layer " << il);
    CHECK(l.n_swa == (local ? 512 : 0));
    CHECK(l.rope_base == (local ? 10000.0f : 1e6f));
    CHECK(l.rope_freq_scale == (local ? 1.0f : 0.125f));
  }
  CHECK(g3->qk_norm);
  CHECK(g3->post_norms);
  CHECK(g3->ffn_act == FfnAct::gelu);
  CHECK(g3->scale_q);
  CHECK(g3->embd_scale == std::sqrt(256.0f));
  CHECK(g3->final_softcap == 0.0f);
  CHECK(g3->kq_scale == 1.0f / std::sqrt(64.0f));

  auto g2 = describe_with("gemma2", 4, [](gguf::Writer&) {});
  REQUIRE(g2.ok());
  CHECK(g2->attn_softcap == 50.0f);  // llama.cpp's defaults when the file has none
  CHECK(g2->final_softcap == 30.0f);
  CHECK(g2->layers[0].n_swa == 4096);
  CHECK(g2->layers[1].n_swa == 0);
  CHECK(g2->tied_embeddings);

  auto sm = describe_with("smollm3", 8, [](gguf::Writer&) {});
  REQUIRE(sm.ok());
  for (int il = 0; il < 8; ++il) CHECK(sm->layers[static_cast<size_t>(il)].use_rope == ((il + 1) % 4 != 0));

  auto gr = describe_with("granite", 2, [](gguf::Writer& w) {
    w.set_f32("granite.logit_scale", 8.0f);
    w.set_f32("granite.residual_scale", 0.22f);
    w.set_f32("granite.embedding_scale", 12.0f);
    w.set_f32("granite.attention.scale", 0.015625f);
  });
  REQUIRE(gr.ok());
  CHECK(gr->logit_scale == 0.125f);
  CHECK(gr->residual_scale == 0.22f);
  CHECK(gr->embd_scale == 12.0f);
  CHECK(gr->kq_scale == 0.015625f);
  CHECK(describe_with("granite", 2, [](gguf::Writer&) {}).status().code() == Code::bad_gguf);  // logit_scale required

  auto phi = describe_with("phi3", 2, [](gguf::Writer& w) {
    w.set_u32("phi3.attention.sliding_window", 2047);
    w.set_u32("phi3.rope.scaling.original_context_length", 4096);
    w.set_f32("phi3.rope.scaling.attn_factor", 1.19f);
    w.set_u32("phi3.rope.dimension_count", 48);
  });
  REQUIRE(phi.ok());
  CHECK(phi->fused_ffn);
  CHECK(phi->n_rot == 48);
  CHECK(phi->n_ctx_orig == 4096);
  CHECK(phi->rope_attn_factor == 1.19f);
  CHECK(phi->layers[0].n_swa == 0);  // ignored, as llama.cpp

  auto ol = describe_with("olmo2", 2, [](gguf::Writer&) {});  // OLMo 2: no window
  REQUIRE(ol.ok());
  CHECK_FALSE(ol->pre_norms);
  CHECK(ol->post_norms);
  CHECK(ol->qk_norm);
  CHECK(ol->qk_norm_full);
  CHECK(ol->rope_neox);
  CHECK(ol->kq_scale == 1.0f / std::sqrt(64.0f));
  for (const LayerDesc& l : ol->layers) CHECK(l.n_swa == 0);
  auto ol3 = describe_with("olmo2", 8, [](gguf::Writer& w) {  // OLMo 3: 3 local : 1 global, local RoPE unscaled
    w.set_u32("olmo2.attention.sliding_window", 4096);
    w.set_f32("olmo2.rope.scaling.factor", 8.0f);
  });
  REQUIRE(ol3.ok());
  for (int il = 0; il < 8; ++il) {
    const LayerDesc& l = ol3->layers[static_cast<size_t>(il)];
    INFO("layer " << il);
    CHECK(l.n_swa == (il % 4 < 3 ? 4096 : 0));
    CHECK(l.rope_base == 1e6f);
    CHECK(l.rope_freq_scale == (il % 4 < 3 ? 1.0f : 0.125f));
  }

  auto unk = describe_with("lfm2", 2, [](gguf::Writer&) {});
  CHECK(unk.status().code() == Code::unsupported);
  CHECK(unk.status().message().find("'lfm2'") != std::string::npos);
  auto huge = describe_with(
      "llama", 1000, [](gguf::Writer&) {}, 3);  // more layers than tensors
  CHECK(huge.status().code() == Code::bad_gguf);
  CHECK(huge.status().message().find("block_count 1000 exceeds") != std::string::npos);
}

// Model description and loading details: split part names, metadata errors.
#include <catch2/catch.hpp>

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
  CHECK(Model::load_file(test::model_path("legacy/tinyllamas-stories-260k-f32.gguf")).status().code() == Code::unsupported);
  CHECK(Model::load_file(test::model_path("legacy/TinyLLama-v0.ggmlv3.q4_0.bin")).status().code() == Code::unsupported);
  CHECK(Model::load_file(test::model_path("MODELS.md")).status().code() == Code::bad_gguf);
  CHECK(Model::load_file("/nonexistent/model.gguf").status().code() == Code::io_error);
  // A vocabulary-only GGUF has no llama weights.
  auto v = Model::load_file(test::model_path("vocab/ggml-vocab-gpt-2.gguf"));
  CHECK_FALSE(v.ok());
}

// Shared fixture models for Catch2 tests, loaded once per test executable.
#pragma once
#include <catch2/catch.hpp>
#include <memory>

#include "runtime/model.h"
#include "tests/cpp/test_util.h"

namespace chord::test {

// stories260K (llama, 512-token SentencePiece vocabulary): the smallest real model.
inline std::shared_ptr<const Model> stories() {
  static std::shared_ptr<const Model> m = [] {
    auto r = Model::load_file(model_path("gguf/stories260K.gguf"));
    REQUIRE(r.ok());
    return *r;
  }();
  return m;
}

}  // namespace chord::test

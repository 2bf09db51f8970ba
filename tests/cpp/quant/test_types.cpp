// Block geometry facts from ggml-common.h.
#include <catch2/catch.hpp>

#include "core/quant/types.h"

using namespace chord;

TEST_CASE("type table matches ggml block sizes") {
  CHECK(type_info(GgmlType::Q4_0)->type_size == 18);
  CHECK(type_info(GgmlType::Q8_0)->type_size == 34);
  CHECK(type_info(GgmlType::Q4_K)->type_size == 144);
  CHECK(type_info(GgmlType::Q6_K)->type_size == 210);
  CHECK(type_info(GgmlType::Q8_K)->type_size == 292);
  CHECK(type_info(4u) == nullptr);
  CHECK(row_size(GgmlType::Q4_K, 512) == 288);
  CHECK(row_size(GgmlType::Q4_K, 500) == 0);
  CHECK(row_size(GgmlType::F16, 7) == 14);
}

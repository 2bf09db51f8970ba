// Names for status codes, shared with the TypeScript error codes (js/src/errors.ts).
#include "core/common/status.h"

namespace chord {

const char* code_name(Code c) noexcept {
  switch (c) {
    case Code::ok:
      return "ok";
    case Code::bad_gguf:
      return "bad_gguf";
    case Code::unsupported:
      return "unsupported";
    case Code::out_of_memory:
      return "out_of_memory";
    case Code::context_full:
      return "context_full";
    case Code::aborted:
      return "aborted";
    case Code::invalid_argument:
      return "invalid_argument";
    case Code::io_error:
      return "io_error";
    case Code::not_found:
      return "not_found";
    case Code::template_error:
      return "template_error";
  }
  return "unknown";
}

}  // namespace chord

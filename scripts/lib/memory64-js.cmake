# Run after linking a Memory64 build (cmake -DJS=<out.js> -P memory64-js.cmake): Emscripten 3.1.69
# names a 64-bit WebAssembly.Memory's address type with the memory64 draft's `index` property;
# V8 (Node 24, Chrome >= 133) reads the standard `address` and otherwise makes a 32-bit memory
# ("maximum ... above the upper bound 65536"). Adds `address` beside each `index` (V8 accepts both;
# newer Emscripten emits `address` itself, which is then left alone).
file(READ "${JS}" text)
string(REGEX REPLACE "([\"']?)index([\"']?): ?([\"'])i64([\"'])" "\\1index\\2:\\3i64\\4,\\1address\\2:\\3i64\\4" fixed "${text}")
if(NOT fixed STREQUAL text)
  file(WRITE "${JS}" "${fixed}")
endif()

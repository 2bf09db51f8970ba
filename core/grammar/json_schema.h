// JSON Schema -> GBNF with llama.cpp's coverage and rule shapes (common/json-schema-to-grammar):
// objects (required/optional properties, additionalProperties), arrays (items, prefixItems,
// minItems/maxItems), enum, const, anyOf/oneOf, allOf (merged properties / enum intersection),
// string formats date/time/date-time/uuid, minLength/maxLength, pattern, integer bounds, local
// $ref into $defs/definitions. Shared by the Node, browser and server paths.
#pragma once
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace chord::grammar {

// Converts schema text. Errors are invalid_argument: bad JSON (with its offset) or an
// unsupported/unrecognised schema part (with its JSON pointer, e.g. "/properties/age").
Result<std::string> json_schema_to_gbnf(std::string_view schema_json);

// The grammar for OpenAI's response_format {type: "json_object"}: any JSON object (llama.cpp's
// server converts an empty schema for it).
const std::string& json_object_gbnf();

}  // namespace chord::grammar

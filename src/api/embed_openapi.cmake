# SPDX-License-Identifier: Apache-2.0
# Writes OUTPUT, a C++ file defining bankcc::api::openApiDocument() with INPUT's text.
file(READ ${INPUT} content)
string(FIND "${content}" ")bankcc_openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE ${OUTPUT}.tmp "// Generated from src/api/openapi.json; do not edit.\n"
  "#include \"api/openapi.h\"\n"
  "namespace bankcc::api {\n"
  "std::string_view openApiDocument() {\n"
  "  // An array, not a constexpr string_view: its length is known without a constexpr loop\n"
  "  // (which GCC caps at 262,144 iterations; the document is larger).\n"
  "  static constexpr char kText[] = R\"bankcc_openapi(${content})bankcc_openapi\";\n"
  "  return {kText, sizeof(kText) - 1};\n"
  "}\n"
  "}  // namespace bankcc::api\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})

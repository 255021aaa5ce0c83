# Writes a .cc defining vpvm::daemon::gateway::OpenApiDocument() (daemon/gateway/openapi.h) with
# the JSON document in a raw string literal.
#   cmake -DINPUT=vpvm.openapi.json -DOUTPUT=openapi_document.cc -P embed_openapi.cmake
file(READ "${INPUT}" document)
set(delimiter "vpvm_openapi")
string(FIND "${document}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by daemon/gateway/embed_openapi.cmake; do not edit.\n"
  "#include \"daemon/gateway/openapi.h\"\n"
  "\n"
  "namespace vpvm::daemon::gateway {\n"
  "\n"
  "std::string_view OpenApiDocument() {\n"
  "  static constexpr char kDocument[] = R\"${delimiter}(${document})${delimiter}\";\n"
  "  return {kDocument, sizeof(kDocument) - 1};\n"
  "}\n"
  "\n"
  "}  // namespace vpvm::daemon::gateway\n")

# Writes a .cpp that holds src/api/openapi.json as a string constant.
file(READ "${INPUT}" CONTENT)
file(WRITE "${OUTPUT}" "namespace sd::api {\nextern const char* const kOpenApiJson;\nconst char* const kOpenApiJson = R\"OPENAPI_JSON(${CONTENT})OPENAPI_JSON\";\n}\n")

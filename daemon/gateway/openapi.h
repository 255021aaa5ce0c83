#pragma once

// The OpenAPI (Swagger 2.0) document of the whole vpvm.v1 API, generated from the protos at build
// time (proto/openapi.py) and compiled into the daemon, so that it always describes the routes
// this binary serves. The gateway serves it at GET /openapi.json.

#include <string_view>

namespace vpvm::daemon::gateway {

inline constexpr std::string_view kOpenApiPath = "/openapi.json";

// The document as JSON; static storage.
std::string_view OpenApiDocument();

}  // namespace vpvm::daemon::gateway

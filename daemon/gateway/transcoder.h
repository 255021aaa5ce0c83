#pragma once

// Requests from HTTP into protobuf messages, and responses back, per the proto3 JSON mapping,
// driven by the descriptors alone. The JSON is checked more strictly than Protobuf 3.21's parser
// checks it before the parser sees it: duplicate keys, unknown fields, a string where a bool or
// number belongs, unknown enum values and non-integral numbers are refused, each naming the
// field, so that nothing reaches a handler half-parsed.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/gateway/route_table.h"
#include "google/protobuf/message.h"

namespace vpvm::daemon::gateway {

// Fills `request` from a matched route: the path variables, the query parameters
// ("page_size=10&search=ci", by proto or JSON field name) and, when the route takes one, the
// JSON body. InvalidArgument names what is wrong.
absl::Status BuildRequest(const RouteMatch& match, absl::string_view query, absl::string_view body,
                          google::protobuf::Message* request);

// `message` in the proto3 JSON mapping (lowerCamelCase names, every field present).
std::string ResponseJson(const google::protobuf::Message& message);

// Refuses what Protobuf's JSON parser would let through; exposed for tests.
absl::Status CheckStrictJson(absl::string_view json, const google::protobuf::Descriptor* type);

}  // namespace vpvm::daemon::gateway

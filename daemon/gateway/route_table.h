#pragma once

// The HTTP routes of the API, read from the `google.api.http` option of every RPC: one generic
// table, so that a new RPC with a route needs no gateway code. A route is a verb and a path
// template of literal segments and `{field}` segments, with an optional `:verb` suffix
// ("/v1/tokens/{token_id}:rotate").

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace vpvm::daemon::gateway {

struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string verb;     // "GET", "POST", "PATCH", "DELETE", "PUT"
  std::string pattern;  // as written in the proto
  // "*" (the whole request), "" (no body), or a field name.
  std::string body;
  struct Segment {
    std::string literal;  // empty for a variable
    const google::protobuf::FieldDescriptor* field = nullptr;
  };
  std::vector<Segment> segments;
  std::string custom_verb;  // after the last ':'; empty for none
};

struct RouteMatch {
  const Route* route = nullptr;
  // Path variables, percent-decoded, with the fields they fill.
  std::vector<std::pair<const google::protobuf::FieldDescriptor*, std::string>> bindings;
};

class RouteTable {
 public:
  // The routes of every method of `services`. A route the table cannot serve (a `{field=**}`
  // template, a variable that names no string field) is an error, so that it is found at start.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // The route for `verb` on `path` (without the query); NotFound for no route,
  // FailedPrecondition with the allowed verbs in `allowed` when the path exists for other verbs.
  absl::StatusOr<RouteMatch> Find(absl::string_view verb, absl::string_view path,
                                  std::vector<std::string>* allowed = nullptr) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// "%2F" -> "/"; InvalidArgument for a malformed escape.
absl::StatusOr<std::string> PercentDecode(absl::string_view text);

}  // namespace vpvm::daemon::gateway

#include "daemon/gateway/route_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"

namespace vpvm::daemon::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

std::pair<std::string, std::string> VerbAndPattern(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return {"GET", rule.get()};
    case google::api::HttpRule::kPost:
      return {"POST", rule.post()};
    case google::api::HttpRule::kPatch:
      return {"PATCH", rule.patch()};
    case google::api::HttpRule::kDelete:
      return {"DELETE", rule.delete_()};
    case google::api::HttpRule::kPut:
      return {"PUT", rule.put()};
    default:
      return {"", ""};
  }
}

// Splits "/v1/a/{b}:verb" into its segments and verb.
absl::StatusOr<Route> ParseRoute(const MethodDescriptor* method,
                                 const google::api::HttpRule& rule) {
  Route route;
  route.method = method;
  std::tie(route.verb, route.pattern) = VerbAndPattern(rule);
  route.body = rule.body();
  auto bad = [&](absl::string_view why) {
    return absl::InternalError(
        absl::StrCat(method->full_name(), ": route \"", route.pattern, "\" ", why));
  };
  if (route.verb.empty() || !absl::StartsWith(route.pattern, "/")) return bad("is not served");

  std::string path = route.pattern.substr(1);
  const size_t last_slash = path.rfind('/');
  const size_t colon = path.rfind(':');
  if (colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
    route.custom_verb = path.substr(colon + 1);
    path.resize(colon);
  }
  for (absl::string_view text : absl::StrSplit(path, '/')) {
    Route::Segment segment;
    if (absl::StartsWith(text, "{") && absl::EndsWith(text, "}")) {
      const std::string name(text.substr(1, text.size() - 2));
      segment.field = method->input_type()->FindFieldByName(name);
      if (segment.field == nullptr || segment.field->type() != FieldDescriptor::TYPE_STRING ||
          segment.field->is_repeated()) {
        return bad(absl::StrCat("binds {", name, "}, which is no string field of the request"));
      }
    } else if (text.empty() || absl::StrContains(text, "{") || absl::StrContains(text, "*")) {
      return bad("has a segment this gateway cannot match");
    } else {
      segment.literal = std::string(text);
    }
    route.segments.push_back(std::move(segment));
  }
  return route;
}

bool SegmentsMatch(const Route& route, const std::vector<absl::string_view>& parts,
                   absl::string_view custom_verb, RouteMatch* match) {
  if (route.segments.size() != parts.size() || route.custom_verb != custom_verb) return false;
  match->bindings.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    const Route::Segment& segment = route.segments[i];
    if (segment.field == nullptr) {
      if (segment.literal != parts[i]) return false;
      continue;
    }
    absl::StatusOr<std::string> value = PercentDecode(parts[i]);
    if (parts[i].empty() || !value.ok()) return false;
    match->bindings.emplace_back(segment.field, *std::move(value));
  }
  match->route = &route;
  return true;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !absl::ascii_isxdigit(text[i + 1]) ||
        !absl::ascii_isxdigit(text[i + 2])) {
      return absl::InvalidArgumentError(absl::StrCat("malformed percent escape in \"", text, "\""));
    }
    auto hex = [](char c) { return absl::ascii_isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; };
    out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
    i += 2;
  }
  return out;
}

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      absl::StatusOr<Route> route = ParseRoute(method, rule);
      if (!route.ok()) return route.status();
      table.routes_.push_back(*std::move(route));
      for (const google::api::HttpRule& extra : rule.additional_bindings()) {
        absl::StatusOr<Route> more = ParseRoute(method, extra);
        if (!more.ok()) return more.status();
        table.routes_.push_back(*std::move(more));
      }
    }
  }
  // Literal segments before variables, so that "/v1/vms:batch" would beat "/v1/vms/{vm}".
  std::stable_sort(table.routes_.begin(), table.routes_.end(), [](const Route& a, const Route& b) {
    auto literals = [](const Route& r) {
      return std::count_if(r.segments.begin(), r.segments.end(),
                           [](const Route::Segment& s) { return s.field == nullptr; });
    };
    return literals(a) > literals(b);
  });
  return table;
}

absl::StatusOr<RouteMatch> RouteTable::Find(absl::string_view verb, absl::string_view path,
                                            std::vector<std::string>* allowed) const {
  if (!absl::StartsWith(path, "/")) return absl::NotFoundError("no such route");
  absl::string_view rest = path.substr(1);
  absl::string_view custom_verb;
  const size_t last_slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash)) {
    custom_verb = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');

  RouteMatch match;
  std::vector<std::string> verbs;
  for (const Route& route : routes_) {
    if (!SegmentsMatch(route, parts, custom_verb, &match)) continue;
    if (route.verb == verb) return match;
    verbs.push_back(route.verb);
  }
  if (verbs.empty()) return absl::NotFoundError(absl::StrCat("no route for ", path));
  if (allowed != nullptr) *allowed = verbs;
  return absl::FailedPreconditionError(absl::StrCat(verb, " is not allowed on ", path));
}

}  // namespace vpvm::daemon::gateway

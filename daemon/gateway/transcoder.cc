#include "daemon/gateway/transcoder.h"

#include <cmath>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/gateway/json_printer.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace vpvm::daemon::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

struct DuplicateKey {
  std::string key;
};

// Parses `text`, refusing a key that appears twice in one object (nlohmann keeps the last).
absl::StatusOr<json> ParseWithoutDuplicates(absl::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.back().insert(parsed.get<std::string>()).second) {
          throw DuplicateKey{parsed.get<std::string>()};
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback);
  } catch (const DuplicateKey& duplicate) {
    return absl::InvalidArgumentError(
        absl::StrCat("the JSON body names \"", duplicate.key, "\" twice"));
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("the body is not valid JSON: ", e.what()));
  }
}

bool IsWellKnown(const Descriptor* type) { return type->file()->package() == "google.protobuf"; }

const FieldDescriptor* FieldNamed(const Descriptor* type, const std::string& name) {
  const FieldDescriptor* field = type->FindFieldByName(name);
  return field != nullptr ? field : type->FindFieldByCamelcaseName(name);
}

absl::Status CheckValue(const json& value, const FieldDescriptor* field, const std::string& path);

absl::Status CheckObject(const json& value, const Descriptor* type, const std::string& path) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.empty() ? "the body" : path, " must be a JSON object"));
  }
  for (const auto& [key, item] : value.items()) {
    const FieldDescriptor* field = FieldNamed(type, key);
    const std::string where = path.empty() ? key : absl::StrCat(path, ".", key);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", where, "\" in ", type->full_name()));
    }
    if (item.is_null()) continue;
    if (field->is_map()) {
      // No map fields in vpvm.v1; refuse rather than check them half.
      return absl::InvalidArgumentError(absl::StrCat("field \"", where, "\" is not supported"));
    }
    if (field->is_repeated()) {
      if (!item.is_array()) {
        return absl::InvalidArgumentError(absl::StrCat("field \"", where, "\" must be a list"));
      }
      for (size_t i = 0; i < item.size(); ++i) {
        absl::Status s = CheckValue(item[i], field, absl::StrCat(where, "[", i, "]"));
        if (!s.ok()) return s;
      }
      continue;
    }
    absl::Status s = CheckValue(item, field, where);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WrongType(const std::string& path, absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", path, "\" must be ", expected));
}

absl::Status CheckInteger(const json& value, const FieldDescriptor* field,
                          const std::string& path) {
  const bool is_signed = field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                         field->cpp_type() == FieldDescriptor::CPPTYPE_INT64;
  const bool wide = field->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
                    field->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
  long double number = 0;
  if (value.is_number_integer()) {
    number = value.is_number_unsigned() ? static_cast<long double>(value.get<uint64_t>())
                                        : static_cast<long double>(value.get<int64_t>());
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::floor(d) != d) return WrongType(path, "a whole number");
    number = d;
  } else if (value.is_string()) {
    // The proto3 JSON mapping writes 64-bit integers as strings, and accepts them for all.
    int64_t parsed = 0;
    uint64_t parsed_unsigned = 0;
    const std::string text = value.get<std::string>();
    if (absl::SimpleAtoi(text, &parsed)) {
      number = parsed;
    } else if (absl::SimpleAtoi(text, &parsed_unsigned)) {
      number = parsed_unsigned;
    } else {
      return WrongType(path, "a whole number");
    }
  } else {
    return WrongType(path, "a whole number");
  }
  const long double low = is_signed ? (wide ? -9223372036854775808.0L : -2147483648.0L) : 0;
  const long double high = wide ? (is_signed ? 9223372036854775807.0L : 18446744073709551615.0L)
                                : (is_signed ? 2147483647.0L : 4294967295.0L);
  if (number < low || number > high) return WrongType(path, "a number in range");
  return absl::OkStatus();
}

absl::Status CheckValue(const json& value, const FieldDescriptor* field, const std::string& path) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return value.is_boolean() ? absl::OkStatus() : WrongType(path, "true or false");
    case FieldDescriptor::CPPTYPE_STRING:
      return value.is_string() ? absl::OkStatus() : WrongType(path, "a string");
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return CheckInteger(value, field, path);
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return value.is_number() ? absl::OkStatus() : WrongType(path, "a number");
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor* type = field->enum_type();
      if (value.is_string() && type->FindValueByName(value.get<std::string>()) != nullptr) {
        return absl::OkStatus();
      }
      if (value.is_number_integer() && type->FindValueByNumber(value.get<int>()) != nullptr) {
        return absl::OkStatus();
      }
      std::vector<std::string> names;
      for (int i = 0; i < type->value_count(); ++i) names.push_back(type->value(i)->name());
      return WrongType(path, absl::StrCat("one of ", absl::StrJoin(names, ", ")));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor* type = field->message_type();
      if (!IsWellKnown(type)) return CheckObject(value, type, path);
      // Timestamp, Duration and FieldMask are strings; the parser checks their form.
      return value.is_string() ? absl::OkStatus() : WrongType(path, "a string");
    }
  }
  return absl::OkStatus();
}

// A query parameter's text as the JSON value its field expects.
absl::StatusOr<json> QueryValue(const FieldDescriptor* field, const std::string& text,
                                const std::string& name) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (text == "true") return json(true);
      if (text == "false") return json(false);
      return WrongType(name, "true or false");
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_ENUM:
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return json(text);
    default:
      return json(text);  // numbers as strings, which the mapping accepts and CheckValue checks
  }
}

absl::Status AddQuery(absl::string_view query, const Descriptor* type, json& object) {
  if (query.empty()) return absl::OkStatus();
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    std::string raw_key(pair.substr(0, equals));
    std::string raw_value(equals == absl::string_view::npos ? "" : pair.substr(equals + 1));
    for (std::string* text : {&raw_key, &raw_value}) {
      for (char& c : *text) {
        if (c == '+') c = ' ';
      }
    }
    absl::StatusOr<std::string> key = PercentDecode(raw_key);
    absl::StatusOr<std::string> value = PercentDecode(raw_value);
    if (!key.ok()) return key.status();
    if (!value.ok()) return value.status();
    const FieldDescriptor* field = FieldNamed(type, *key);
    if (field == nullptr || field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown query parameter \"", *key, "\" for ", type->full_name()));
    }
    absl::StatusOr<json> typed = QueryValue(field, *value, *key);
    if (!typed.ok()) return typed.status();
    if (absl::Status s = CheckValue(*typed, field, *key); !s.ok()) return s;
    if (field->is_repeated()) {
      object[field->name()].push_back(*typed);
    } else if (object.contains(field->name())) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter \"", *key, "\" appears twice"));
    } else {
      object[field->name()] = *typed;
    }
  }
  return absl::OkStatus();
}

// The usual request of a GET or DELETE, only top-level string fields such as the VM a path
// names, set straight into `request`: protobuf 3.21's JSON parser would cost a tenth of the whole
// request. False, with `request` untouched, for anything else.
bool SetPlainStrings(const json& object, google::protobuf::Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  auto field_of = [&type](const std::string& key) {
    const FieldDescriptor* field = type.FindFieldByName(key);
    if (field == nullptr) field = type.FindFieldByCamelcaseName(key);
    return field != nullptr && (field->name() == key || field->json_name() == key) ? field
                                                                                   : nullptr;
  };
  for (const auto& [key, value] : object.items()) {
    const FieldDescriptor* field = field_of(key);
    if (field == nullptr || field->is_repeated() || field->type() != FieldDescriptor::TYPE_STRING ||
        !value.is_string()) {
      return false;
    }
  }
  for (const auto& [key, value] : object.items()) {
    request->GetReflection()->SetString(request, field_of(key), value.get<std::string>());
  }
  return true;
}

}  // namespace

absl::Status CheckStrictJson(absl::string_view text, const Descriptor* type) {
  absl::StatusOr<json> parsed = ParseWithoutDuplicates(text);
  if (!parsed.ok()) return parsed.status();
  return CheckObject(*parsed, type, "");
}

absl::Status BuildRequest(const RouteMatch& match, absl::string_view query, absl::string_view body,
                          google::protobuf::Message* request) {
  const Descriptor* type = request->GetDescriptor();
  json object = json::object();

  const std::string& body_rule = match.route->body;
  if (body_rule.empty()) {
    if (!body.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(match.route->verb, " ", match.route->pattern, " takes no body"));
    }
  } else if (!body.empty()) {
    absl::StatusOr<json> parsed = ParseWithoutDuplicates(body);
    if (!parsed.ok()) return parsed.status();
    if (absl::Status s = CheckObject(*parsed, type, ""); !s.ok()) return s;
    object = *std::move(parsed);
  }
  if (absl::Status s = AddQuery(query, type, object); !s.ok()) return s;
  if (absl::Status s = CheckObject(object, type, ""); !s.ok()) return s;

  for (const auto& [field, value] : match.bindings) {
    // A body that names the same field must agree with the path.
    for (const std::string& key : {field->name(), field->json_name()}) {
      if (object.contains(key) && object[key] != value) {
        return absl::InvalidArgumentError(
            absl::StrCat("the body's \"", key, "\" differs from the path's \"", value, "\""));
      }
      object.erase(key);
    }
    object[field->name()] = value;
  }

  if (SetPlainStrings(object, request)) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(object.dump(), request, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the request does not fit ", type->full_name(),
                                                   ": ", std::string(parsed.message())));
  }
  return absl::OkStatus();
}

std::string ResponseJson(const google::protobuf::Message& message) {
  if (std::optional<std::string> printed = PrintJson(message)) return *std::move(printed);
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace vpvm::daemon::gateway

#include "daemon/gateway/json_printer.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"

namespace vpvm::daemon::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Json = nlohmann::ordered_json;

// Thrown inside this file only, for a type left to protobuf's printer.
struct Unsupported {};

void AppendMessage(const Message& message, std::string& out);

// A JSON string. Plain ASCII, the usual case, is copied as it is; anything else goes through
// nlohmann's serializer, which escapes and replaces invalid UTF-8.
void AppendString(absl::string_view text, std::string& out) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    absl::StrAppend(&out, "\"", text, "\"");
    return;
  }
  out += Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A double as the mapping writes it: the shortest number that reads back the same, or "NaN",
// "Infinity", "-Infinity".
void AppendDouble(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    out += Json(value).dump();
  }
}

void AppendEnum(const FieldDescriptor& field, int number, std::string& out) {
  const auto* value = field.enum_type()->FindValueByNumber(number);
  if (value == nullptr) {
    absl::StrAppend(&out, number);  // unknown to this build: its number, as protobuf does
  } else {
    AppendString(value->name(), out);
  }
}

// One value of `field`: element `index` of a repeated field, or the singular value when -1.
void AppendValue(const Message& message, const FieldDescriptor& field, int index,
                 std::string& out) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(&out, repeated ? r.GetRepeatedInt32(message, &field, index)
                                     : r.GetInt32(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(&out, repeated ? r.GetRepeatedUInt32(message, &field, index)
                                     : r.GetUInt32(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_INT64:  // 64-bit integers are strings in the mapping
      absl::StrAppend(
          &out, "\"",
          repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field),
          "\"");
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(
          &out, "\"",
          repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field),
          "\"");
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendDouble(
          repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
          out);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      throw Unsupported{};  // protobuf prints the shortest float, not the widened double
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                 ? "true"
                 : "false";
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      AppendEnum(field,
                 repeated ? r.GetRepeatedEnumValue(message, &field, index)
                          : r.GetEnumValue(message, &field),
                 out);
      return;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& value =
          repeated ? r.GetRepeatedStringReference(message, &field, index, &scratch)
                   : r.GetStringReference(message, &field, &scratch);
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        AppendString(absl::Base64Escape(value), out);
      } else {
        AppendString(value, out);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(
          repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field),
          out);
      return;
  }
  throw Unsupported{};
}

// `message` as its generated type T, which it is in vpvmd; a copy only for a dynamic message.
template <typename T>
T As(const Message& message) {
  if (const auto* generated = dynamic_cast<const T*>(&message)) return *generated;
  T copy;
  copy.CopyFrom(message);
  return copy;
}

// The well-known types vpvm.v1 uses, as strings; false for an ordinary message.
bool AppendWellKnown(const Message& message, std::string& out) {
  const Descriptor& type = *message.GetDescriptor();
  if (type.file()->package() != "google.protobuf") return false;
  using google::protobuf::util::TimeUtil;
  if (type.full_name() == "google.protobuf.Timestamp") {
    AppendString(TimeUtil::ToString(As<google::protobuf::Timestamp>(message)), out);
    return true;
  }
  if (type.full_name() == "google.protobuf.Duration") {
    AppendString(TimeUtil::ToString(As<google::protobuf::Duration>(message)), out);
    return true;
  }
  if (type.full_name() == "google.protobuf.FieldMask") {
    std::string text;
    if (!google::protobuf::util::FieldMaskUtil::ToJsonString(
            As<google::protobuf::FieldMask>(message), &text)) {
      throw Unsupported{};
    }
    AppendString(text, out);
    return true;
  }
  throw Unsupported{};  // Any, Struct, Value, the wrappers: protobuf's printer knows them
}

void AppendMessage(const Message& message, std::string& out) {
  if (AppendWellKnown(message, out)) return;
  const Descriptor& type = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  out += '{';
  bool first = true;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.is_map()) throw Unsupported{};
    // Messages, oneof members and proto3 `optional` scalars appear only when set.
    if (!field.is_repeated() && field.has_presence() && !r.HasField(message, &field)) continue;
    if (!first) out += ',';
    first = false;
    AppendString(field.json_name(), out);
    out += ':';
    if (!field.is_repeated()) {
      AppendValue(message, field, -1, out);
      continue;
    }
    out += '[';
    for (int j = 0; j < r.FieldSize(message, &field); ++j) {
      if (j > 0) out += ',';
      AppendValue(message, field, j, out);
    }
    out += ']';
  }
  out += '}';
}

}  // namespace

std::optional<std::string> PrintJson(const Message& message) {
  std::string out;
  out.reserve(512);
  try {
    AppendMessage(message, out);
    return out;
  } catch (const Unsupported&) {
    return std::nullopt;
  }
}

}  // namespace vpvm::daemon::gateway

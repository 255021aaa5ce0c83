#pragma once

// Field access on QEMU's JSON that never throws: a missing field or one of another type reads
// as the fallback.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vpvm::qemu::internal {

inline const nlohmann::json* Field(const nlohmann::json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

inline std::string StringField(const nlohmann::json& object, absl::string_view key,
                               std::string fallback = "") {
  const nlohmann::json* field = Field(object, key);
  return field != nullptr && field->is_string() ? field->get<std::string>() : fallback;
}

inline int64_t IntField(const nlohmann::json& object, absl::string_view key, int64_t fallback = 0) {
  const nlohmann::json* field = Field(object, key);
  return field != nullptr && field->is_number_integer() ? field->get<int64_t>() : fallback;
}

inline bool BoolField(const nlohmann::json& object, absl::string_view key, bool fallback = false) {
  const nlohmann::json* field = Field(object, key);
  return field != nullptr && field->is_boolean() ? field->get<bool>() : fallback;
}

}  // namespace vpvm::qemu::internal

#pragma once

// Responses in the proto3 JSON mapping, printed the way protobuf's MessageToJsonString prints them
// with always_print_primitive_fields (lowerCamelCase names, every singular scalar present, 64-bit
// integers as strings, enums by name), but by walking the message with reflection straight into
// the text. Protobuf 3.21's printer serialises the message to binary and parses it back
// through a type resolver, which costs most of a gateway request (bench/README.md).
//
// Only what vpvm.v1 answers with is printed here: messages of scalars, enums, repeated fields,
// nested messages, Timestamp, Duration and FieldMask. For anything else (maps, floats, Any,
// Struct, wrappers) PrintJson answers nullopt and the caller uses protobuf's printer.

#include <optional>
#include <string>

#include "google/protobuf/message.h"

namespace vpvm::daemon::gateway {

std::optional<std::string> PrintJson(const google::protobuf::Message& message);

}  // namespace vpvm::daemon::gateway

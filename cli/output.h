#pragma once

// How `vpvm` prints: aligned tables and key/value blocks for people, the proto3 JSON mapping for
// scripts, and the small formats both share (sizes, instants, relative times).

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace vpvm::cli {

// Columns padded to their widest cell (counted in characters, not bytes); the last column is not
// padded. Cells may carry colour: escape sequences do not count toward the width.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "Label:  value" lines, the labels padded to the widest.
class Fields {
 public:
  void Add(std::string label, std::string value) {
    rows_.emplace_back(std::move(label), std::move(value));
  }
  std::string Render() const;

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

// `message` in the proto3 JSON mapping with the proto field names, every field present, enums by
// name, indented, with a final newline.
std::string ToJson(const google::protobuf::Message& message);

// Terminal colours; each returns `text` unchanged when `enabled` is false.
enum class Colour { kGreen, kGrey, kRed, kYellow, kBold };
std::string Paint(absl::string_view text, Colour colour, bool enabled);

// Printable width of `text`: UTF-8 characters outside escape sequences.
size_t DisplayWidth(absl::string_view text);

// 1073741824 -> "1 GiB", 1572864 -> "1.5 MiB".
std::string FormatBytes(uint64_t bytes);

absl::Time FromProto(const google::protobuf::Timestamp& timestamp);

// "2026-12-31 18:00 CET" in `zone`.
std::string FormatLocal(absl::Time time, absl::TimeZone zone);
// "2026-12-31T17:00:00Z".
std::string FormatUtc(absl::Time time);

// "just now", "5m ago", "2h ago", "3d ago", or a date beyond 30 days.
std::string FormatAgo(absl::Time then, absl::Time now, absl::TimeZone zone);

}  // namespace vpvm::cli

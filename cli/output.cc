#include "cli/output.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"

namespace vpvm::cli {
namespace {

std::string PadRight(const std::string& text, size_t width) {
  const size_t shown = DisplayWidth(text);
  return shown >= width ? text : text + std::string(width - shown, ' ');
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033') {  // skip "ESC [ ... m"
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      absl::StrAppend(&line, last ? row[i] : PadRight(row[i], widths[i]), last ? "" : "  ");
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string Fields::Render() const {
  size_t width = 0;
  for (const auto& [label, value] : rows_) width = std::max(width, DisplayWidth(label) + 1);
  std::string out;
  for (const auto& [label, value] : rows_) {
    absl::StrAppend(&out, PadRight(label + ":", width), "  ", value, "\n");
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Serialising a well-formed message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string Paint(absl::string_view text, Colour colour, bool enabled) {
  if (!enabled) return std::string(text);
  const char* code = "";
  switch (colour) {
    case Colour::kGreen:
      code = "32";
      break;
    case Colour::kGrey:
      code = "90";
      break;
    case Colour::kRed:
      code = "31";
      break;
    case Colour::kYellow:
      code = "33";
      break;
    case Colour::kBold:
      code = "1";
      break;
  }
  return absl::StrCat("\033[", code, "m", text, "\033[0m");
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0 || std::fmod(value, 1.0) == 0) {
    return absl::StrFormat("%.0f %s", value, kUnits[unit]);
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

absl::Time FromProto(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string FormatLocal(absl::Time time, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", time, zone);
}

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

std::string FormatAgo(absl::Time then, absl::Time now, absl::TimeZone zone) {
  const absl::Duration ago = now - then;
  if (ago < absl::Minutes(1)) return "just now";
  if (ago < absl::Hours(1)) return absl::StrCat(absl::ToInt64Minutes(ago), "m ago");
  if (ago < absl::Hours(24)) return absl::StrCat(absl::ToInt64Hours(ago), "h ago");
  if (ago < absl::Hours(24 * 30)) return absl::StrCat(absl::ToInt64Hours(ago) / 24, "d ago");
  return absl::FormatTime("%Y-%m-%d", then, zone);
}

}  // namespace vpvm::cli

#include "libauth/base32.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace vpvm::auth {
namespace {

// RFC 4648 §10.
const std::vector<std::pair<std::string, std::string>>& Rfc4648Vectors() {
  static const auto* vectors = new std::vector<std::pair<std::string, std::string>>{
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  return *vectors;
}

std::string WithoutPadding(std::string text) {
  text.erase(text.find_last_not_of('=') + 1);
  return text;
}

TEST(Base32Test, EncodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : Rfc4648Vectors()) {
    EXPECT_EQ(Base32Encode(plain, Base32Padding::kInclude), encoded) << plain;
    EXPECT_EQ(Base32Encode(plain), WithoutPadding(encoded)) << plain;
  }
}

TEST(Base32Test, DecodesRfc4648VectorsWithAndWithoutPadding) {
  for (const auto& [plain, encoded] : Rfc4648Vectors()) {
    for (const std::string& text : {encoded, WithoutPadding(encoded)}) {
      absl::StatusOr<std::string> decoded = Base32Decode(text);
      ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.status();
      EXPECT_EQ(*decoded, plain) << text;
    }
  }
}

TEST(Base32Test, DecodingIgnoresCaseAndSpaces) {
  absl::StatusOr<std::string> decoded = Base32Decode(" mzxw 6ytb oi ");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "foobar");
  decoded = Base32Decode("JBSW Y3DP EHPK 3PXP");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "Hello!\xDE\xAD\xBE\xEF");
}

TEST(Base32Test, RoundTripsRandomBytesOfEveryLength) {
  std::mt19937 generator(4648);
  for (size_t size = 0; size <= 70; ++size) {
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(generator() & 0xff);
    for (Base32Padding padding : {Base32Padding::kOmit, Base32Padding::kInclude}) {
      absl::StatusOr<std::string> decoded = Base32Decode(Base32Encode(data, padding));
      ASSERT_TRUE(decoded.ok()) << size << ": " << decoded.status();
      EXPECT_EQ(*decoded, data) << size;
    }
  }
}

TEST(Base32Test, RefusesCharactersOutsideTheAlphabet) {
  for (absl::string_view text : {"MZXW6YT1", "MZXW6YT0", "MZXW-6YTB", "MZXW6YT8", "MZXW\t6YTB",
                                 "MZXW6YTB\n", "MZXW6YT\xC3\x89"}) {
    EXPECT_EQ(Base32Decode(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(Base32Test, RefusesImpossibleLengthsAndMisplacedPadding) {
  for (absl::string_view text : {"M", "MZX", "MZXW6Y", "MZXW6YTBO",
                                 "MY=", "MY=======", "MY==MY======", "========", "MZXW6YQ=X"}) {
    EXPECT_EQ(Base32Decode(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(Base32Test, RefusesNonZeroTrailingBits) {
  // "MY" is "f"; "MZ" carries the same 8 bits plus a stray 1 in the two unused ones.
  EXPECT_TRUE(Base32Decode("MY").ok());
  EXPECT_EQ(Base32Decode("MZ").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vpvm::auth

#include "daemon/qemu/qemu_img.h"

#include <fstream>
#include <string>

#include "daemon/qemu/internal/subprocess.h"
#include "daemon/qemu/machine_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/qemu/test_support.h"

namespace vpvm::qemu {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class QemuImgTest : public ::testing::Test {
 protected:
  // Writes `pattern` into the first 4 KiB of the image, through qemu-io.
  void WritePattern(const std::string& image, int pattern) {
    absl::StatusOr<internal::CommandResult> written = internal::RunCommand(
        {"qemu-io", "-f", "qcow2", "-c", "write -P " + std::to_string(pattern) + " 0 4k", image},
        absl::Seconds(30));
    ASSERT_TRUE(written.ok()) << written.status();
    ASSERT_TRUE(written->ok()) << written->std_err;
  }

  // Whether the first 4 KiB of the image hold `pattern`.
  bool HasPattern(const std::string& image, int pattern) {
    absl::StatusOr<internal::CommandResult> read = internal::RunCommand(
        {"qemu-io", "-f", "qcow2", "-c", "read -P " + std::to_string(pattern) + " 0 4k", image},
        absl::Seconds(30));
    return read.ok() && read->ok() &&
           read->std_out.find("Pattern verification failed") == std::string::npos;
  }

  testing::ScratchFolder folder_;
  QemuImg img_;
};

TEST_F(QemuImgTest, CreateMakesQcow2OfTheRequestedSize) {
  std::string image = folder_.Join("disk.qcow2");
  ASSERT_TRUE(img_.Create(image, 64 * kMiB).ok());
  absl::StatusOr<ImageInfo> info = img_.Info(image);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->format, "qcow2");
  EXPECT_EQ(info->virtual_size, 64 * kMiB);
  EXPECT_GT(info->actual_size, 0u);
  EXPECT_THAT(info->snapshots, IsEmpty());
}

TEST_F(QemuImgTest, CreateNeverOverwritesAnExistingFile) {
  std::string image = folder_.Join("precious.qcow2");
  std::ofstream(image) << "keep me";
  absl::Status status = img_.Create(image, 64 * kMiB);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()), HasSubstr("precious.qcow2"));
  EXPECT_EQ(testing::ReadFile(image), "keep me");
}

TEST_F(QemuImgTest, CreateRefusesBadSizesAndMissingFolders) {
  std::string image = folder_.Join("bad.qcow2");
  for (uint64_t size : {uint64_t{0}, uint64_t{1000}}) {
    absl::Status status = img_.Create(image, size);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_THAT(std::string(status.message()), HasSubstr("multiple of 512"));
  }
  EXPECT_EQ(testing::ReadFile(image), "");
  EXPECT_EQ(img_.Create(folder_.Join("no/such/dir.qcow2"), kMiB).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(img_.Create("", kMiB).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(QemuImgTest, ResizeGrows) {
  std::string image = folder_.Join("grow.qcow2");
  ASSERT_TRUE(img_.Create(image, 64 * kMiB).ok());
  ASSERT_TRUE(img_.Resize(image, 128 * kMiB).ok());
  EXPECT_EQ(img_.Info(image)->virtual_size, 128 * kMiB);
  EXPECT_TRUE(img_.Resize(image, 128 * kMiB).ok()) << "the same size is nothing to do";
}

TEST_F(QemuImgTest, ResizeRefusesShrinkingAndLeavesTheImageAsItWas) {
  std::string image = folder_.Join("shrink.qcow2");
  ASSERT_TRUE(img_.Create(image, 64 * kMiB).ok());
  WritePattern(image, 0x5a);
  std::string before = testing::ReadFile(image);

  absl::Status status = img_.Resize(image, 32 * kMiB);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot shrink"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("67108864 to 33554432"));

  EXPECT_EQ(testing::ReadFile(image), before) << "the file changed";
  EXPECT_EQ(img_.Info(image)->virtual_size, 64 * kMiB);
}

TEST_F(QemuImgTest, SnapshotsCanBeCreatedListedAppliedAndDeleted) {
  std::string image = folder_.Join("snap.qcow2");
  ASSERT_TRUE(img_.Create(image, 64 * kMiB).ok());
  WritePattern(image, 0x11);
  ASSERT_TRUE(img_.CreateSnapshot(image, "clean install").ok());
  WritePattern(image, 0x22);
  ASSERT_TRUE(img_.CreateSnapshot(image, "later").ok());

  absl::StatusOr<std::vector<ImageSnapshot>> listed = img_.ListSnapshots(image);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ElementsAre(Field(&ImageSnapshot::name, "clean install"),
                                   Field(&ImageSnapshot::name, "later")));
  EXPECT_GT((*listed)[0].created, absl::Now() - absl::Minutes(5));
  EXPECT_NE((*listed)[0].id, (*listed)[1].id);

  ASSERT_TRUE(img_.ApplySnapshot(image, "clean install").ok());
  EXPECT_TRUE(HasPattern(image, 0x11)) << "applying did not bring back the old contents";
  EXPECT_FALSE(HasPattern(image, 0x22));

  ASSERT_TRUE(img_.DeleteSnapshot(image, "later").ok());
  EXPECT_THAT(*img_.ListSnapshots(image),
              ElementsAre(Field(&ImageSnapshot::name, "clean install")));
}

TEST_F(QemuImgTest, SnapshotMistakesGetClearErrors) {
  std::string image = folder_.Join("mistakes.qcow2");
  ASSERT_TRUE(img_.Create(image, 64 * kMiB).ok());
  ASSERT_TRUE(img_.CreateSnapshot(image, "one").ok());

  absl::Status duplicate = img_.CreateSnapshot(image, "one");
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(duplicate.message()), HasSubstr("already has a snapshot named 'one'"));

  absl::Status numeric = img_.CreateSnapshot(image, "42");
  EXPECT_EQ(numeric.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(numeric.message()), HasSubstr("all digits"));

  EXPECT_EQ(img_.CreateSnapshot(image, "").code(), absl::StatusCode::kInvalidArgument);

  absl::Status unknown = img_.ApplySnapshot(image, "two");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("no snapshot named 'two'"));
  EXPECT_EQ(img_.DeleteSnapshot(image, "two").code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(img_.ListSnapshots(image)->size(), 1u) << "a refused call changed the snapshots";
}

TEST_F(QemuImgTest, MissingAndNonQcow2ImagesAreRefused) {
  absl::StatusOr<ImageInfo> missing = img_.Info(folder_.Join("nothing.qcow2"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("does not exist"));

  std::string raw = folder_.Join("plain.img");
  std::ofstream(raw) << std::string(1 << 20, '\0');
  absl::Status status = img_.CreateSnapshot(raw, "s");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("need a qcow2 image, this is raw"));
}

}  // namespace
}  // namespace vpvm::qemu

#include "io/atomic_file_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/atomic_" + name;
}

TEST(AtomicFileWriter, WritesWholeFileOnCommit) {
  const std::string path = TempPath("commit.txt");
  std::remove(path.c_str());
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path, "hello\nworld\n", &error)) << error;
  EXPECT_EQ(ReadAll(path), "hello\nworld\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & S_IRGRP, 0u) << "permissions should follow umask";
}

TEST(AtomicFileWriter, AbandonedWriteLeavesExistingFileUntouched) {
  const std::string path = TempPath("abandon.txt");
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path, "original", &error)) << error;
  {
    AtomicFileWriter writer(path);
    writer.stream() << "partial new contents";
    // No Commit: as when the solve fails half-way.
  }
  EXPECT_EQ(ReadAll(path), "original");
}

TEST(AtomicFileWriter, UnwritableDirectoryIsAnError) {
  std::string error;
  EXPECT_FALSE(
      WriteFileAtomically("/nonexistent_dir_xyz/out.txt", "x", &error));
  EXPECT_NE(error.find("/nonexistent_dir_xyz/out.txt"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace ceres_varpro

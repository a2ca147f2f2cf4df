#include "engine/large_buffer.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

// Every size class: empty, small, just under and over one huge page, and a
// tail of small pages after whole huge pages.
TEST(LargeBuffer, ZeroedWritableAndHugeAlignedWhenLarge) {
  for (const std::size_t bytes :
       {std::size_t{0}, std::size_t{24}, kHugePageBytes - 8, kHugePageBytes,
        2 * kHugePageBytes + 12345}) {
    SCOPED_TRACE(bytes);
    auto* data = static_cast<unsigned char*>(AllocateLargeBuffer(bytes));
    ASSERT_NE(data, nullptr);
    for (std::size_t i = 0; i < bytes; ++i) {
      ASSERT_EQ(data[i], 0) << "byte " << i;
    }
    if (bytes >= kHugePageBytes) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(data) % kHugePageBytes, 0u);
    }
    std::memset(data, 0xab, bytes);
    if (bytes > 0) {
      EXPECT_EQ(data[0], 0xab);
      EXPECT_EQ(data[bytes - 1], 0xab);
    }
    FreeLargeBuffer(data, bytes);
  }
}

// Freed and asked again (the same region may come back), still zeroed.
TEST(LargeBuffer, ReusedMemoryComesBackZeroed) {
  const std::size_t bytes = 3 * kHugePageBytes;
  for (int round = 0; round < 3; ++round) {
    auto* data = static_cast<unsigned char*>(AllocateLargeBuffer(bytes));
    ASSERT_NE(data, nullptr);
    for (std::size_t i = 0; i < bytes; i += 4093) ASSERT_EQ(data[i], 0) << i;
    ASSERT_EQ(data[bytes - 1], 0);
    std::memset(data, 0xff, bytes);
    FreeLargeBuffer(data, bytes);
  }
}

TEST(LargeBuffer, MallocLargeBufferIsFreeable) {
  for (const std::size_t bytes :
       {std::size_t{0}, std::size_t{100}, 3 * kHugePageBytes + 7}) {
    auto* data = static_cast<unsigned char*>(MallocLargeBuffer(bytes));
    ASSERT_NE(data, nullptr);
    std::memset(data, 0x5a, bytes);
    if (bytes >= kHugePageBytes) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(data) % kHugePageBytes, 0u);
    }
    data = static_cast<unsigned char*>(std::realloc(data, bytes + 4096));
    ASSERT_NE(data, nullptr);
    if (bytes > 0) EXPECT_EQ(data[bytes - 1], 0x5a);
    std::free(data);
  }
}

// Pooled arrays (256 KiB to 8 MiB) share chunks: many of them, more than a
// chunk holds, freed in an interleaved order, keep their own contents.
TEST(LargeBuffer, LargeVectorsKeepTheirContents) {
  std::vector<LargeVector<int>> arrays;
  for (int i = 0; i < 40; ++i) {
    const std::size_t n = (kMappedBytes / sizeof(int)) * (1 + i % 5) + i;
    arrays.emplace_back(n);
    for (std::size_t j = 0; j < n; ++j) {
      ASSERT_EQ(arrays.back()[j], 0);
      arrays.back()[j] = static_cast<int>(j) ^ i;
    }
  }
  for (int i = 0; i < 40; i += 2) LargeVector<int>().swap(arrays[i]);
  arrays.emplace_back(3 * kMappedBytes / sizeof(int), 7);  // After frees.
  for (int i = 1; i < 40; i += 2) {
    for (std::size_t j = 0; j < arrays[i].size(); ++j) {
      ASSERT_EQ(arrays[i][j], static_cast<int>(j) ^ i) << i << " " << j;
    }
  }
  EXPECT_EQ(arrays.back().front(), 7);
  EXPECT_EQ(arrays.back().back(), 7);
  // Small and huge ones bypass the pool.
  LargeVector<double> small(10, 1.5), huge(kHugePageBytes * 5, 2.5);
  EXPECT_EQ(small[9], 1.5);
  EXPECT_EQ(huge[kHugePageBytes * 5 - 1], 2.5);
}

// Trimming returns only pages past the newest array: the arrays keep their
// contents, and a later array is still zeroed and usable.
TEST(LargeBuffer, TrimKeepsTheArrays) {
  const std::size_t n = kMappedBytes / sizeof(double) + 3;
  LargeVector<double> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] = static_cast<double>(i);
  TrimLargeBufferPool();
  LargeVector<double> c(n);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(a[i], static_cast<double>(i));
    ASSERT_EQ(b[i], static_cast<double>(i));
    ASSERT_EQ(c[i], 0.0);
  }
}

}  // namespace
}  // namespace ceres_varpro::internal

#include "engine/large_buffer.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace ceres_varpro::internal {
namespace {

#if defined(__linux__) && defined(MADV_HUGEPAGE)
constexpr bool kMapsHugePages = true;

std::size_t RoundUpToPage(std::size_t bytes) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

// Advice only: where transparent huge pages are "never", small pages stay.
void AdviseHugePages(void* data, std::size_t bytes) {
  madvise(data, bytes / kHugePageBytes * kHugePageBytes, MADV_HUGEPAGE);
}
#else
constexpr bool kMapsHugePages = false;
#endif

}  // namespace

void* AllocateLargeBuffer(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (!kMapsHugePages || bytes < kHugePageBytes) {
    return std::calloc(1, bytes);
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Over-map by one huge page and trim both ends to the aligned part. Fresh
  // anonymous pages read as zero, so nothing is written.
  const std::size_t length = RoundUpToPage(bytes);
  const std::size_t mapped = length + kHugePageBytes;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(base);
  const std::uintptr_t aligned =
      (begin + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (aligned > begin) munmap(base, aligned - begin);
  const std::uintptr_t end = begin + mapped;
  if (end > aligned + length) {
    munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  }
  void* data = reinterpret_cast<void*>(aligned);
  AdviseHugePages(data, bytes);
  return data;
#else
  return nullptr;  // Not reached.
#endif
}

void FreeLargeBuffer(void* data, std::size_t bytes) {
  if (data == nullptr) return;
  if (bytes == 0) bytes = 1;
  if (!kMapsHugePages || bytes < kHugePageBytes) {
    std::free(data);
    return;
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  munmap(data, RoundUpToPage(bytes));
#endif
}

void* MallocLargeBuffer(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (!kMapsHugePages || bytes < kHugePageBytes) return std::malloc(bytes);
  void* data = nullptr;
  if (posix_memalign(&data, kHugePageBytes, bytes) != 0) return nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  AdviseHugePages(data, bytes);
#endif
  return data;
}

}  // namespace ceres_varpro::internal

#include "engine/large_buffer.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "glog/logging.h"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace ceres_varpro::internal {
namespace {

#if defined(__linux__) && defined(MADV_HUGEPAGE)
constexpr bool kMapsHugePages = true;

std::size_t PageSize() {
  return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::uintptr_t RoundUp(std::uintptr_t x, std::uintptr_t multiple) {
  return (x + multiple - 1) / multiple * multiple;
}

std::size_t RoundUpToPage(std::size_t bytes) {
  return RoundUp(bytes, PageSize());
}

// Advice only: where transparent huge pages are "never", small pages stay.
void AdviseHugePages(void* data, std::size_t bytes) {
  madvise(data, bytes / kHugePageBytes * kHugePageBytes, MADV_HUGEPAGE);
}

// Virtual size of one pool chunk; physical pages come as they are touched.
constexpr std::size_t kChunkBytes = std::size_t{32} << 20;
// Larger arrays get a mapping of their own.
constexpr std::size_t kLargestPooledBytes = kChunkBytes / 4;
constexpr std::size_t kPooledAlignment = 64;

// Untouched memory, kHugePageBytes-aligned, whole huge pages advised: over-map
// by one huge page and trim both ends to the aligned part.
void* MapAligned(std::size_t length) {
  const std::size_t mapped = length + kHugePageBytes;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(base);
  const std::uintptr_t aligned = RoundUp(begin, kHugePageBytes);
  if (aligned > begin) munmap(base, aligned - begin);
  const std::uintptr_t end = begin + mapped;
  if (end > aligned + length) {
    munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  }
  void* data = reinterpret_cast<void*>(aligned);
  AdviseHugePages(data, length);
  return data;
}

// Arrays under 2 MiB cannot fill a huge page alone, and a huge page is only
// granted on a first touch of a 2 MiB range nothing else touched. So they
// are carved one after another out of huge-page chunks: a chunk's arrays
// share its pages. A chunk is a bump allocator, unmapped when its last
// array is freed; a freed array's whole pages are returned at once.
class PagePool {
 public:
  void* Allocate(std::size_t bytes) {
    bytes = RoundUp(bytes, kPooledAlignment);
    std::lock_guard<std::mutex> lock(mutex_);
    if (chunks_.empty() || chunks_.back().used + bytes > kChunkBytes) {
      char* begin = static_cast<char*>(MapAligned(kChunkBytes));
      if (begin == nullptr) return nullptr;
      chunks_.push_back({begin, 0, 0});
    }
    Chunk& chunk = chunks_.back();
    void* data = chunk.begin + chunk.used;
    chunk.used += bytes;
    ++chunk.live;
    return data;
  }

  void Free(void* data, std::size_t bytes) {
    bytes = RoundUp(bytes, kPooledAlignment);
    char* p = static_cast<char*>(data);
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < chunks_.size(); ++i) {
      Chunk& chunk = chunks_[i];
      if (p < chunk.begin || p >= chunk.begin + kChunkBytes) continue;
      if (--chunk.live == 0) {
        munmap(chunk.begin, kChunkBytes);
        chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
      const std::uintptr_t page = PageSize();
      const std::uintptr_t first =
          RoundUp(reinterpret_cast<std::uintptr_t>(p), page);
      const std::uintptr_t last =
          (reinterpret_cast<std::uintptr_t>(p) + bytes) / page * page;
      if (last > first) {
        madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
      }
      return;
    }
    LOG(FATAL) << "FreePages: " << data << " is not from AllocatePages";
  }

  void Trim() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (chunks_.empty()) return;
    const Chunk& chunk = chunks_.back();
    const std::uintptr_t used =
        reinterpret_cast<std::uintptr_t>(chunk.begin) + chunk.used;
    const std::uintptr_t first = RoundUp(used, PageSize());
    const std::uintptr_t last = RoundUp(used, kHugePageBytes);
    if (last > first) {
      madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }
  }

 private:
  struct Chunk {
    char* begin;
    std::size_t used;
    int live;
  };
  std::mutex mutex_;
  std::vector<Chunk> chunks_;
};

PagePool& Pool() {
  static auto* pool = new PagePool;  // Never destroyed: frees at exit work.
  return *pool;
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
  // Fresh anonymous pages read as zero, so nothing is written.
  return MapAligned(RoundUpToPage(bytes));
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

void* AllocatePages(std::size_t bytes) {
  if (!kMapsHugePages || bytes < kMappedBytes) {
    return ::operator new(bytes == 0 ? 1 : bytes, std::nothrow);
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes > kLargestPooledBytes) return MapAligned(RoundUpToPage(bytes));
  return Pool().Allocate(bytes);
#else
  return nullptr;  // Not reached.
#endif
}

void FreePages(void* data, std::size_t bytes) {
  if (data == nullptr) return;
  if (!kMapsHugePages || bytes < kMappedBytes) {
    ::operator delete(data);
    return;
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes > kLargestPooledBytes) {
    munmap(data, RoundUpToPage(bytes));
  } else {
    Pool().Free(data, bytes);
  }
#endif
}

void TrimLargeBufferPool() {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  Pool().Trim();
#endif
}

}  // namespace ceres_varpro::internal

#ifndef CERES_VARPRO_ENGINE_LARGE_BUFFER_H_
#define CERES_VARPRO_ENGINE_LARGE_BUFFER_H_

#include <cstddef>
#include <new>
#include <vector>

namespace ceres_varpro::internal {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// Zeroed memory for a large array that one solve fills and then rereads
// every iteration (a Jacobian). From kHugePageBytes up, the buffer is mapped
// on its own, aligned to kHugePageBytes, and its whole huge pages are offered
// to the kernel as transparent huge pages: its first touch then faults once
// per 2 MiB instead of once per 4 KiB (on a virtual machine a small-page
// fault cost ~11 us: 40 ms of a 0.16 s bundle-adjustment solve), and the hot
// loops miss the TLB less. The tail past the last whole huge page keeps small
// pages, and nothing is touched here: the resident size is what the solve
// writes. Returns nullptr when out of memory. Release with FreeLargeBuffer
// and the same size.
void* AllocateLargeBuffer(std::size_t bytes);
void FreeLargeBuffer(void* data, std::size_t bytes);

// malloc's contract (contents undefined, release with free), with the whole
// huge pages of a buffer of kHugePageBytes or more offered as above: for
// CHOLMOD's factors and workspaces, whose first touch is inside the
// factorisation.
void* MallocLargeBuffer(std::size_t bytes);

// Untouched memory on transparent huge pages for an array of kMappedBytes or
// more; smaller arrays come from operator new. A huge page is only granted
// at the first touch of a 2 MiB range nothing else touched, so arrays under
// 2 MiB (a problem's residual-block table, a Jacobian's cell list, ...) are
// carved one after another out of shared 32 MiB huge-page chunks; those over
// 8 MiB get a mapping of their own. Returns nullptr when out of memory.
void* AllocatePages(std::size_t bytes);
void FreePages(void* data, std::size_t bytes);
// Returns the pages past the newest pooled array in its huge page: that
// huge page was backed whole at its first touch. Called once a solve has
// built its tables (up to 2 MB of peak RSS on BAL); later arrays there fault
// small pages.
void TrimLargeBufferPool();
inline constexpr std::size_t kMappedBytes = std::size_t{256} << 10;

// std::vector's allocator over AllocatePages, for the large tables a solve
// builds once (sized up front: growth would map, copy and unmap).
template <typename T>
class LargeBufferAllocator {
 public:
  using value_type = T;
  LargeBufferAllocator() = default;
  template <typename U>
  LargeBufferAllocator(const LargeBufferAllocator<U>&) {}  // NOLINT

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) {
      throw std::bad_array_new_length();
    }
    void* data = AllocatePages(n * sizeof(T));
    if (data == nullptr) throw std::bad_alloc();
    return static_cast<T*>(data);
  }
  void deallocate(T* data, std::size_t n) { FreePages(data, n * sizeof(T)); }

  template <typename U>
  bool operator==(const LargeBufferAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const LargeBufferAllocator<U>&) const {
    return false;
  }
};

template <typename T>
using LargeVector = std::vector<T, LargeBufferAllocator<T>>;

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_LARGE_BUFFER_H_

#ifndef CERES_VARPRO_ENGINE_LARGE_BUFFER_H_
#define CERES_VARPRO_ENGINE_LARGE_BUFFER_H_

#include <cstddef>

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

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_LARGE_BUFFER_H_

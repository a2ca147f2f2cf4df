#include "engine/pair_kernels.h"

#include <random>
#include <vector>

#include "engine/small_kernels.h"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

// A point's three rows of E and of Z (row stride kWidth) and a column-major
// target with room around the S x S block the kernels add to.
constexpr int kWidth = 23;
constexpr int kLd = 17;
constexpr int kRow = 3;  // The block's first row and column in the target.
constexpr int kCol = 5;

struct Case {
  std::vector<double> e, z, target;
};

Case RandomCase(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  Case c;
  c.e.resize(3 * kWidth);
  c.z.resize(3 * kWidth);
  c.target.resize(kLd * kLd);
  for (double& v : c.e) v = u(rng);
  for (double& v : c.z) v = u(rng);
  for (double& v : c.target) v = u(rng);
  return c;
}

// The order both kernels promise: o + ((e0 z0 + e1 z1) + e2 z2).
template <int S>
std::vector<double> Reference(const Case& c, int e_offset, int z_offset) {
  std::vector<double> out = c.target;
  for (int col = 0; col < S; ++col) {
    for (int row = 0; row < S; ++row) {
      const double* e = c.e.data() + e_offset + row;
      const double* z = c.z.data() + z_offset + col;
      double& o = out[(kCol + col) * kLd + kRow + row];
      o += e[0] * z[0] + e[kWidth] * z[kWidth] + e[2 * kWidth] * z[2 * kWidth];
    }
  }
  return out;
}

// Every entry of the block (only r <= c when diagonal) bit for bit; nothing
// outside the block's columns, and no entry above its first row, touched.
template <int S>
void ExpectMatches(const std::vector<double>& got,
                   const std::vector<double>& reference,
                   const std::vector<double>& before, bool diagonal,
                   const char* kernel) {
  for (int col = 0; col < kLd; ++col) {
    for (int row = 0; row < kLd; ++row) {
      const int i = col * kLd + row;
      const int r = row - kRow, c = col - kCol;
      const bool in_block = r >= 0 && r < S && c >= 0 && c < S;
      if (in_block && (!diagonal || r <= c)) {
        EXPECT_EQ(got[i], reference[i])
            << kernel << " S=" << S << " (" << r << ", " << c << ")";
      } else if (!in_block) {
        EXPECT_EQ(got[i], before[i])
            << kernel << " S=" << S << " wrote outside the block at (" << row
            << ", " << col << ")";
      }
    }
  }
}

template <int S, bool kDiagonal>
void CheckKernels(unsigned seed) {
  const Case c = RandomCase(seed);
  const int e_offset = 2;
  const int z_offset = kDiagonal ? e_offset : 11;
  const std::vector<double> reference = Reference<S>(c, e_offset, z_offset);
  const double* e0 = c.e.data() + e_offset;
  const double* z = c.z.data() + z_offset;

  std::vector<double> sse = c.target;
  AddPointPair<S, kDiagonal>(e0, e0 + kWidth, e0 + 2 * kWidth, z, kWidth,
                             sse.data() + kCol * kLd + kRow, kLd);
  ExpectMatches<S>(sse, reference, c.target, kDiagonal, "SSE2");

#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
  if (!ProcessorHasAvx()) return;
  std::vector<double> avx = c.target;
  AddPointPairAvx<S, kDiagonal>(e0, e0 + kWidth, e0 + 2 * kWidth, z, kWidth,
                                avx.data() + kCol * kLd + kRow, kLd);
  ExpectMatches<S>(avx, reference, c.target, kDiagonal, "AVX");
#endif
}

TEST(PairKernels, CameraBlocksOfNineMatchTheReferenceBitForBit) {
  for (unsigned seed : {1u, 2u, 3u}) {
    CheckKernels<9, false>(seed);
    CheckKernels<9, true>(seed);
  }
}

TEST(PairKernels, PoseBlocksOfSixMatchTheReferenceBitForBit) {
  for (unsigned seed : {4u, 5u, 6u}) {
    CheckKernels<6, false>(seed);
    CheckKernels<6, true>(seed);
  }
}

TEST(PairKernels, CameraGramMatchesTheFixedKernelBitForBit) {
#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
  if (!ProcessorHasAvx()) GTEST_SKIP() << "no AVX on this processor";
  for (unsigned seed : {7u, 8u, 9u}) {
    const Case c = RandomCase(seed);
    const double* a = c.e.data();  // 2 x 9, row-major.
    std::vector<double> fixed = c.target, avx = c.target;
    AddGramLowerFixed<2, 9>(a, fixed.data() + kCol * kLd + kRow, kLd);
    AddTwoRowGramUpperAvx<9>(a, avx.data() + kCol * kLd + kRow, kLd);
    // The upper triangle bit for bit; nothing outside the block touched.
    ExpectMatches<9>(avx, fixed, c.target, /*diagonal=*/true, "AVX Gram");
  }
#else
  GTEST_SKIP() << "no AVX kernel in this build";
#endif
}

}  // namespace
}  // namespace ceres_varpro::internal

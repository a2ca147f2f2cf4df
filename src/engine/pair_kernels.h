#ifndef CERES_VARPRO_ENGINE_PAIR_KERNELS_H_
#define CERES_VARPRO_ENGINE_PAIR_KERNELS_H_

// The innermost products of the dense Schur complement's formation for a
// 3-parameter eliminated block (a bundle-adjustment point): for each pair of
// θ blocks of S parameters that see it, an S x S block += E_aᵀ Z_b.

#include <algorithm>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CERES_VARPRO_AVX_PAIR_KERNEL 1
#endif

namespace ceres_varpro::internal {

// out (S x S, column-major, leading dimension ld) += eᵀz for the rows e0..e2
// and z (row stride w) of a 3-parameter point. With SSE2 (every x86-64) the
// rows of e stay in registers across the S columns, two entries per
// instruction; the compiler's own vectorisation of the plain loops below
// reloaded them for every column. Both compute o + ((e0 z0 + e1 z1) + e2 z2)
// for every entry, so results do not depend on which one runs. kDiagonal: a
// block on S's diagonal, of which only the upper triangle (r <= c) is needed
// (FormIndependentSchurComplement mirrors it).
template <int S, bool kDiagonal>
inline void AddPointPair(const double* __restrict e0,
                         const double* __restrict e1,
                         const double* __restrict e2,
                         const double* __restrict z, int w,
                         double* __restrict out, int ld) {
#if defined(__SSE2__)
  constexpr int kPairs = S / 2;
  __m128d a[kPairs], b[kPairs], d[kPairs];
  for (int k = 0; k < kPairs; ++k) {
    a[k] = _mm_loadu_pd(e0 + 2 * k);
    b[k] = _mm_loadu_pd(e1 + 2 * k);
    d[k] = _mm_loadu_pd(e2 + 2 * k);
  }
  for (int c = 0; c < S; ++c) {
    const double z0 = z[c], z1 = z[w + c], z2 = z[2 * w + c];
    const __m128d v0 = _mm_set1_pd(z0), v1 = _mm_set1_pd(z1),
                  v2 = _mm_set1_pd(z2);
    double* __restrict o = out + static_cast<size_t>(c) * ld;
    const int pairs = kDiagonal ? std::min(kPairs, c / 2 + 1) : kPairs;
    for (int k = 0; k < pairs; ++k) {
      const __m128d sum =
          _mm_add_pd(_mm_add_pd(_mm_mul_pd(a[k], v0), _mm_mul_pd(b[k], v1)),
                     _mm_mul_pd(d[k], v2));
      _mm_storeu_pd(o + 2 * k, _mm_add_pd(_mm_loadu_pd(o + 2 * k), sum));
    }
    if (S % 2 == 1 && (!kDiagonal || c == S - 1)) {
      o[S - 1] += e0[S - 1] * z0 + e1[S - 1] * z1 + e2[S - 1] * z2;
    }
  }
#else
  for (int c = 0; c < S; ++c) {
    const double z0 = z[c], z1 = z[w + c], z2 = z[2 * w + c];
    double* __restrict o = out + static_cast<size_t>(c) * ld;
    const int rows = kDiagonal ? c + 1 : S;
    for (int r = 0; r < rows; ++r) {
      o[r] += e0[r] * z0 + e1[r] * z1 + e2[r] * z2;
    }
  }
#endif
}

#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
// AddPointPair with 256-bit vectors, for processors with AVX (chosen at run
// time; the build targets plain x86-64). Four rows per instruction and
// three-operand forms (SSE2 copies a register before every multiply that
// must keep an operand). Multiplies and adds only, in the same order: every
// entry is o + ((e0 z0 + e1 z1) + e2 z2) as in AddPointPair, so the results
// are the same bits on every machine. No FMA, which would round differently.
template <int S, bool kDiagonal>
__attribute__((target("avx"))) inline void AddPointPairAvx(
    const double* __restrict e0, const double* __restrict e1,
    const double* __restrict e2, const double* __restrict z, int w,
    double* __restrict out, int ld) {
  static_assert(S >= 4, "at least one 4-row group");
  constexpr int kQuads = S / 4;
  constexpr bool kPair = S % 4 >= 2;  // Two rows left after the groups.
  constexpr int kPairRow = 4 * kQuads;
  __m256d a[kQuads], b[kQuads], d[kQuads];
  for (int k = 0; k < kQuads; ++k) {
    a[k] = _mm256_loadu_pd(e0 + 4 * k);
    b[k] = _mm256_loadu_pd(e1 + 4 * k);
    d[k] = _mm256_loadu_pd(e2 + 4 * k);
  }
  __m128d pa = _mm_setzero_pd(), pb = pa, pd = pa;
  if (kPair) {
    pa = _mm_loadu_pd(e0 + kPairRow);
    pb = _mm_loadu_pd(e1 + kPairRow);
    pd = _mm_loadu_pd(e2 + kPairRow);
  }
  for (int c = 0; c < S; ++c) {
    const double z0 = z[c], z1 = z[w + c], z2 = z[2 * w + c];
    const __m256d v0 = _mm256_set1_pd(z0), v1 = _mm256_set1_pd(z1),
                  v2 = _mm256_set1_pd(z2);
    double* __restrict o = out + static_cast<size_t>(c) * ld;
    const int quads = kDiagonal ? std::min(kQuads, c / 4 + 1) : kQuads;
    for (int k = 0; k < quads; ++k) {
      const __m256d sum = _mm256_add_pd(
          _mm256_add_pd(_mm256_mul_pd(a[k], v0), _mm256_mul_pd(b[k], v1)),
          _mm256_mul_pd(d[k], v2));
      _mm256_storeu_pd(o + 4 * k,
                       _mm256_add_pd(_mm256_loadu_pd(o + 4 * k), sum));
    }
    if (kPair && (!kDiagonal || c >= kPairRow)) {
      const __m128d sum =
          _mm_add_pd(_mm_add_pd(_mm_mul_pd(pa, _mm256_castpd256_pd128(v0)),
                                _mm_mul_pd(pb, _mm256_castpd256_pd128(v1))),
                     _mm_mul_pd(pd, _mm256_castpd256_pd128(v2)));
      _mm_storeu_pd(o + kPairRow, _mm_add_pd(_mm_loadu_pd(o + kPairRow), sum));
    }
    if (S % 2 == 1 && (!kDiagonal || c == S - 1)) {
      o[S - 1] += e0[S - 1] * z0 + e1[S - 1] * z1 + e2[S - 1] * z2;
    }
  }
}

// out (C x C, column-major, leading dimension ld) += aᵀa for a two-row cell
// a (2 x C, row-major): a camera's own block of J_θᵀJ_θ. Only the upper
// triangle (row <= column) is needed; entries below it in the first rows'
// groups of four are written too (FormIndependentSchurComplement mirrors the
// upper triangle over them). Every needed entry is
// o + (a0_r a0_c + a1_r a1_c), AddGramLowerFixed<2, C>'s sum bit for bit.
template <int C>
__attribute__((target("avx"))) void AddTwoRowGramUpperAvx(
    const double* __restrict a, double* __restrict out, int ld) {
  static_assert(C >= 4, "at least one 4-row group");
  constexpr int kQuads = C / 4;
  const double* a1 = a + C;
  for (int c = 0; c < C; ++c) {
    const __m256d v0 = _mm256_set1_pd(a[c]), v1 = _mm256_set1_pd(a1[c]);
    double* __restrict o = out + static_cast<size_t>(c) * ld;
    const int quads = std::min(kQuads, c / 4 + 1);
    for (int k = 0; k < quads; ++k) {
      const __m256d sum =
          _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(a + 4 * k), v0),
                        _mm256_mul_pd(_mm256_loadu_pd(a1 + 4 * k), v1));
      _mm256_storeu_pd(o + 4 * k,
                       _mm256_add_pd(_mm256_loadu_pd(o + 4 * k), sum));
    }
    for (int r = 4 * quads; r <= c; ++r) o[r] += a[r] * a[c] + a1[r] * a1[c];
  }
}
#endif

// True where AddPointPairAvx may run (the processor and the operating system
// support AVX).
inline bool ProcessorHasAvx() {
#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
  static const bool has_avx = __builtin_cpu_supports("avx");
  return has_avx;
#else
  return false;
#endif
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PAIR_KERNELS_H_

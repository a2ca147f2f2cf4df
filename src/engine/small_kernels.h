#ifndef CERES_VARPRO_ENGINE_SMALL_KERNELS_H_
#define CERES_VARPRO_ENGINE_SMALL_KERNELS_H_

#include <cmath>
#include <type_traits>

// Plain loops for the engine's tiny dense blocks (Jacobian cells of 2 x 9 or
// 3 x 3, linear blocks of 2 or 3 parameters), where they beat Eigen's
// dynamic-size kernels several times over. Matrices are row-major.
namespace ceres_varpro::internal {

// The kernel below; CA and CB are the column counts when known at compile
// time (the loops are then unrolled), 0 when given at run time.
// out never overlaps a or b (which may be the same matrix): __restrict lets
// the compiler keep b's row in registers and vectorise the inner loop.
template <int CA, int CB>
inline void AddTransposeProductSized(const double* __restrict a,
                                     const double* __restrict b, int rows,
                                     int ca, int cb, double* __restrict out,
                                     int ld) {
  const int na = CA > 0 ? CA : ca;
  const int nb = CB > 0 ? CB : cb;
  for (int r = 0; r < rows; ++r) {
    const double* ar = a + r * na;
    const double* br = b + r * nb;
    for (int i = 0; i < na; ++i) {
      const double x = ar[i];
      double* o = out + i * ld;
      for (int j = 0; j < nb; ++j) o[j] += x * br[j];
    }
  }
}

// out (ca x cb, leading dimension ld) += aᵀ b for a (rows x ca) and
// b (rows x cb). The shapes of bundle adjustment (3-parameter points,
// 9-parameter cameras), of 3D positions and of scalar blocks are unrolled.
inline void AddTransposeProduct(const double* a, const double* b, int rows,
                                int ca, int cb, double* out, int ld) {
  if (ca == 3 && cb == 3) {
    AddTransposeProductSized<3, 3>(a, b, rows, ca, cb, out, ld);
  } else if (ca == 3 && cb == 9) {
    AddTransposeProductSized<3, 9>(a, b, rows, ca, cb, out, ld);
  } else if (ca == 9 && cb == 9) {
    AddTransposeProductSized<9, 9>(a, b, rows, ca, cb, out, ld);
  } else if (ca == 1 && cb == 1) {
    AddTransposeProductSized<1, 1>(a, b, rows, ca, cb, out, ld);
  } else {
    AddTransposeProductSized<0, 0>(a, b, rows, ca, cb, out, ld);
  }
}

// out += aᵀb with the row count fixed too: the rows' products are summed
// before they reach out, so each entry of out is loaded and stored once and
// the loop over b's columns vectorises (2.5x fewer instructions than the
// kernel above for two-row bundle-adjustment cells). The sum's order differs
// from AddTransposeProduct's, so results may differ in the last bits.
template <int R, int CA, int CB>
inline void AddTransposeProductFixed(const double* __restrict a,
                                     const double* __restrict b,
                                     double* __restrict out, int ld) {
  for (int i = 0; i < CA; ++i) {
    double* __restrict o = out + i * ld;
    for (int j = 0; j < CB; ++j) {
      double sum = a[i] * b[j];
      for (int r = 1; r < R; ++r) sum += a[r * CA + i] * b[r * CB + j];
      o[j] += sum;
    }
  }
}

// out += aᵀa for a (R x C), only the entries (i, j) with j <= i of the
// row-major out: a diagonal block whose other triangle is filled by symmetry
// later. Each entry is AddTransposeProductFixed's, bit for bit.
template <int R, int C>
inline void AddGramLowerFixed(const double* __restrict a,
                              double* __restrict out, int ld) {
  for (int i = 0; i < C; ++i) {
    double* __restrict o = out + i * ld;
    for (int j = 0; j <= i; ++j) {
      double sum = a[i] * a[j];
      for (int r = 1; r < R; ++r) sum += a[r * C + i] * a[r * C + j];
      o[j] += sum;
    }
  }
}

// AddTransposeProduct with the fixed kernel for two-row cells of 3- and
// 9-parameter blocks (reprojection errors of points and cameras).
inline void AddTransposeProductFused(const double* a, const double* b, int rows,
                                     int ca, int cb, double* out, int ld) {
  if (rows == 2 && ca == 9 && cb == 9) {
    AddTransposeProductFixed<2, 9, 9>(a, b, out, ld);
  } else if (rows == 2 && ca == 3 && cb == 9) {
    AddTransposeProductFixed<2, 3, 9>(a, b, out, ld);
  } else {
    AddTransposeProduct(a, b, rows, ca, cb, out, ld);
  }
}

// Calls f(std::integral_constant<int, N>{}) with N = n for the sizes of
// eliminated blocks that come by the ten thousand (3: points, 2: planar
// positions) and N = 0 for any other n: loops bounded by N > 0 are
// unrolled, with the same operations in the same order.
template <typename F>
inline void DispatchBlockSize(int n, const F& f) {
  if (n == 3) {
    f(std::integral_constant<int, 3>{});
  } else if (n == 2) {
    f(std::integral_constant<int, 2>{});
  } else {
    f(std::integral_constant<int, 0>{});
  }
}

// Pivots below this fraction of the largest diagonal entry make a block
// numerically rank deficient.
constexpr double kDegeneratePivotRatio = 1e-12;

// True if an LLᵀ pivot is tiny relative to the block's scale: the block is
// numerically rank deficient (an undetermined landmark, a point seen once).
inline bool CholeskyPivotIsDegenerate(double pivot_squared,
                                      double max_diagonal) {
  return !(pivot_squared > kDegeneratePivotRatio * max_diagonal) ||
         !std::isfinite(pivot_squared);
}

// In-place Cholesky factorisation A = LLᵀ of an n x n SPD matrix: reads the
// lower triangle, writes L there. False at the first degenerate pivot
// (relative to max_diagonal, the largest diagonal entry of A): Eigen's LLT
// would accept a numerically singular block. N > 0 fixes n at compile time
// (the same operations in the same order, unrolled).
template <int N = 0>
inline bool CholeskyFactorizeInPlaceSized(double* a, int n,
                                          double max_diagonal) {
  if constexpr (N > 0) n = N;
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int t = 0; t < j; ++t) d -= a[j * n + t] * a[j * n + t];
    if (CholeskyPivotIsDegenerate(d, max_diagonal)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (int i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int t = 0; t < j; ++t) v -= a[i * n + t] * a[j * n + t];
      a[i * n + j] = v / l;
    }
  }
  return true;
}

// x = (LLᵀ)⁻¹ b with the factor of CholeskyFactorizeInPlace (x may be b).
template <int N = 0>
inline void CholeskySolveSized(const double* l, int n, const double* b,
                               double* x) {
  if constexpr (N > 0) n = N;
  for (int i = 0; i < n; ++i) {
    double v = b[i];
    for (int t = 0; t < i; ++t) v -= l[i * n + t] * x[t];
    x[i] = v / l[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    double v = x[i];
    for (int t = i + 1; t < n; ++t) v -= l[t * n + i] * x[t];
    x[i] = v / l[i * n + i];
  }
}

// The two above, unrolled for the sizes DispatchBlockSize picks out: the
// generic loops' bounds and index arithmetic cost more than the arithmetic
// there.
inline bool CholeskyFactorizeInPlace(double* a, int n, double max_diagonal) {
  bool ok = false;
  DispatchBlockSize(n, [&](auto size) {
    ok = CholeskyFactorizeInPlaceSized<decltype(size)::value>(a, n,
                                                              max_diagonal);
  });
  return ok;
}

inline void CholeskySolve(const double* l, int n, const double* b, double* x) {
  DispatchBlockSize(n, [&](auto size) {
    CholeskySolveSized<decltype(size)::value>(l, n, b, x);
  });
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SMALL_KERNELS_H_

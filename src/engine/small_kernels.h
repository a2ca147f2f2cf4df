#ifndef CERES_VARPRO_ENGINE_SMALL_KERNELS_H_
#define CERES_VARPRO_ENGINE_SMALL_KERNELS_H_

namespace ceres_varpro::internal {

// out (ca x cb, row-major, leading dimension ld) += aᵀ b for row-major
// a (rows x ca) and b (rows x cb). Jacobian cells are tiny (2 x 9, 3 x 3),
// where plain loops beat Eigen's dynamic-size kernels several times over.
inline void AddTransposeProduct(const double* a, const double* b, int rows,
                                int ca, int cb, double* out, int ld) {
  for (int r = 0; r < rows; ++r) {
    const double* ar = a + r * ca;
    const double* br = b + r * cb;
    for (int i = 0; i < ca; ++i) {
      const double x = ar[i];
      double* o = out + i * ld;
      for (int j = 0; j < cb; ++j) o[j] += x * br[j];
    }
  }
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SMALL_KERNELS_H_

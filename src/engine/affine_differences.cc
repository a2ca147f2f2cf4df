#include "engine/affine_differences.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ceres_varpro::internal {

// The step length only sets the rounding error: a step as large as the
// values involved keeps it near the precision of the residuals themselves
// (a unit step at values of 1e8 would lose eight digits). The step actually
// taken, (x + h) - x, is exact in floating point and is the divisor.
bool AffineJacobiansByDifferences(const ceres::CostFunction& cost_function,
                                  const double* r0, const double** parameters,
                                  double* const* jacobians, double* moved,
                                  double* moved_residuals) {
  const std::vector<int32_t>& sizes = cost_function.parameter_block_sizes();
  const int m = cost_function.num_residuals();
  const int num_blocks = static_cast<int>(sizes.size());
  double scale = 1.0;
  for (int k = 0; k < num_blocks; ++k) {
    if (jacobians[k] == nullptr) continue;
    for (int i = 0; i < sizes[k]; ++i) {
      scale = std::max(scale, std::abs(parameters[k][i]));
    }
  }
  for (int k = 0; k < num_blocks; ++k) {
    double* jacobian = jacobians[k];
    if (jacobian == nullptr) continue;
    const double* values = parameters[k];
    const int size = sizes[k];
    std::copy(values, values + size, moved);
    parameters[k] = moved;
    for (int i = 0; i < size; ++i) {
      moved[i] = values[i] + scale;
      const double step = moved[i] - values[i];
      if (!cost_function.Evaluate(parameters, moved_residuals, nullptr)) {
        parameters[k] = values;
        return false;
      }
      for (int row = 0; row < m; ++row) {
        jacobian[row * size + i] = (moved_residuals[row] - r0[row]) / step;
      }
      moved[i] = values[i];
    }
    parameters[k] = values;
  }
  return true;
}

}  // namespace ceres_varpro::internal

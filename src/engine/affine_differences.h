#ifndef CERES_VARPRO_ENGINE_AFFINE_DIFFERENCES_H_
#define CERES_VARPRO_ENGINE_AFFINE_DIFFERENCES_H_

#include "ceres/cost_function.h"

namespace ceres_varpro::internal {

// The Jacobians of the parameter blocks in which a cost function's residuals
// are affine, by forward differences of plain (Jacobian-free) evaluations:
// one per coordinate. Affinity makes them exact up to rounding, and with
// AutoDiff, whose Jets carry every parameter of the block at once, a few
// plain evaluations cost much less than one with Jacobians.
//
// parameters: the point, one pointer per block (restored on return); r0: the
// residuals there; jacobians[k]: row-major residuals x block size, or null
// when not wanted. Scratch: moved (the largest wanted block's size) and
// moved_residuals (num_residuals). False if the cost function fails.
bool AffineJacobiansByDifferences(const ceres::CostFunction& cost_function,
                                  const double* r0, const double** parameters,
                                  double* const* jacobians, double* moved,
                                  double* moved_residuals);

// An AutoDiff evaluation with Jacobians costs about as much as
// 1 + (all parameters) plain ones, since every Jet carries a derivative per
// parameter; differences for the linear parameters cost 1 + (linear
// parameters). True when differences over `evaluations` residual blocks
// with these parameter totals can take at most half the time of the cost
// functions' own Jacobians (analytic Jacobians may still be faster: the
// eliminator times both).
inline bool DifferencesCanPay(int linear_parameters, int parameters,
                              int evaluations = 1) {
  return 2 * (evaluations + linear_parameters) <= evaluations + parameters;
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_AFFINE_DIFFERENCES_H_

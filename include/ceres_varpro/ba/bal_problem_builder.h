#ifndef CERES_VARPRO_BA_BAL_PROBLEM_BUILDER_H_
#define CERES_VARPRO_BA_BAL_PROBLEM_BUILDER_H_

#include <vector>

#include "ceres/problem.h"
#include "ceres/solver.h"
#include "ceres_varpro/io/bal_io.h"

namespace ceres_varpro {

struct BalBuildOptions {
  bool robustify = false;    // Huber loss on every observation.
  double huber_scale = 1.0;  // Pixels.
  // BalAnalyticCost (hand-written Jacobians) rather than the AutoDiff
  // BalReprojectionCost that Ceres's bundle_adjuster uses.
  bool analytic_jacobians = true;
};

// One residual block per observation, parameters pointing into `bal` (which
// must outlive the problem). Returns the point blocks (to eliminate) and the
// camera blocks.
void BuildBalProblem(BalProblem* bal, const BalBuildOptions& options,
                     ceres::Problem* problem,
                     std::vector<double*>* point_blocks,
                     std::vector<double*>* camera_blocks);

// Points in elimination group 0, cameras in group 1: what Ceres's Schur
// solvers need, as bundle_adjuster sets it.
void SetBalOrdering(const std::vector<double*>& point_blocks,
                    const std::vector<double*>& camera_blocks,
                    ceres::Solver::Options* options);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_BA_BAL_PROBLEM_BUILDER_H_

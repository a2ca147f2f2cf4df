#include "ceres_varpro/ba/bal_problem_builder.h"

#include <memory>

#include "ceres/ceres.h"
#include "ceres_varpro/ba/bal_analytic_cost.h"
#include "ceres_varpro/ba/bal_reprojection_cost.h"

namespace ceres_varpro {

void BuildBalProblem(BalProblem* bal, const BalBuildOptions& options,
                     ceres::Problem* problem,
                     std::vector<double*>* point_blocks,
                     std::vector<double*>* camera_blocks) {
  point_blocks->clear();
  camera_blocks->clear();
  for (int i = 0; i < bal->num_cameras; ++i) {
    problem->AddParameterBlock(bal->camera(i), BalProblem::kCameraSize);
    camera_blocks->push_back(bal->camera(i));
  }
  for (int j = 0; j < bal->num_points; ++j) {
    problem->AddParameterBlock(bal->point(j), BalProblem::kPointSize);
    point_blocks->push_back(bal->point(j));
  }
  for (const auto& o : bal->observations) {
    ceres::LossFunction* loss =
        options.robustify ? new ceres::HuberLoss(options.huber_scale) : nullptr;
    ceres::CostFunction* cost =
        options.analytic_jacobians
            ? static_cast<ceres::CostFunction*>(new BalAnalyticCost(o.x, o.y))
            : BalReprojectionCost::Create(o.x, o.y);
    problem->AddResidualBlock(cost, loss, bal->camera(o.camera),
                              bal->point(o.point));
  }
}

void SetBalOrdering(const std::vector<double*>& point_blocks,
                    const std::vector<double*>& camera_blocks,
                    ceres::Solver::Options* options) {
  auto ordering = std::make_shared<ceres::ParameterBlockOrdering>();
  for (double* p : point_blocks) ordering->AddElementToGroup(p, 0);
  for (double* c : camera_blocks) ordering->AddElementToGroup(c, 1);
  options->linear_solver_ordering = ordering;
}

}  // namespace ceres_varpro

#ifndef CERES_VARPRO_ENGINE_LEVENBERG_MARQUARDT_MINIMIZER_H_
#define CERES_VARPRO_ENGINE_LEVENBERG_MARQUARDT_MINIMIZER_H_

#include "ceres_varpro/solver.h"
#include "engine/reduced_linear_solver.h"
#include "engine/reduced_problem.h"

namespace ceres_varpro::internal {

// Levenberg-Marquardt on the reduced problem, with Ceres's rules so results
// and reports compare one to one with ceres::Solve: Jacobi scaling fixed at
// iteration 0, LM diagonal from the squared column norms of the scaled J_θ
// clamped to [min_lm_diagonal, max_lm_diagonal] (kept across rejected steps),
// model cost change -(gᵀδ + ½δᵀSδ), acceptance when the relative decrease
// exceeds min_relative_decrease, radius ÷ max(1/3, 1 - (2ρ-1)³) on success
// and ÷ decrease_factor (doubling) on failure, and Ceres's termination tests.
// Only monotonic steps are taken, so the current point is always the best.
class LevenbergMarquardtMinimizer {
 public:
  LevenbergMarquardtMinimizer(const Solver::Options& options,
                              ReducedProblem* problem,
                              ReducedLinearSolver* linear_solver);

  // x: initial θ (ambient) on input, best θ on output. Fills the iteration
  // list, termination type and message, step counts and cost fields of the
  // summary (costs include the fixed cost). Returns true if at least the
  // initial evaluation succeeded.
  bool Minimize(double* x, Solver::Summary* summary);

 private:
  bool FinalizeIteration(ceres::IterationSummary* iteration,
                         Solver::Summary* summary);
  void PrintProgress(const ceres::IterationSummary& iteration) const;

  const Solver::Options& options_;
  ReducedProblem* problem_;
  ReducedLinearSolver* linear_solver_;
  double start_time_ = 0.0;
  double iteration_start_time_ = 0.0;
  Eigen::VectorXd x_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_LEVENBERG_MARQUARDT_MINIMIZER_H_

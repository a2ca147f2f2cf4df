#ifndef CERES_VARPRO_ENGINE_ITERATIVE_REDUCED_SOLVER_H_
#define CERES_VARPRO_ENGINE_ITERATIVE_REDUCED_SOLVER_H_

#include <memory>

#include "Eigen/Core"
#include "engine/conjugate_gradients.h"
#include "engine/preconditioner.h"
#include "engine/reduced_linear_solver.h"

namespace ceres_varpro::internal {

// Matrix-free: preconditioned CG on v -> s S (s v) + D² v, S applied through
// ReducedProblem::SchurMultiply and never formed.
class IterativeReducedSolver : public ReducedLinearSolver {
 public:
  IterativeReducedSolver(std::unique_ptr<Preconditioner> preconditioner,
                         int min_iterations, int max_iterations);
  Summary Solve(ReducedProblem* problem, const double* scale, const double* d2,
                const double* gradient, double eta, bool jacobian_changed,
                double* y) override;
  int num_factorizations() const override {
    return preconditioner_->num_factorizations();
  }

 private:
  std::unique_ptr<Preconditioner> preconditioner_;
  int min_iterations_;
  int max_iterations_;
  ConjugateGradients cg_;
  Eigen::VectorXd b_, x_, scaled_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_ITERATIVE_REDUCED_SOLVER_H_

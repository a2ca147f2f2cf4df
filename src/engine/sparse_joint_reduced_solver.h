#ifndef CERES_VARPRO_ENGINE_SPARSE_JOINT_REDUCED_SOLVER_H_
#define CERES_VARPRO_ENGINE_SPARSE_JOINT_REDUCED_SOLVER_H_

#include "engine/joint_cholesky_preconditioner.h"
#include "engine/reduced_linear_solver.h"

namespace ceres_varpro::internal {

// The joint Gauss-Newton matrix factored exactly at every step: the θ part
// of its inverse applied to [-s g; 0] is the exact step. Without linear
// blocks this is Ceres's SPARSE_NORMAL_CHOLESKY.
class SparseJointReducedSolver : public ReducedLinearSolver {
 public:
  SparseJointReducedSolver(const ReducedProblem& problem,
                           SparseCholesky::Mode mode);
  Summary Solve(ReducedProblem* problem, const double* scale, const double* d2,
                const double* gradient, double eta, bool jacobian_changed,
                double* y) override;
  int num_factorizations() const override {
    return factor_.num_factorizations();
  }

 private:
  JointCholeskyPreconditioner factor_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SPARSE_JOINT_REDUCED_SOLVER_H_

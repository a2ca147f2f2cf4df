#ifndef CERES_VARPRO_ENGINE_JOINT_CHOLESKY_PRECONDITIONER_H_
#define CERES_VARPRO_ENGINE_JOINT_CHOLESKY_PRECONDITIONER_H_

#include <string>
#include <vector>

#include "engine/gram_assembler.h"
#include "engine/preconditioner.h"
#include "engine/reduced_problem.h"
#include "engine/sparse_cholesky.h"

namespace ceres_varpro::internal {

// A sparse Cholesky factor of the joint Gauss-Newton matrix
//   H = [ s J_θᵀJ_θ s + D²   s J_θᵀA ]
//       [ Aᵀ J_θ s            AᵀA    ],
// whose θ block of H⁻¹ is exactly (s S s + D²)⁻¹. Lagged: it is refactored
// when the previous CG solve needed more than max_cg_iterations, or when the
// CG iterations since the last factorisation have cost more floating-point
// operations than that factorisation (and CG is not already down to a few
// iterations), so a whole solve typically needs a handful of factorisations.
// Operation counts, not timings, keep the solve deterministic. With
// always_refactor it is an exact solver (SparseJointReducedSolver).
class JointCholeskyPreconditioner : public Preconditioner {
 public:
  JointCholeskyPreconditioner(const ReducedProblem& problem,
                              int max_cg_iterations, bool always_refactor,
                              SparseCholesky::Mode mode);
  bool Update(ReducedProblem* problem, const double* scale, const double* d2,
              bool jacobian_changed, std::string* error) override;
  void Apply(const double* x, double* y) override;
  void NotifyIterations(int cg_iterations, double seconds) override;
  int num_factorizations() const override { return num_factorizations_; }

 private:
  GramAssembler assembler_;
  SparseCholesky cholesky_;
  std::vector<double> column_scale_, diagonal_, rhs_;
  int num_tangent_;
  int max_cg_iterations_;
  bool always_refactor_;
  bool analyzed_ = false;
  bool factored_ = false;
  bool refactor_ = true;
  int num_factorizations_ = 0;
  double factorization_flops_ = 0.0;
  double cg_flops_since_factorization_ = 0.0;
  double flops_per_cg_iteration_ = 0.0;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_JOINT_CHOLESKY_PRECONDITIONER_H_

#ifndef CERES_VARPRO_ENGINE_PRECONDITIONER_H_
#define CERES_VARPRO_ENGINE_PRECONDITIONER_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/gram_assembler.h"
#include "engine/reduced_problem.h"
#include "engine/sparse_cholesky.h"

namespace ceres_varpro::internal {

// Approximates (s S s + D²)⁻¹ for the reduced system, with s the Jacobi
// scaling and D² the Levenberg-Marquardt diagonal, both in tangent
// coordinates of θ.
class Preconditioner {
 public:
  virtual ~Preconditioner() = default;
  // Prepares for a solve at the current point. jacobian_changed is true the
  // first time after a new point was accepted.
  virtual bool Update(ReducedProblem* problem, const double* scale,
                      const double* d2, bool jacobian_changed,
                      std::string* error) = 0;
  virtual void Apply(const double* x, double* y) = 0;
  // How many CG iterations the last solve needed and how long it took
  // (lagged strategies use it).
  virtual void NotifyIterations(int /*cg_iterations*/, double /*seconds*/) {}
  virtual int num_factorizations() const { return 0; }
};

// Inverse of s B s + D² block by block, for a block-diagonal B with one
// block per θ column block: what the two block-Jacobi preconditioners share.
class BlockDiagonalPreconditioner : public Preconditioner {
 public:
  void Apply(const double* x, double* y) override;

 protected:
  explicit BlockDiagonalPreconditioner(const ReducedProblem& problem);
  // Inverts the scaled blocks_ (which the derived class filled).
  bool InvertScaledBlocks(const double* scale, const double* d2,
                          std::string* error);

  std::vector<int> offsets_, sizes_, storage_;
  std::vector<double> blocks_;  // Unscaled B blocks, row-major.
  std::vector<double> inverses_;
  int num_threads_;
};

// B = the diagonal blocks of J_θᵀJ_θ.
class BlockJacobiPreconditioner : public BlockDiagonalPreconditioner {
 public:
  explicit BlockJacobiPreconditioner(const ReducedProblem& problem);
  bool Update(ReducedProblem* problem, const double* scale, const double* d2,
              bool jacobian_changed, std::string* error) override;
};

// Inverse of the diagonal blocks of s S s + D² (independent linear blocks,
// where each block of S is cheap: J_cᵀJ_c minus, for every linear block g the
// θ block c shares rows with, E_gcᵀ G_g⁻¹ E_gc with E_gc = A_gᵀJ_c). The
// bundle-adjustment "Schur-Jacobi" preconditioner.
class SchurJacobiPreconditioner : public BlockDiagonalPreconditioner {
 public:
  explicit SchurJacobiPreconditioner(const ReducedProblem& problem);
  bool Update(ReducedProblem* problem, const double* scale, const double* d2,
              bool jacobian_changed, std::string* error) override;

 private:
  struct Link {  // Row `row` couples θ block c with linear block `group`.
    int group;
    int row;
    int theta_position;   // Cell of c in the row.
    int linear_position;  // Cell of the linear block in the row.
  };
  std::vector<std::vector<Link>> links_;  // Per θ block, sorted by group.
};

// A sparse Cholesky factor of the joint Gauss-Newton matrix
//   H = [ s J_θᵀJ_θ s + D²   s J_θᵀA ]
//       [ Aᵀ J_θ s            AᵀA    ],
// whose θ block of H⁻¹ is exactly (s S s + D²)⁻¹. Lagged: it is refactored
// when the previous CG solve needed more than max_cg_iterations, or when the
// CG iterations since the last factorisation have cost more floating-point
// operations than that factorisation (and CG is not already down to a few
// iterations), so a whole solve typically needs a handful of factorisations.
// Operation counts, not timings, keep the solve deterministic.
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

#endif  // CERES_VARPRO_ENGINE_PRECONDITIONER_H_

#ifndef CERES_VARPRO_ENGINE_BLOCK_DIAGONAL_PRECONDITIONER_H_
#define CERES_VARPRO_ENGINE_BLOCK_DIAGONAL_PRECONDITIONER_H_

#include <string>
#include <vector>

#include "engine/eigen_types.h"
#include "engine/preconditioner.h"
#include "engine/reduced_problem.h"

namespace ceres_varpro::internal {

// Inverse of s B s + D² block by block, for a block-diagonal B with one
// block per θ column block: what the two block-Jacobi preconditioners share.
// A derived class fills blocks() at Update() and calls InvertScaledBlocks().
class BlockDiagonalPreconditioner : public Preconditioner {
 public:
  void Apply(const double* x, double* y) override;

 protected:
  explicit BlockDiagonalPreconditioner(const ReducedProblem& problem);
  bool InvertScaledBlocks(const double* scale, const double* d2,
                          std::string* error);
  // Block c := J_cᵀJ_c, θ column block c's share of J_θᵀJ_θ.
  MatrixRef SetToColumnGram(const BlockSparseMatrix& jacobian, int c);

  int num_blocks() const { return static_cast<int>(sizes_.size()); }
  int block_size(int c) const { return sizes_[c]; }
  // B's block c, unscaled, row-major.
  double* block(int c) { return &blocks_[storage_[c]]; }
  int num_threads() const { return num_threads_; }

 private:
  std::vector<int> offsets_, sizes_, storage_;
  std::vector<double> blocks_;
  std::vector<double> inverses_;
  int num_threads_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_BLOCK_DIAGONAL_PRECONDITIONER_H_

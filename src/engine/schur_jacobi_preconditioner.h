#ifndef CERES_VARPRO_ENGINE_SCHUR_JACOBI_PRECONDITIONER_H_
#define CERES_VARPRO_ENGINE_SCHUR_JACOBI_PRECONDITIONER_H_

#include <string>

#include "engine/block_diagonal_preconditioner.h"
#include "engine/independent_blocks.h"

namespace ceres_varpro::internal {

// Inverse of the diagonal blocks of s S s + D² for independent linear blocks,
// where each diagonal block of S is cheap: J_cᵀJ_c minus, for every linear
// block k that θ block c shares rows with, E_kcᵀ G_k⁻¹ E_kc with
// E_kc = A_kᵀJ_c (through IndependentBlocks::ThetaSide). The
// bundle-adjustment "Schur-Jacobi" preconditioner.
class SchurJacobiPreconditioner : public BlockDiagonalPreconditioner {
 public:
  // CHECKs that the problem's linear blocks are independent.
  explicit SchurJacobiPreconditioner(const ReducedProblem& problem);
  bool Update(ReducedProblem* problem, const double* scale, const double* d2,
              bool jacobian_changed, std::string* error) override;

 private:
  IndependentBlocks::ThetaSide theta_side_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SCHUR_JACOBI_PRECONDITIONER_H_

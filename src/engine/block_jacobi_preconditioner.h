#ifndef CERES_VARPRO_ENGINE_BLOCK_JACOBI_PRECONDITIONER_H_
#define CERES_VARPRO_ENGINE_BLOCK_JACOBI_PRECONDITIONER_H_

#include <string>

#include "engine/block_diagonal_preconditioner.h"

namespace ceres_varpro::internal {

// Inverse of the diagonal blocks of s J_θᵀJ_θ s + D² (S without the
// elimination's correction): cheap, for any regime.
class BlockJacobiPreconditioner : public BlockDiagonalPreconditioner {
 public:
  explicit BlockJacobiPreconditioner(const ReducedProblem& problem);
  bool Update(ReducedProblem* problem, const double* scale, const double* d2,
              bool jacobian_changed, std::string* error) override;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_BLOCK_JACOBI_PRECONDITIONER_H_

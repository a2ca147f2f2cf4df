#ifndef CERES_VARPRO_TYPES_H_
#define CERES_VARPRO_TYPES_H_

#include <string>

namespace ceres_varpro {

// How the reduced Gauss-Newton system (S + D) δ = -g is solved, where S is the
// Schur complement of the linear blocks.
enum class ReducedLinearSolverType {
  // DENSE for small problems whose linear blocks are independent (or
  // absent), SPARSE_JOINT without linear blocks, ITERATIVE otherwise.
  AUTO,
  // Matrix-free preconditioned conjugate gradients: S is never formed.
  ITERATIVE,
  // S formed densely and factored; exact, for small reduced problems.
  DENSE,
  // The joint Gauss-Newton matrix of all variables factored with CHOLMOD at
  // every step; exact. Without linear blocks this is Ceres's
  // SPARSE_NORMAL_CHOLESKY.
  SPARSE_JOINT,
};

// Preconditioner for ITERATIVE.
enum class ReducedPreconditionerType {
  // JOINT_CHOLESKY for coupled linear blocks (BLOCK_JACOBI when, besides,
  // no residual touches two θ blocks, as with sensor-network bearings),
  // SCHUR_JACOBI for independent ones, BLOCK_JACOBI when there are no linear
  // blocks.
  AUTO,
  // Inverse of the diagonal blocks of J_θᵀJ_θ + D.
  BLOCK_JACOBI,
  // Inverse of the diagonal blocks of S + D (independent linear blocks only).
  SCHUR_JACOBI,
  // A sparse Cholesky factor of the joint Gauss-Newton matrix, refactored only
  // when CG needs more than lagged_factorization_max_cg_iterations: the θ
  // block of its inverse is exactly (S + D)^-1 where it was factored.
  JOINT_CHOLESKY,
};

// What to do with gauge freedoms (global shifts) of the linear blocks.
enum class GaugePolicy {
  // Hold one linear block per shift-invariant connected component fixed
  // (a block the user made constant counts). Exact: the cost is unchanged.
  PIN_ONE_BLOCK_PER_COMPONENT,
  // Pin nothing; a singular Gram matrix is then an error.
  NONE,
};

// The elimination regime detected by the analysis: how l*(θ) =
// argmin_l F(θ, l) is computed at every evaluation (docs/engine.md).
enum class EliminationRegime {
  NO_LINEAR_BLOCKS,
  // Coupled linear blocks, Gram matrix G = AᵀA constant: factored once, and
  // l* = l - G⁻¹Aᵀr is one exact step.
  COUPLED_CONSTANT_GRAM,
  // Coupled linear blocks, G depends on θ (refactored at every point), or on
  // robust weights (damped Gauss-Newton on the reweighted system).
  COUPLED_VARYING_GRAM,
  // No residual touches two linear blocks: G is block diagonal and the
  // blocks are solved one by one (exactly, or by inner Gauss-Newton with
  // robust losses).
  INDEPENDENT_AFFINE,
  // Independent blocks that are not affine: inner Gauss-Newton per block
  // (the nonlinear extension, not exact VarPro).
  INDEPENDENT_NONLINEAR,
};

const char* ReducedLinearSolverTypeToString(ReducedLinearSolverType type);
const char* ReducedPreconditionerTypeToString(ReducedPreconditionerType type);
const char* GaugePolicyToString(GaugePolicy policy);
const char* EliminationRegimeToString(EliminationRegime regime);
// Case-insensitive; return false for unknown names.
bool StringToReducedLinearSolverType(std::string value,
                                     ReducedLinearSolverType* type);
bool StringToReducedPreconditionerType(std::string value,
                                       ReducedPreconditionerType* type);
bool StringToGaugePolicy(std::string value, GaugePolicy* policy);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_TYPES_H_

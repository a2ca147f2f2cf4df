#ifndef CERES_VARPRO_ENGINE_SIMPLICIAL_FACTORIZER_H_
#define CERES_VARPRO_ENGINE_SIMPLICIAL_FACTORIZER_H_

#include <vector>

#include "cholmod.h"

namespace ceres_varpro::internal {

// The numeric part of a simplicial LLᵀ or LDLᵀ factorisation (as the
// common's final_ll says, cholmod_factorize's choice) by CHOLMOD's row
// factorisation (cholmod_rowfac) of a matrix kept in the permuted order.
//
// Why not cholmod_factorize: at every call it builds the permuted upper
// triangle afresh with two transposes into freshly allocated matrices, then
// walks the factor once more to "convert" it to the form it already has.
// On the 2D pose graphs, whose factors are small, that cost more than the
// factorisation itself (kitti_00: transposes 14 % of the solve, a quarter
// of its page-fault time). Here the permuted pattern is built once and each
// entry's place in it is kept, so a factorisation is one permutation of the
// values, in place (no second copy of them: 8 bytes per entry), and rowfac.
class SimplicialFactorizer {
 public:
  // matrix: the upper triangle (CHOLMOD stype 1) of the pattern in the
  // original order; factor: CHOLMOD's simplicial analysis of it.
  SimplicialFactorizer(const cholmod_sparse& matrix,
                       const cholmod_factor& factor, cholmod_common* common);
  ~SimplicialFactorizer();
  SimplicialFactorizer(const SimplicialFactorizer&) = delete;
  SimplicialFactorizer& operator=(const SimplicialFactorizer&) = delete;

  // Factors the matrix with the given values (matrix.p/i order) into factor.
  // The values are left in the permuted order: assemble them again before
  // the next call.
  // On a pivot that is not positive (or not finite) returns false with
  // *failed_column the column in the permuted order, as LLᵀ's L->minor
  // (LDLᵀ too: CHOLMOD's own only fails it on a zero pivot); on any other
  // CHOLMOD failure (out of memory) with *failed_column -1.
  bool Factorize(double* values, cholmod_factor* factor, int* failed_column);

 private:
  // values[k] -> values[target_[k]] for every entry k.
  void PermuteInPlace(double* values);

  cholmod_common* common_;  // Not owned.
  // The pattern of triu(P A Pᵀ), owned; its values are the caller's, once
  // permuted.
  cholmod_sparse* permuted_ = nullptr;
  // Entry k of the matrix -> its place in permuted_. While the values are
  // permuted, ~target marks the entries already moved.
  std::vector<int> target_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SIMPLICIAL_FACTORIZER_H_

#ifndef CERES_VARPRO_ENGINE_SUPERNODAL_FACTORIZER_H_
#define CERES_VARPRO_ENGINE_SUPERNODAL_FACTORIZER_H_

#include <vector>

#include "cholmod.h"

namespace ceres_varpro::internal {

// The numeric part of a supernodal Cholesky factorisation (left-looking,
// Eigen's dense kernels) into the supernodal factor whose symbolic analysis
// CHOLMOD computed: same layout, so the factor's solves do not change.
//
// Why not cholmod_factorize: on the small supernodes of pose graphs its
// overheads cost more than the arithmetic. It opens an OpenMP loop per
// supernode and per descendant update, and GOMP ends every loop with a futex
// wake even for a team of one (72,983 system calls in one city10000 solve);
// it calls BLAS per supernode, and Debian's ATLAS copies every operand into
// blocks first; and it transposes the whole matrix into the permuted order
// at every call. Here the entries of the matrix go straight to their place
// in the factor through a map built once; a caller that assembles the
// matrix can write them there itself (targets()), so that no copy of the
// matrix's values is kept besides the factor (left-looking, the numeric
// factorisation touches a supernode's columns only when it reaches it, so
// values placed beforehand give the same factor to the last bit).
class SupernodalFactorizer {
 public:
  // matrix: the upper triangle (CHOLMOD stype 1) of the pattern in the
  // original order; factor: CHOLMOD's supernodal analysis of it (its Perm
  // includes the postordering).
  SupernodalFactorizer(const cholmod_sparse& matrix,
                       const cholmod_factor& factor);

  // Factors the matrix with the given values (matrix.p/i order) into lx
  // (factor.xsize doubles, CHOLMOD's supernodal layout). On a pivot that is
  // not positive (or not finite) returns false with *failed_column the
  // column in the permuted order, as CHOLMOD's L->minor.
  bool Factorize(const double* values, double* lx, int* failed_column);

  // The same in steps: Clear(lx) zeroes the factor; entry k of the matrix
  // then goes to lx[targets()[k]] (-1: an entry below the diagonal, ignored),
  // written by the caller's assembly or by Place(values, lx) for the whole
  // matrix; FactorizeInPlace factors what lx holds.
  const std::vector<int>& targets() const { return target_; }
  void Clear(double* lx) const;
  void Place(const double* values, double* lx) const;
  bool FactorizeInPlace(double* lx, int* failed_column);

 private:
  // Tiles of the update matrix; column blocks of the panel factorisation.
  static constexpr int kTile = 128;
  static constexpr int kPanelBlock = 32;

  // Dense Cholesky of supernode s's panel (diagonal block and the rows below
  // it) in place; false with the failing local column.
  bool FactorPanel(int s, double* lx, int* failed_local_column);

  int n_, nsuper_;
  const int* super_;  // CHOLMOD's arrays: owned by the factor.
  const int* pi_;
  const int* px_;
  const int* rows_;
  std::vector<int> super_of_column_;
  // Entry k of the matrix -> its position in lx.
  std::vector<int> target_;
  // Workspace: descendants waiting for each supernode (linked lists), the
  // next row of each descendant, the local row of each global row, and one
  // tile of an update matrix.
  std::vector<int> head_, next_, row_position_, local_row_;
  std::vector<double> update_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SUPERNODAL_FACTORIZER_H_

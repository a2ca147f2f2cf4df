#ifndef CERES_VARPRO_ENGINE_SPARSE_CHOLESKY_H_
#define CERES_VARPRO_ENGINE_SPARSE_CHOLESKY_H_

#include <memory>
#include <string>
#include <vector>

#include "cholmod.h"
#include "engine/simplicial_factorizer.h"
#include "engine/supernodal_factorizer.h"

namespace ceres_varpro::internal {

// CHOLMOD sparse Cholesky of a symmetric positive definite matrix given by
// the upper triangle of a fixed sparsity pattern (compressed columns). The
// fill-reducing ordering and symbolic factorisation are computed once in
// Analyze(); Factorize() only redoes the numeric part; Solve() reuses its
// workspace, so repeated solves do not allocate.
class SparseCholesky {
 public:
  enum class Mode { kAuto, kSupernodal, kSimplicial };

  // num_threads bounds the supernodal solves of several right-hand sides;
  // factorisations run on the calling thread alone.
  explicit SparseCholesky(Mode mode = Mode::kAuto, int num_threads = 1);
  ~SparseCholesky();
  SparseCholesky(const SparseCholesky&) = delete;
  SparseCholesky& operator=(const SparseCholesky&) = delete;

  // block_starts (optional: nb + 1 entries, 0 first and n last) cuts the
  // columns into blocks that share their pattern (parameter blocks): the
  // fill-reducing ordering is then AMD on the nb-node block graph, as Ceres
  // orders its normal equations, instead of on all n columns.
  bool Analyze(int n, const std::vector<int>& col_ptr,
               const std::vector<int>& row_index, std::string* error,
               const std::vector<int>* block_starts = nullptr);
  // Instead of Analyze(): the pattern and symbolic factorisation of another
  // analysed (and not yet factored: a factorisation releases the pattern)
  // SparseCholesky. False if CHOLMOD could not allocate the copies.
  bool CopyAnalysis(const SparseCholesky& other);
  // Where to assemble the matrix's values (the pattern given to Analyze)
  // before each Factorize(): entry k goes to values[(*targets)[k]] when
  // *targets is set (a supernodal factor, zeroed here, receives them in
  // place; -1: an entry below the diagonal, skipped), to values[k]
  // otherwise. Either way no second copy of the matrix is kept. Null (with
  // *error) when CHOLMOD could not allocate the factor.
  double* BeginAssembly(const int** targets, std::string* error);
  // BeginAssembly() and the values (the pattern's order) put in place.
  bool SetValues(const double* values, std::string* error);
  // Factors the values assembled since BeginAssembly(): supernodal factors
  // numerically by SupernodalFactorizer, simplicial ones by
  // SimplicialFactorizer (which permutes them in place). On failure
  // *failed_column is the column where a non-positive pivot appeared (-1 if
  // not a pivot issue).
  bool Factorize(int* failed_column, std::string* error);
  // x = A^-1 b; x and b may be the same array.
  void Solve(const double* b, double* x);
  // Same for num_rhs right-hand sides stored column-major (n x num_rhs).
  // Supernodal factors of at least kMinColumnsPerThread columns solve one
  // right-hand side per thread, side by side, when there are no more of them
  // than threads; otherwise two or three in one pass over the factor.
  void SolveMultiple(const double* b, double* x, int num_rhs);
  static constexpr int kMinColumnsPerThread = 4096;

  int n() const { return n_; }
  Mode mode() const { return mode_; }
  int num_threads() const { return num_threads_; }
  bool is_supernodal() const;
  long factor_nonzeros() const;
  // Floating-point operations of the last numeric factorisation (CHOLMOD's
  // count: deterministic, unlike timings).
  double factorization_flops() const { return common_.fl; }

 private:
  // The supernodal factor's values and factoriser, once.
  bool PrepareSupernodal(std::string* error);
  bool FactorizeSupernodal(int* failed_column, std::string* error);
  // Once the numeric factoriser has read the pattern (into its own map from
  // entries to places in the factor), CHOLMOD's copy of it goes: the caller
  // keeps one to assemble by (4 bytes per entry, city10000's joint matrix
  // 246k entries).
  void ReleasePattern();
  // A pivot that was not positive at permuted_column (the permuted order):
  // *failed_column the same column in the caller's order.
  void ReportNotPositiveDefinite(int permuted_column, int* failed_column,
                                 std::string* error) const;
  // work: 2 n M doubles.
  template <int M>
  void SolveSupernodal(const double* b, double* x, double* work) const;
  std::vector<int> BlockOrdering(const std::vector<int>& col_ptr,
                                 const std::vector<int>& row_index,
                                 const std::vector<int>& block_starts);

  Mode mode_;
  int num_threads_;
  int n_ = 0;
  bool assembled_ = false;  // Values in the supernodal factor, not factored.
  std::vector<double> work_;
  std::vector<std::vector<double>> part_work_;  // Per right-hand side.
  mutable cholmod_common common_;
  // The pattern (CHOLMOD_PATTERN), for the analysis and the numeric
  // factoriser's set-up; null after ReleasePattern().
  cholmod_sparse* matrix_ = nullptr;
  // A simplicial factor's matrix values in the pattern's order (a
  // supernodal factor has them in place). Not on
  // the huge-page pool: the joint preconditioner's is allocated after the
  // pool is trimmed, and a fresh huge page would cost more than it holds.
  std::vector<double> values_;
  cholmod_factor* factor_ = nullptr;
  // Built on first use.
  std::unique_ptr<SupernodalFactorizer> supernodal_;
  std::unique_ptr<SimplicialFactorizer> simplicial_;
  cholmod_dense* rhs_ = nullptr;
  cholmod_dense* solution_ = nullptr;
  cholmod_dense* workspace_y_ = nullptr;
  cholmod_dense* workspace_e_ = nullptr;
  int rhs_columns_ = 0;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SPARSE_CHOLESKY_H_

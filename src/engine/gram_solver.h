#ifndef CERES_VARPRO_ENGINE_GRAM_SOLVER_H_
#define CERES_VARPRO_ENGINE_GRAM_SOLVER_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/block_sparse_matrix.h"
#include "engine/gram_assembler.h"
#include "engine/large_buffer.h"
#include "engine/program.h"
#include "engine/sparse_cholesky.h"

namespace ceres_varpro::internal {

// Factors the Gram matrix G = AᵀA of the linear columns of a Jacobian (gauge
// already fixed: pinned blocks have no columns) and solves with it. Vectors
// are indexed by the linear parameters, 0 .. program.num_linear_parameters().
class GramSolver {
 public:
  virtual ~GramSolver() = default;
  // False if G is singular, with an error naming an undetermined block.
  virtual bool Factorize(const BlockSparseMatrix& jacobian,
                         std::string* error) = 0;
  // x = G^-1 b (x may alias b).
  virtual void Solve(const double* b, double* x) = 0;
  // X = G^-1 B for num_rhs column-major right-hand sides.
  virtual void SolveMultiple(const double* b, double* x, int num_rhs) = 0;
};

// Coupled linear blocks: sparse Cholesky (CHOLMOD); symbolic analysis once.
//
// With detect_kronecker (for a Gram matrix factored once), the first
// Factorize checks whether G = L ⊗ I_d exactly: every linear block of size
// d and every d x d block of G a multiple of the identity, bit for bit (what
// isotropic residuals such as t_j - t_i - R_i t_ij or p_i - p_j - d b give).
// Then only the scalar L (n/d x n/d) is factored and each solve is one solve
// with L for d right-hand sides: d² fewer factor entries and d times fewer
// passes over them. Otherwise G itself is factored, as without the option.
class SparseGramSolver : public GramSolver {
 public:
  SparseGramSolver(const Program* program, const BlockSparseMatrix& jacobian,
                   int num_threads, SparseCholesky::Mode mode,
                   bool detect_kronecker = false);
  // A second solver for the same pattern (another workspace's G when it
  // varies with θ): shares the assembler and a copy of the symbolic analysis
  // (done here if not yet) instead of redoing them.
  std::shared_ptr<SparseGramSolver> Twin();
  bool Factorize(const BlockSparseMatrix& jacobian,
                 std::string* error) override;
  void Solve(const double* b, double* x) override;
  void SolveMultiple(const double* b, double* x, int num_rhs) override;
  const SparseCholesky& cholesky() const { return cholesky_; }
  // Frees what only Factorize() needs (G's assembly pattern, shared with a
  // twin, and the scalar layout's map), for a G factored once: solves keep
  // working, Factorize() must not be called again.
  void ReleaseAssembly();
  // d when G = L ⊗ I_d was detected and L is what is factored, else 0.
  int kronecker_dimension() const { return kronecker_dim_; }
  // Entries a solve reads: of G's factor, or d x those of L's.
  double factor_nonzeros() const;

 private:
  explicit SparseGramSolver(const SparseGramSolver& pattern);
  bool Analyze(std::string* error);
  // The size d if G's values (assembled in values_) are L ⊗ I_d, else 0.
  int DetectKronecker(const BlockSparseMatrix& jacobian) const;
  bool AnalyzeScalar(int d, std::string* error);
  std::string FactorizationError(int failed_column,
                                 const std::string& cholmod_error) const;
  // b (n x num_rhs) <-> the scalar system's (n/d x d·num_rhs) layout.
  void ToScalarLayout(const double* b, int num_rhs);
  void FromScalarLayout(double* x, int num_rhs) const;

  const Program* program_;
  std::shared_ptr<const GramAssembler> assembler_;
  int num_cols_ = 0;  // G's order.
  SparseCholesky cholesky_;
  bool analyzed_ = false;

  bool detect_kronecker_ = false;
  bool kronecker_checked_ = false;
  int kronecker_dim_ = 0;
  std::vector<double> values_;  // G's values, for the check.
  std::unique_ptr<SparseCholesky> scalar_;
  std::vector<int> scalar_source_;  // Values index of each entry of L.
  std::vector<double> scalar_rhs_;
};

// Independent linear blocks: G is block diagonal; dense Cholesky per block,
// in parallel. With allow_singular_blocks (the nonlinear regime, where a
// point can become degenerate at a candidate), a singular block is frozen:
// its inverse is taken as zero and it is counted, instead of failing.
class BlockDiagonalGramSolver : public GramSolver {
 public:
  BlockDiagonalGramSolver(const Program* program,
                          const BlockSparseMatrix& jacobian, int num_threads,
                          bool allow_singular_blocks);
  bool Factorize(const BlockSparseMatrix& jacobian,
                 std::string* error) override;
  void Solve(const double* b, double* x) override;
  void SolveMultiple(const double* b, double* x, int num_rhs) override;

  // For block k (0-based among the linear column blocks): x = G_k^-1 b.
  void SolveBlock(int k, const double* b, double* x) const;
  int num_blocks() const { return static_cast<int>(offsets_.size()); }
  int block_offset(int k) const { return offsets_[k]; }
  int block_size(int k) const { return sizes_[k]; }
  bool block_is_frozen(int k) const { return frozen_[k] != 0; }
  int num_frozen() const { return num_frozen_; }
  // False, naming the first, if the last Factorize froze any block.
  bool CheckDetermined(std::string* error) const;

 private:
  const Program* program_;
  int num_threads_;
  bool allow_singular_blocks_;
  int first_col_block_;
  std::vector<int> offsets_, sizes_, factor_offsets_;
  LargeVector<double> factors_;  // Lower Cholesky factors, row-major.
  std::vector<char> frozen_;
  int num_frozen_ = 0;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_GRAM_SOLVER_H_

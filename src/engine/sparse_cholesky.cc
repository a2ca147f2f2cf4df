#include "engine/sparse_cholesky.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "Eigen/Core"
#include "engine/large_buffer.h"
#include "engine/openmp_team_cap.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

namespace {

// CHOLMOD's factor and its workspaces are large and touched first inside
// the factorisation (a parallel zero fill of L): on small pages those faults
// were ~10 % of a pose-graph solve on a virtual machine. The hook is
// malloc-compatible (free and realloc accept what it returns), so other
// CHOLMOD users in the process, Ceres among them, are unaffected, and a hook
// someone else installed is left alone. calloc stays: hooking it measured
// no gain.
void UseLargeBuffersInCholmod() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (SuiteSparse_config.malloc_func == &std::malloc) {
      SuiteSparse_config.malloc_func = &MallocLargeBuffer;
    }
  });
}

}  // namespace

SparseCholesky::SparseCholesky(Mode mode, int num_threads)
    : mode_(mode), num_threads_(std::max(1, num_threads)) {
  UseLargeBuffersInCholmod();
  cholmod_start(&common_);
  common_.print = 0;  // Errors are reported through our return values.
  common_.error_handler = nullptr;
  // Not positive definite is reported as a status, not an abort.
  common_.quick_return_if_not_posdef = 1;
  // CHOLMOD's relaxed amalgamation merges supernodes at the price of explicit
  // zeros, up to 80 % of a merged supernode of at most 16 columns. On pose
  // graphs, whose columns are scalars or small blocks, that made the factors
  // hold 1.5-1.7x nnz(L) values (city10000's Gram and joint factors: 786k
  // and 1,539k values for 468k and 1,046k entries), and the factorisations
  // and solves spent their flops on the zeros. Only the merges of at most
  // nrelax[0] = 4 columns are kept (562k and 1,178k values): peak RSS
  // 69.7 -> 65.8 MB, the solves no slower.
  common_.zrelax[0] = common_.zrelax[1] = common_.zrelax[2] = 0.0;
  switch (mode_) {
    case Mode::kSupernodal:
      common_.supernodal = CHOLMOD_SUPERNODAL;
      break;
    case Mode::kSimplicial:
      common_.supernodal = CHOLMOD_SIMPLICIAL;
      common_.final_ll = 1;
      break;
    case Mode::kAuto:
      common_.supernodal = CHOLMOD_AUTO;
      break;
  }
}

SparseCholesky::~SparseCholesky() {
  simplicial_.reset();  // It frees its matrix through common_.
  if (matrix_ != nullptr) cholmod_free_sparse(&matrix_, &common_);
  if (factor_ != nullptr) cholmod_free_factor(&factor_, &common_);
  if (rhs_ != nullptr) cholmod_free_dense(&rhs_, &common_);
  if (solution_ != nullptr) cholmod_free_dense(&solution_, &common_);
  if (workspace_y_ != nullptr) cholmod_free_dense(&workspace_y_, &common_);
  if (workspace_e_ != nullptr) cholmod_free_dense(&workspace_e_, &common_);
  cholmod_finish(&common_);
}

// AMD on the block graph of the upper pattern (col_ptr, row_index), expanded
// to a permutation of the n columns; empty if CHOLMOD fails.
std::vector<int> SparseCholesky::BlockOrdering(
    const std::vector<int>& col_ptr, const std::vector<int>& row_index,
    const std::vector<int>& block_starts) {
  const int n = static_cast<int>(col_ptr.size()) - 1;
  const int nb = static_cast<int>(block_starts.size()) - 1;
  if (nb == n) {
    // Blocks of one column (the 2D pose-graph model's x, y, yaw): the block
    // graph is the matrix's own pattern.
    std::vector<int> perm(n);
    if (!cholmod_amd(matrix_, nullptr, 0, perm.data(), &common_)) return {};
    return perm;
  }
  std::vector<int> block_of(n);
  for (int b = 0; b < nb; ++b) {
    std::fill(block_of.begin() + block_starts[b],
              block_of.begin() + block_starts[b + 1], b);
  }
  // Each block column's block rows (upper triangle), once each; at most one
  // per entry (reserved: growing the array cost more than filling it).
  std::vector<int> block_ptr(nb + 1, 0), block_rows, seen(nb, -1);
  block_rows.reserve(row_index.size());
  for (int b = 0; b < nb; ++b) {
    const size_t first = block_rows.size();
    for (int j = block_starts[b]; j < block_starts[b + 1]; ++j) {
      for (int k = col_ptr[j]; k < col_ptr[j + 1]; ++k) {
        const int a = block_of[row_index[k]];
        if (a <= b && seen[a] != b) {
          seen[a] = b;
          block_rows.push_back(a);
        }
      }
    }
    std::sort(block_rows.begin() + first, block_rows.end());
    block_ptr[b + 1] = static_cast<int>(block_rows.size());
  }
  cholmod_sparse* graph = cholmod_allocate_sparse(
      nb, nb, block_rows.size(), /*sorted=*/1, /*packed=*/1, /*stype=*/1,
      CHOLMOD_PATTERN, &common_);
  if (graph == nullptr) return {};
  std::copy(block_ptr.begin(), block_ptr.end(), static_cast<int*>(graph->p));
  std::copy(block_rows.begin(), block_rows.end(), static_cast<int*>(graph->i));
  std::vector<int> block_perm(nb);
  const int ok = cholmod_amd(graph, nullptr, 0, block_perm.data(), &common_);
  cholmod_free_sparse(&graph, &common_);
  if (!ok) return {};
  std::vector<int> perm;
  perm.reserve(n);
  for (const int b : block_perm) {
    for (int j = block_starts[b]; j < block_starts[b + 1]; ++j) {
      perm.push_back(j);
    }
  }
  return perm;
}

bool SparseCholesky::Analyze(int n, const std::vector<int>& col_ptr,
                             const std::vector<int>& row_index,
                             std::string* error,
                             const std::vector<int>* block_starts) {
  CHECK_EQ(static_cast<int>(col_ptr.size()), n + 1);
  CHECK(factor_ == nullptr) << "Analyze() is called once";
  n_ = n;
  const size_t nnz = row_index.size();
  matrix_ = cholmod_allocate_sparse(n, n, nnz, /*sorted=*/1, /*packed=*/1,
                                    /*stype=*/1, CHOLMOD_PATTERN, &common_);
  if (matrix_ == nullptr) {
    *error = "CHOLMOD could not allocate the matrix";
    return false;
  }
  std::memcpy(matrix_->p, col_ptr.data(), sizeof(int) * (n + 1));
  std::memcpy(matrix_->i, row_index.data(), sizeof(int) * nnz);
  std::vector<int> perm;
  if (block_starts != nullptr && block_starts->size() > 1) {
    CHECK_EQ(block_starts->front(), 0);
    CHECK_EQ(block_starts->back(), n);
    perm = BlockOrdering(col_ptr, row_index, *block_starts);
  }
  if (!perm.empty()) {
    common_.nmethods = 1;
    common_.method[0].ordering = CHOLMOD_GIVEN;
    factor_ = cholmod_analyze_p(matrix_, perm.data(), nullptr, 0, &common_);
  } else {
    factor_ = cholmod_analyze(matrix_, &common_);
  }
  if (factor_ == nullptr || common_.status < CHOLMOD_OK) {
    *error = "CHOLMOD symbolic analysis failed";
    return false;
  }
  // A supernodal factor receives the values in place (BeginAssembly).
  if (!factor_->is_super) values_.assign(nnz, 0.0);
  VLOG(1) << "CHOLMOD analysis: n " << n << ", nnz(A) " << nnz << ", nnz(L) "
          << common_.lnz << ", flops " << common_.fl << ", ordering "
          << common_.method[common_.selected].ordering;
  // The ordering's workspace (AMD's: 6n and more integers) would stay in the
  // common for the object's lifetime; the factorisations and solves allocate
  // the little they need.
  cholmod_free_work(&common_);
  return true;
}

bool SparseCholesky::CopyAnalysis(const SparseCholesky& other) {
  CHECK(factor_ == nullptr) << "Analyze() or CopyAnalysis() is called once";
  CHECK(other.factor_ != nullptr && other.matrix_ != nullptr);
  CHECK(other.factor_->xtype == CHOLMOD_PATTERN) << "copy before factoring";
  n_ = other.n_;
  matrix_ = cholmod_copy_sparse(other.matrix_, &common_);
  factor_ = cholmod_copy_factor(other.factor_, &common_);
  values_.assign(other.values_.size(), 0.0);
  return matrix_ != nullptr && factor_ != nullptr;
}

double* SparseCholesky::BeginAssembly(const int** targets, std::string* error) {
  CHECK(factor_ != nullptr) << "Analyze() first";
  if (!factor_->is_super) {
    *targets = nullptr;
    return values_.data();
  }
  if (supernodal_ == nullptr && !PrepareSupernodal(error)) return nullptr;
  double* lx = static_cast<double*>(factor_->x);
  supernodal_->Clear(lx);
  *targets = supernodal_->targets().data();
  assembled_ = true;
  return lx;
}

bool SparseCholesky::SetValues(const double* values, std::string* error) {
  const int* targets = nullptr;
  double* out = BeginAssembly(&targets, error);
  if (out == nullptr) return false;
  if (targets == nullptr) {
    std::copy(values, values + values_.size(), out);
  } else {
    supernodal_->Place(values, out);
  }
  return true;
}

void SparseCholesky::ReleasePattern() {
  cholmod_free_sparse(&matrix_, &common_);
}

bool SparseCholesky::Factorize(int* failed_column, std::string* error) {
  CHECK(factor_ != nullptr);
  *failed_column = -1;
  if (factor_->is_super) return FactorizeSupernodal(failed_column, error);
  if (simplicial_ == nullptr) {
    simplicial_ =
        std::make_unique<SimplicialFactorizer>(*matrix_, *factor_, &common_);
    ReleasePattern();
  }
  int failed = -1;
  bool ok = false;
  {
    // CHOLMOD 3.0's row factorisation opens no OpenMP loop (strace: no GOMP
    // thread and no futex call in a solve). The cap keeps it so with a
    // CHOLMOD that does: a team no larger than the cores spins 300,000 times
    // after each loop (GOMP's default wait policy) on CPU the engine's own
    // threads, or on a shared machine the other process, need.
    const OpenMpTeamCap cap(1);
    ok = simplicial_->Factorize(values_.data(), factor_, &failed);
  }
  if (!ok) {
    if (failed >= 0) {
      ReportNotPositiveDefinite(failed, failed_column, error);
    } else {
      *error = "CHOLMOD numeric factorization failed";
    }
    return false;
  }
  return true;
}

bool SparseCholesky::PrepareSupernodal(std::string* error) {
  // The symbolic factor gets its (uninitialised) values.
  if (factor_->xtype == CHOLMOD_PATTERN &&
      !cholmod_change_factor(CHOLMOD_REAL, /*to_ll=*/1, /*to_super=*/1,
                             /*to_packed=*/1, /*to_monotonic=*/1, factor_,
                             &common_)) {
    *error = "CHOLMOD could not allocate the factor";
    return false;
  }
  VLOG(1) << "supernodal factor: " << factor_->nsuper << " supernodes, "
          << factor_->xsize << " values for nnz(L) " << common_.lnz;
  supernodal_ = std::make_unique<SupernodalFactorizer>(*matrix_, *factor_);
  ReleasePattern();
  return true;
}

bool SparseCholesky::FactorizeSupernodal(int* failed_column,
                                         std::string* error) {
  CHECK(assembled_) << "BeginAssembly() before each Factorize()";
  assembled_ = false;
  int failed = -1;
  if (!supernodal_->FactorizeInPlace(static_cast<double*>(factor_->x),
                                     &failed)) {
    ReportNotPositiveDefinite(failed, failed_column, error);
    return false;
  }
  return true;
}

void SparseCholesky::ReportNotPositiveDefinite(int permuted_column,
                                               int* failed_column,
                                               std::string* error) const {
  const int* perm = static_cast<const int*>(factor_->Perm);
  if (permuted_column >= 0 && permuted_column < n_) {
    *failed_column = perm != nullptr ? perm[permuted_column] : permuted_column;
  }
  *error = "matrix is not positive definite";
}

void SparseCholesky::SolveMultiple(const double* b, double* x, int num_rhs) {
  CHECK(factor_ != nullptr);
  if (factor_->is_super) {
    // The triangular solves are sequential; right-hand sides are not (the d
    // coordinates of a Gram matrix L ⊗ I_d): on large factors one per thread
    // when every thread gets at most one (a third right-hand side on two
    // threads would cost a second pass on one of them).
    if (num_rhs > 1 && num_rhs <= num_threads_ && n_ >= kMinColumnsPerThread) {
      if (static_cast<int>(part_work_.size()) < num_rhs) {
        part_work_.resize(num_rhs);
      }
      ParallelForParts(num_threads_, num_rhs, [&](int j) {
        part_work_[j].resize(2 * static_cast<size_t>(n_));
        SolveSupernodal<1>(b + static_cast<size_t>(j) * n_,
                           x + static_cast<size_t>(j) * n_,
                           part_work_[j].data());
      });
      return;
    }
    // Otherwise one pass over the factor for two or three of them.
    work_.resize(2 * static_cast<size_t>(n_) * std::min(num_rhs, 3));
    if (num_rhs == 2) return SolveSupernodal<2>(b, x, work_.data());
    if (num_rhs == 3) return SolveSupernodal<3>(b, x, work_.data());
    for (int j = 0; j < num_rhs; ++j) {
      SolveSupernodal<1>(b + static_cast<size_t>(j) * n_,
                         x + static_cast<size_t>(j) * n_, work_.data());
    }
    return;
  }
  if (rhs_ == nullptr || rhs_columns_ != num_rhs) {
    if (rhs_ != nullptr) cholmod_free_dense(&rhs_, &common_);
    rhs_ = cholmod_allocate_dense(n_, num_rhs, n_, CHOLMOD_REAL, &common_);
    rhs_columns_ = num_rhs;
  }
  std::memcpy(rhs_->x, b, sizeof(double) * n_ * num_rhs);
  cholmod_solve2(CHOLMOD_A, factor_, rhs_, nullptr, &solution_, nullptr,
                 &workspace_y_, &workspace_e_, &common_);
  CHECK(solution_ != nullptr) << "CHOLMOD solve failed";
  std::memcpy(x, solution_->x, sizeof(double) * n_ * num_rhs);
}

// X = Pᵀ L⁻ᵀ L⁻¹ P B for M right-hand sides (b, x column-major n x M) with
// CHOLMOD's supernodal factor read directly: each supernode is a dense
// column-major block (its own columns first, then the rows below). CHOLMOD's
// own supernodal solve calls BLAS trsv/gemv once per supernode, which costs
// more than these loops on the small supernodes of pose graphs (and with
// Debian's default reference-grade BLAS). The rows below a supernode are
// updated through a contiguous buffer (gathered once, scattered once) so that
// the inner loops run over contiguous memory. The M right-hand sides are kept
// interleaved (row k of all of them together), so every factor entry is read
// once for all M.
template <int M>
void SparseCholesky::SolveSupernodal(const double* b, double* x,
                                     double* work) const {
  const int* perm = static_cast<const int*>(factor_->Perm);
  const int* super = static_cast<const int*>(factor_->super);
  const int* pi = static_cast<const int*>(factor_->pi);
  const int* px = static_cast<const int*>(factor_->px);
  const int* rows = static_cast<const int*>(factor_->s);
  const double* values = static_cast<const double*>(factor_->x);
  const int nsuper = static_cast<int>(factor_->nsuper);
  double* y = work;
  double* __restrict__ below = work + static_cast<size_t>(n_) * M;
  for (int k = 0; k < n_; ++k) {
    for (int r = 0; r < M; ++r) y[k * M + r] = b[perm[k] + r * n_];
  }
  // L Y = P B.
  for (int s = 0; s < nsuper; ++s) {
    const int k1 = super[s];
    const int ncols = super[s + 1] - k1;
    const int nrows = pi[s + 1] - pi[s];
    const int nbelow = nrows - ncols;
    const double* l = values + px[s];
    const int* row = rows + pi[s] + ncols;
    double* ys = y + static_cast<size_t>(k1) * M;
    std::fill(below, below + static_cast<size_t>(nbelow) * M, 0.0);
    for (int j = 0; j < ncols; ++j) {
      const double* __restrict__ column = l + static_cast<size_t>(j) * nrows;
      double yj[M];
      for (int r = 0; r < M; ++r) {
        yj[r] = ys[j * M + r] / column[j];
        ys[j * M + r] = yj[r];
      }
      for (int i = j + 1; i < ncols; ++i) {
        for (int r = 0; r < M; ++r) ys[i * M + r] -= column[i] * yj[r];
      }
      const double* __restrict__ column_below = column + ncols;
      for (int i = 0; i < nbelow; ++i) {
        for (int r = 0; r < M; ++r) below[i * M + r] += column_below[i] * yj[r];
      }
    }
    for (int i = 0; i < nbelow; ++i) {
      for (int r = 0; r < M; ++r) y[row[i] * M + r] -= below[i * M + r];
    }
  }
  // Lᵀ Z = Y.
  for (int s = nsuper - 1; s >= 0; --s) {
    const int k1 = super[s];
    const int ncols = super[s + 1] - k1;
    const int nrows = pi[s + 1] - pi[s];
    const int nbelow = nrows - ncols;
    const double* l = values + px[s];
    const int* row = rows + pi[s] + ncols;
    double* ys = y + static_cast<size_t>(k1) * M;
    for (int i = 0; i < nbelow; ++i) {
      for (int r = 0; r < M; ++r) below[i * M + r] = y[row[i] * M + r];
    }
    for (int j = ncols - 1; j >= 0; --j) {
      const double* __restrict__ column = l + static_cast<size_t>(j) * nrows;
      const double* __restrict__ column_below = column + ncols;
      double sum[M];
      for (int r = 0; r < M; ++r) sum[r] = ys[j * M + r];
      if constexpr (M == 1) {
        // One contiguous dot product, which Eigen vectorises.
        sum[0] -= Eigen::Map<const Eigen::VectorXd>(column_below, nbelow)
                      .dot(Eigen::Map<const Eigen::VectorXd>(below, nbelow));
      } else {
        for (int i = 0; i < nbelow; ++i) {
          for (int r = 0; r < M; ++r) {
            sum[r] -= column_below[i] * below[i * M + r];
          }
        }
      }
      for (int i = j + 1; i < ncols; ++i) {
        for (int r = 0; r < M; ++r) sum[r] -= column[i] * ys[i * M + r];
      }
      for (int r = 0; r < M; ++r) ys[j * M + r] = sum[r] / column[j];
    }
  }
  for (int k = 0; k < n_; ++k) {
    for (int r = 0; r < M; ++r) x[perm[k] + r * n_] = y[k * M + r];
  }
}

void SparseCholesky::Solve(const double* b, double* x) {
  SolveMultiple(b, x, 1);
}

bool SparseCholesky::is_supernodal() const {
  return factor_ != nullptr && factor_->is_super;
}

long SparseCholesky::factor_nonzeros() const {
  if (factor_ == nullptr) return 0;
  if (factor_->is_super) return static_cast<long>(factor_->xsize);
  return static_cast<long>(factor_->nzmax);
}

}  // namespace ceres_varpro::internal

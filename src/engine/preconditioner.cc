#include "engine/preconditioner.h"

#include <algorithm>
#include <atomic>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "engine/gram_solver.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRef = Eigen::Map<const RowMajorMatrix>;
using MatrixRef = Eigen::Map<RowMajorMatrix>;

}  // namespace

BlockDiagonalPreconditioner::BlockDiagonalPreconditioner(
    const ReducedProblem& problem)
    : num_threads_(problem.num_threads()) {
  const BlockSparseMatrix& j = problem.jacobian();
  int total = 0;
  for (int c = 0; c < problem.num_nonlinear_columns(); ++c) {
    offsets_.push_back(j.col_block_offset(c));
    sizes_.push_back(j.col_block_size(c));
    storage_.push_back(total);
    total += sizes_.back() * sizes_.back();
  }
  blocks_.assign(total, 0.0);
  inverses_.assign(total, 0.0);
}

bool BlockDiagonalPreconditioner::InvertScaledBlocks(const double* scale,
                                                     const double* d2,
                                                     std::string* error) {
  std::atomic<bool> ok{true};
  ParallelFor(num_threads_, 0, static_cast<int>(sizes_.size()),
              [&](int, int c) {
                const int n = sizes_[c];
                const ConstMatrixRef b(&blocks_[storage_[c]], n, n);
                const double* s = scale + offsets_[c];
                Eigen::MatrixXd m(n, n);
                for (int i = 0; i < n; ++i) {
                  for (int k = 0; k < n; ++k) m(i, k) = s[i] * b(i, k) * s[k];
                  m(i, i) += d2[offsets_[c] + i];
                }
                Eigen::LLT<Eigen::MatrixXd> llt(m);
                if (llt.info() != Eigen::Success) {
                  ok.store(false, std::memory_order_relaxed);
                  return;
                }
                MatrixRef(&inverses_[storage_[c]], n, n) =
                    llt.solve(Eigen::MatrixXd::Identity(n, n));
              });
  if (!ok)
    *error = "a diagonal block of the preconditioner is not positive definite";
  return ok;
}

void BlockDiagonalPreconditioner::Apply(const double* x, double* y) {
  ParallelFor(num_threads_, 0, static_cast<int>(sizes_.size()),
              [&](int, int c) {
                const int n = sizes_[c];
                Eigen::Map<Eigen::VectorXd>(y + offsets_[c], n).noalias() =
                    ConstMatrixRef(&inverses_[storage_[c]], n, n) *
                    Eigen::Map<const Eigen::VectorXd>(x + offsets_[c], n);
              });
}

BlockJacobiPreconditioner::BlockJacobiPreconditioner(
    const ReducedProblem& problem)
    : BlockDiagonalPreconditioner(problem) {}

bool BlockJacobiPreconditioner::Update(ReducedProblem* problem,
                                       const double* scale, const double* d2,
                                       bool jacobian_changed,
                                       std::string* error) {
  if (jacobian_changed) {
    const BlockSparseMatrix& j = problem->jacobian();
    ParallelFor(num_threads_, 0, static_cast<int>(sizes_.size()),
                [&](int, int c) {
                  const int n = sizes_[c];
                  MatrixRef g(&blocks_[storage_[c]], n, n);
                  g.setZero();
                  for (const auto& e : j.column_entries(c)) {
                    const ConstMatrixRef a(j.values() + e.position,
                                           j.row_block_size(e.row_block), n);
                    g.noalias() += a.transpose() * a;
                  }
                });
  }
  return InvertScaledBlocks(scale, d2, error);
}

SchurJacobiPreconditioner::SchurJacobiPreconditioner(
    const ReducedProblem& problem)
    : BlockDiagonalPreconditioner(problem) {
  const BlockSparseMatrix& j = problem.jacobian();
  const int nc = problem.num_nonlinear_columns();
  links_.resize(nc);
  for (int r = 0; r < j.num_row_blocks(); ++r) {
    int linear_col = -1, linear_position = -1;
    for (auto* cell = j.row_cells_begin(r); cell != j.row_cells_end(r);
         ++cell) {
      if (cell->col_block >= nc) {
        linear_col = cell->col_block;
        linear_position = cell->position;
      }
    }
    if (linear_col < 0) continue;
    for (auto* cell = j.row_cells_begin(r); cell != j.row_cells_end(r);
         ++cell) {
      if (cell->col_block < nc) {
        links_[cell->col_block].push_back(
            {linear_col - nc, r, cell->position, linear_position});
      }
    }
  }
  for (auto& l : links_) {
    std::stable_sort(l.begin(), l.end(), [](const Link& a, const Link& b) {
      return a.group < b.group;
    });
  }
}

bool SchurJacobiPreconditioner::Update(ReducedProblem* problem,
                                       const double* scale, const double* d2,
                                       bool jacobian_changed,
                                       std::string* error) {
  auto* gram = dynamic_cast<BlockDiagonalGramSolver*>(problem->gram());
  if (gram == nullptr) {
    *error = "SCHUR_JACOBI needs independent linear blocks";
    return false;
  }
  if (jacobian_changed) {
    const BlockSparseMatrix& j = problem->jacobian();
    const double* v = j.values();
    ParallelFor(
        num_threads_, 0, static_cast<int>(sizes_.size()), [&](int, int c) {
          const int n = sizes_[c];
          MatrixRef s(&blocks_[storage_[c]], n, n);
          s.setZero();
          for (const auto& e : j.column_entries(c)) {
            const ConstMatrixRef a(v + e.position,
                                   j.row_block_size(e.row_block), n);
            s.noalias() += a.transpose() * a;
          }
          // Subtract E_gcᵀ G_g⁻¹ E_gc group by group (links are sorted by
          // group).
          const std::vector<Link>& links = links_[c];
          Eigen::MatrixXd e, z;
          Eigen::VectorXd in, out;
          for (size_t k = 0; k < links.size();) {
            const int g = links[k].group;
            const int p = gram->block_size(g);
            e.setZero(p, n);
            for (; k < links.size() && links[k].group == g; ++k) {
              const int m = j.row_block_size(links[k].row);
              e.noalias() += ConstMatrixRef(v + links[k].linear_position, m, p)
                                 .transpose() *
                             ConstMatrixRef(v + links[k].theta_position, m, n);
            }
            z.resize(p, n);
            in.resize(p);
            out.resize(p);
            for (int col = 0; col < n; ++col) {
              in = e.col(col);
              gram->SolveBlock(g, in.data(), out.data());
              z.col(col) = out;
            }
            s.noalias() -= e.transpose() * z;
          }
        });
  }
  return InvertScaledBlocks(scale, d2, error);
}

JointCholeskyPreconditioner::JointCholeskyPreconditioner(
    const ReducedProblem& problem, int max_cg_iterations, bool always_refactor,
    SparseCholesky::Mode mode)
    : assembler_(problem.jacobian(), 0, problem.jacobian().num_col_blocks(),
                 problem.num_threads()),
      cholesky_(mode),
      column_scale_(problem.jacobian().num_cols(), 1.0),
      diagonal_(problem.jacobian().num_cols(), 0.0),
      rhs_(problem.jacobian().num_cols(), 0.0),
      num_tangent_(problem.num_tangent()),
      max_cg_iterations_(max_cg_iterations),
      always_refactor_(always_refactor) {}

bool JointCholeskyPreconditioner::Update(ReducedProblem* problem,
                                         const double* scale, const double* d2,
                                         bool /*jacobian_changed*/,
                                         std::string* error) {
  if (factored_ && !refactor_ && !always_refactor_) return true;
  if (!analyzed_) {
    if (!cholesky_.Analyze(assembler_.num_cols(), assembler_.col_ptr(),
                           assembler_.row_index(), error)) {
      return false;
    }
    analyzed_ = true;
  }
  std::copy(scale, scale + num_tangent_, column_scale_.begin());
  std::copy(d2, d2 + num_tangent_, diagonal_.begin());
  assembler_.Assemble(problem->jacobian(), column_scale_.data(),
                      diagonal_.data(), cholesky_.mutable_values());
  int failed_column = -1;
  if (!cholesky_.Factorize(&failed_column, error)) {
    *error = "joint Cholesky preconditioner: " + *error;
    factored_ = false;
    return false;
  }
  factorization_flops_ = cholesky_.factorization_flops();
  cg_flops_since_factorization_ = 0.0;
  // One CG iteration: four products with J (2 flops per nonzero), two
  // triangular solves with this factor and two with the Gram factor.
  double gram_factor = 0.0;
  if (auto* sparse = dynamic_cast<SparseGramSolver*>(problem->gram())) {
    gram_factor = static_cast<double>(sparse->cholesky().factor_nonzeros());
  }
  flops_per_cg_iteration_ =
      8.0 * problem->jacobian().num_nonzeros() +
      4.0 * static_cast<double>(cholesky_.factor_nonzeros()) +
      4.0 * gram_factor;
  ++num_factorizations_;
  factored_ = true;
  refactor_ = false;
  return true;
}

void JointCholeskyPreconditioner::Apply(const double* x, double* y) {
  std::copy(x, x + num_tangent_, rhs_.begin());
  std::fill(rhs_.begin() + num_tangent_, rhs_.end(), 0.0);
  cholesky_.Solve(rhs_.data(), rhs_.data());
  std::copy(rhs_.begin(), rhs_.begin() + num_tangent_, y);
}

void JointCholeskyPreconditioner::NotifyIterations(int cg_iterations,
                                                   double /*seconds*/) {
  cg_flops_since_factorization_ += cg_iterations * flops_per_cg_iteration_;
  if (cg_iterations > max_cg_iterations_) refactor_ = true;
  // A stale factor (the LM diagonal and the point have moved on) costs CG
  // iterations; refactor once they have cost as much as a factorisation.
  constexpr int kFewIterations = 3;
  if (cg_iterations > kFewIterations &&
      cg_flops_since_factorization_ > factorization_flops_) {
    refactor_ = true;
  }
}

}  // namespace ceres_varpro::internal

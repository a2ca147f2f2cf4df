#include "engine/eliminator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <utility>

#include "engine/parallel_for.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

using Columns = ResidualEvaluator::Columns;
using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRef = Eigen::Map<const RowMajorMatrix>;

// Blockwise inner solves use fixed-capacity Eigen objects: no heap traffic in
// the per-block loop.
constexpr int kMaxBlockwiseSize = 16;
using SmallMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0,
                                  kMaxBlockwiseSize, kMaxBlockwiseSize>;
using SmallVector =
    Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxBlockwiseSize, 1>;

// Solves (H + mu diag(H)) x = -g by Cholesky; false if (numerically) singular.
bool SolveDampedSmall(const SmallMatrix& h, const SmallVector& g, double mu,
                      SmallVector* x) {
  const int n = static_cast<int>(h.rows());
  SmallMatrix a = h;
  const double max_diagonal = h.diagonal().maxCoeff();
  if (!(max_diagonal > 0.0)) return false;
  for (int i = 0; i < n; ++i) {
    a(i, i) += mu * std::max(h(i, i), 1e-12 * max_diagonal);
  }
  for (int j = 0; j < n; ++j) {
    double d = a(j, j);
    for (int t = 0; t < j; ++t) d -= a(j, t) * a(j, t);
    if (CholeskyPivotIsDegenerate(d, max_diagonal)) return false;
    const double l = std::sqrt(d);
    a(j, j) = l;
    for (int i = j + 1; i < n; ++i) {
      double v = a(i, j);
      for (int t = 0; t < j; ++t) v -= a(i, t) * a(j, t);
      a(i, j) = v / l;
    }
  }
  x->resize(n);
  for (int i = 0; i < n; ++i) {
    double v = -g(i);
    for (int t = 0; t < i; ++t) v -= a(i, t) * (*x)(t);
    (*x)(i) = v / a(i, i);
  }
  for (int i = n - 1; i >= 0; --i) {
    double v = (*x)(i);
    for (int t = i + 1; t < n; ++t) v -= a(t, i) * (*x)(t);
    (*x)(i) = v / a(i, i);
  }
  return x->allFinite();
}

}  // namespace

Eliminator::Eliminator(Program* program, const StructureAnalysis& analysis,
                       ResidualEvaluator* evaluator, const Options& options,
                       VarProStatistics* statistics)
    : program_(program),
      analysis_(analysis),
      evaluator_(evaluator),
      options_(options),
      statistics_(statistics) {
  num_linear_ = program_->num_linear_parameters();
  num_theta_ = program_->num_theta_tangent();
  exact_step_ = analysis_.affine && !analysis_.robust;
  blockwise_ = num_linear_ > 0 && !analysis_.coupled && !exact_step_;

  const bool share_jacobian = exact_step_ && analysis_.jacobian_constant;
  for (auto* w : {&current_, &candidate_}) {
    *w = std::make_unique<Workspace>();
    if (share_jacobian && w == &candidate_) {
      (*w)->jacobian = current_->jacobian;
    } else {
      (*w)->jacobian = evaluator_->CreateJacobian();
    }
    (*w)->residuals = Eigen::VectorXd::Zero(evaluator_->num_residuals());
    (*w)->row_costs = Eigen::VectorXd::Zero((*w)->jacobian->num_row_blocks());
    (*w)->linear = Eigen::VectorXd::Zero(num_linear_);
  }
  last_ = current_.get();
  full_cols_ = Eigen::VectorXd::Zero(num_theta_ + num_linear_);
  linear_step_ = Eigen::VectorXd::Zero(num_linear_);
  trial_linear_ = Eigen::VectorXd::Zero(num_linear_);

  if (num_linear_ > 0) {
    const BlockSparseMatrix& jacobian = *current_->jacobian;
    auto make_gram = [&]() -> std::unique_ptr<GramSolver> {
      if (analysis_.coupled) {
        return std::make_unique<SparseGramSolver>(
            program_, jacobian, options_.num_threads, options_.cholesky_mode);
      }
      // A block that degenerates at some candidate is frozen rather than
      // allowed to put NaN into the Schur complement.
      return std::make_unique<BlockDiagonalGramSolver>(
          program_, jacobian, options_.num_threads,
          /*allow_singular_blocks=*/blockwise_);
    };
    if (exact_step_ && analysis_.gram_constant) {
      shared_gram_ = make_gram();
      current_->gram = candidate_->gram = shared_gram_.get();
    } else {
      for (auto* w : {current_.get(), candidate_.get()}) {
        w->own_gram = make_gram();
        w->gram = w->own_gram.get();
      }
    }

    const int first = program_->num_nonlinear_columns();
    block_rows_.resize(program_->num_column_blocks() - first);
    std::vector<char> touches_linear(jacobian.num_row_blocks(), 0);
    for (int c = first; c < program_->num_column_blocks(); ++c) {
      for (const auto& e : jacobian.column_entries(c)) {
        block_rows_[c - first].push_back(e.row_block);
        touches_linear[e.row_block] = 1;
      }
    }
    for (int r = 0; r < jacobian.num_row_blocks(); ++r) {
      if (!touches_linear[r]) theta_only_rows_.push_back(r);
    }
    block_costs_.assign(block_rows_.size(), 0.0);
  }
}

Eliminator::~Eliminator() = default;

bool Eliminator::Fail(const std::string& message) {
  error_ = message;
  return false;
}

bool Eliminator::Initialize(std::string* error) {
  initial_linear_ = Eigen::VectorXd::Zero(num_linear_);
  if (num_linear_ == 0) return true;
  program_->GetLinear(initial_linear_.data());
  if (blockwise_) {
    for (int c = program_->num_nonlinear_columns();
         c < program_->num_column_blocks(); ++c) {
      const auto& pb =
          program_->parameter_blocks()[program_->column_parameter_blocks()[c]];
      if (pb.size > kMaxBlockwiseSize) {
        *error = program_->DescribeParameterBlock(
                     program_->column_parameter_blocks()[c]) +
                 " is too large for nonlinear/robust elimination (at most " +
                 std::to_string(kMaxBlockwiseSize) + " parameters per block)";
        return false;
      }
    }
  }
  // A at the initial point, in both workspaces: when A is constant it is
  // never evaluated again.
  double cost = 0.0;
  for (auto* w : {current_.get(), candidate_.get()}) {
    if (w == candidate_.get() && w->jacobian == current_->jacobian) {
      w->linear = initial_linear_;
      continue;
    }
    if (!evaluator_->Evaluate(Columns::kLinear, &cost, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data())) {
      *error = "evaluation at the initial point failed: " + evaluator_->error();
      return false;
    }
    w->linear = initial_linear_;
  }
  // Every eliminated block must be determined at the initial point.
  double* factor_time = &statistics_->factorization_time_in_seconds;
  if (shared_gram_ != nullptr) {
    ScopedTimer timer(factor_time);
    ++statistics_->num_gram_factorizations;
    return shared_gram_->Factorize(*current_->jacobian, error);
  }
  if (blockwise_) {
    BlockDiagonalGramSolver strict(program_, *current_->jacobian,
                                   options_.num_threads,
                                   /*allow_singular_blocks=*/false);
    return strict.Factorize(*current_->jacobian, error);
  }
  ScopedTimer timer(factor_time);
  ++statistics_->num_gram_factorizations;
  return current_->gram->Factorize(*current_->jacobian, error);
}

void Eliminator::PrepareForEvaluation(bool evaluate_jacobians,
                                      bool new_evaluation_point) {
  if (new_evaluation_point) {
    error_.clear();
    const Eigen::VectorXd& base =
        has_current_ ? current_->linear : initial_linear_;
    ++statistics_->num_evaluations;
    ok_ = Solve(candidate_.get(), base);
    last_ = candidate_.get();
    // Nonlinear elimination: a step that sends many more points off to
    // where their inner solve fails (run-away, behind a camera) is rejected
    // as if the cost function had failed there, so the trust region shrinks.
    if (ok_ && blockwise_ && has_current_) {
      const int allowed =
          current_->num_bad_blocks +
          std::max(10, static_cast<int>(block_rows_.size()) / 1000);
      if (candidate_->num_bad_blocks > allowed) {
        ++num_safeguard_rejections_;
        ok_ = false;
        error_ = std::to_string(candidate_->num_bad_blocks) +
                 " linear blocks failed their inner solve at the candidate (" +
                 std::to_string(current_->num_bad_blocks) +
                 " at the current point)";
        program_->SetLinear(base.data());
      }
    }
  }
  if (evaluate_jacobians) {
    // Usually the candidate just solved; Ceres may also ask again at the
    // point whose Jacobian it already has.
    Workspace* w = last_;
    ok_ = ok_ && EvaluateJacobian(w);
    if (ok_ && w == candidate_.get()) {
      std::swap(current_, candidate_);
      last_ = current_.get();
    }
    has_current_ = has_current_ || ok_;
  }
}

bool Eliminator::Solve(Workspace* w, const Eigen::VectorXd& base) {
  if (num_linear_ == 0) {
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    if (!evaluator_->Evaluate(Columns::kNone, &w->cost, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data())) {
      return Fail(evaluator_->error());
    }
    return true;
  }
  ScopedTimer timer(&statistics_->elimination_time_in_seconds);
  bool ok;
  if (exact_step_) {
    ok = SolveExact(w, base);
  } else if (blockwise_) {
    ok = SolveBlockwise(w, base);
  } else {
    ok = SolveCoupledIterative(w, base);
  }
  if (!ok) program_->SetLinear(base.data());
  return ok;
}

bool Eliminator::FactorGram(Workspace* w) {
  ScopedTimer timer(&statistics_->factorization_time_in_seconds);
  ++statistics_->num_gram_factorizations;
  std::string error;
  if (!w->gram->Factorize(*w->jacobian, &error)) return Fail(error);
  return true;
}

bool Eliminator::SolveExact(Workspace* w, const Eigen::VectorXd& base) {
  program_->SetLinear(base.data());
  const Columns columns =
      analysis_.jacobian_constant ? Columns::kNone : Columns::kLinear;
  double cost0 = 0.0;
  {
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    if (!evaluator_->Evaluate(columns, &cost0, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data())) {
      return Fail(evaluator_->error());
    }
  }
  if (!analysis_.gram_constant && !FactorGram(w)) return false;

  // l* = l - G⁻¹ Aᵀ r; the residual is affine in l, so r* = r + A Δl exactly.
  const int nt = evaluator_->num_threads();
  const int first = program_->num_nonlinear_columns();
  const int end = program_->num_column_blocks();
  full_cols_.setZero();
  w->jacobian->LeftMultiply(w->residuals.data(), full_cols_.data(), first, end,
                            nt);
  double* step = full_cols_.data() + num_theta_;
  w->gram->Solve(step, step);
  for (int i = 0; i < num_linear_; ++i) step[i] = -step[i];
  w->jacobian->RightMultiply(full_cols_.data(), w->residuals.data(), first, end,
                             nt);
  w->linear = base + full_cols_.tail(num_linear_);
  w->cost = 0.5 * w->residuals.squaredNorm();
  if (!std::isfinite(w->cost) || !w->linear.allFinite()) {
    return Fail("the linear blocks' solution is not finite");
  }
  program_->SetLinear(w->linear.data());
  return true;
}

bool Eliminator::SolveCoupledIterative(Workspace* w,
                                       const Eigen::VectorXd& base) {
  const int nt = evaluator_->num_threads();
  const int first = program_->num_nonlinear_columns();
  const int end = program_->num_column_blocks();
  const double tol = options_.inner_iteration_tolerance;
  Eigen::VectorXd& l = w->linear;
  l = base;
  program_->SetLinear(l.data());
  auto evaluate = [&](double* cost) {
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    return evaluator_->Evaluate(Columns::kLinear, cost, w->residuals.data(),
                                w->jacobian.get(), w->row_costs.data());
  };
  double cost = 0.0;
  if (!evaluate(&cost)) return Fail(evaluator_->error());
  for (int it = 0; it < options_.max_inner_iterations; ++it) {
    ++statistics_->num_inner_iterations;
    if (!FactorGram(w)) return false;
    full_cols_.setZero();
    w->jacobian->LeftMultiply(w->residuals.data(), full_cols_.data(), first,
                              end, nt);
    w->gram->Solve(full_cols_.data() + num_theta_, linear_step_.data());
    linear_step_ = -linear_step_;
    if (linear_step_.norm() <= tol * (l.norm() + tol)) break;
    // Backtrack until the robust cost does not increase.
    bool accepted = false;
    double trial_cost = 0.0;
    for (double alpha = 1.0; alpha > 1e-4; alpha *= 0.5) {
      trial_linear_ = l + alpha * linear_step_;
      program_->SetLinear(trial_linear_.data());
      if (evaluate(&trial_cost) && trial_cost <= cost) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      program_->SetLinear(l.data());
      if (!evaluate(&cost)) return Fail(evaluator_->error());
      break;
    }
    const double decrease = cost - trial_cost;
    l = trial_linear_;
    cost = trial_cost;
    if (decrease <= 1e-15 * cost) break;
  }
  w->cost = cost;
  if (!l.allFinite()) return Fail("the linear blocks' solution is not finite");
  return true;
}

bool Eliminator::SolveBlockwise(Workspace* w, const Eigen::VectorXd& base) {
  program_->SetLinear(base.data());
  BlockSparseMatrix* jacobian = w->jacobian.get();
  const int first = program_->num_nonlinear_columns();
  const double tol = options_.inner_iteration_tolerance;
  const int nt = evaluator_->num_threads();

  // Residual blocks that touch no linear block only contribute their cost.
  std::vector<double> theta_cost(nt, 0.0);
  std::atomic<bool> ok{true};
  ParallelFor(nt, 0, static_cast<int>(theta_only_rows_.size()),
              [&](int tid, int i) {
                const int r = theta_only_rows_[i];
                double c = 0.0;
                if (!evaluator_->EvaluateRowBlock(
                        r, Columns::kNone, tid, &c,
                        w->residuals.data() + jacobian->row_block_offset(r),
                        jacobian)) {
                  ok.store(false, std::memory_order_relaxed);
                }
                w->row_costs[r] = c;
                theta_cost[tid] += c;
              });
  if (!ok) return Fail(evaluator_->error());

  std::vector<int> inner_passes(nt, 0);
  std::vector<int> bad(nt, 0);
  const int num_blocks = static_cast<int>(block_rows_.size());
  ParallelFor(nt, 0, num_blocks, [&](int tid, int k) {
    const int c = first + k;
    const auto& pb =
        program_->parameter_blocks()[program_->column_parameter_blocks()[c]];
    const int n = pb.size;
    double* lb = pb.values;
    const std::vector<int>& rows = block_rows_[k];
    const auto& entries = jacobian->column_entries(c);
    auto evaluate = [&](double* cost) {
      double total = 0.0;
      for (int r : rows) {
        double rc = 0.0;
        if (!evaluator_->EvaluateRowBlock(
                r, Columns::kLinear, tid, &rc,
                w->residuals.data() + jacobian->row_block_offset(r),
                jacobian)) {
          return false;
        }
        w->row_costs[r] = rc;
        total += rc;
      }
      *cost = total;
      return std::isfinite(total);
    };
    double cost = 0.0;
    if (!evaluate(&cost)) {
      ok.store(false, std::memory_order_relaxed);
      return;
    }
    SmallMatrix h(n, n);
    SmallVector g(n), step(n), saved(n);
    double mu = 0.0;
    bool converged = false;
    for (int it = 0; it < options_.max_inner_iterations; ++it) {
      h.setZero();
      g.setZero();
      for (const auto& e : entries) {
        const int rows_e = jacobian->row_block_size(e.row_block);
        const ConstMatrixRef a(jacobian->values() + e.position, rows_e, n);
        const Eigen::Map<const Eigen::VectorXd> re(
            w->residuals.data() + jacobian->row_block_offset(e.row_block),
            rows_e);
        h.noalias() += a.transpose() * a;
        g.noalias() += a.transpose() * re;
      }
      if (!SolveDampedSmall(h, g, mu, &step)) {
        if (mu >= 1e8) break;  // Degenerate; frozen by the Gram solver.
        mu = std::max(1e-6, mu * 10.0);
        continue;
      }
      const double l_norm = Eigen::Map<const Eigen::VectorXd>(lb, n).norm();
      if (step.norm() <= tol * (l_norm + tol)) {
        converged = true;
        break;
      }
      for (int i = 0; i < n; ++i) {
        saved(i) = lb[i];
        lb[i] += step(i);
      }
      ++inner_passes[tid];
      double trial_cost = 0.0;
      if (evaluate(&trial_cost) && trial_cost <= cost) {
        const double decrease = cost - trial_cost;
        cost = trial_cost;
        mu = mu > 0.0 ? std::max(mu * 0.1, 1e-12) : 0.0;
        if (decrease <= 1e-15 * cost) {
          converged = true;
          break;
        }
      } else {
        for (int i = 0; i < n; ++i) lb[i] = saved(i);
        if (!evaluate(&cost)) {
          ok.store(false, std::memory_order_relaxed);
          return;
        }
        mu = mu > 0.0 ? mu * 10.0 : 1e-4;
        if (mu > 1e8) break;
      }
    }
    block_costs_[k] = cost;
    if (!converged) ++bad[tid];
  });
  if (!ok) return Fail(evaluator_->error());
  for (int p : inner_passes) statistics_->num_inner_iterations += p;
  w->num_bad_blocks = 0;
  for (int b : bad) w->num_bad_blocks += b;

  double total = 0.0;
  for (double c : theta_cost) total += c;
  for (double c : block_costs_) total += c;
  w->cost = total;
  program_->GetLinear(w->linear.data());
  if (!w->linear.allFinite() || !std::isfinite(total)) {
    return Fail("the linear blocks' solution is not finite");
  }
  return true;
}

bool Eliminator::EvaluateJacobian(Workspace* w) {
  {
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    if (!evaluator_->Evaluate(Columns::kAll, &w->cost, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data())) {
      return Fail(evaluator_->error());
    }
  }
  // With losses or non-affine blocks G depends on l* as well: refactor here.
  if (num_linear_ == 0 || exact_step_) return true;
  if (!FactorGram(w)) return false;
  if (blockwise_) {
    statistics_->num_degenerate_blocks =
        static_cast<BlockDiagonalGramSolver*>(w->gram)->num_frozen();
  }
  return true;
}

}  // namespace ceres_varpro::internal

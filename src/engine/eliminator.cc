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

// The blockwise inner solve is Levenberg-Marquardt on each small block:
// damping starts at zero (pure Gauss-Newton), is raised tenfold on a
// rejected step (from kInitialInnerDamping), lowered tenfold on an accepted
// one (not below kMinInnerDamping), and the block is given up (counted as
// degenerate, its Gram block frozen) beyond kMaxInnerDamping.
constexpr double kInitialInnerDamping = 1e-4;
constexpr double kSingularInnerDamping = 1e-6;
constexpr double kMinInnerDamping = 1e-12;
constexpr double kMaxInnerDamping = 1e8;
// Chord steps (the current point's A and G, residuals only) before the
// first Jacobian evaluation of a predicted block.
constexpr int kMaxChordSteps = 4;
// A decrease this small relative to the block's cost is round-off.
constexpr double kNegligibleRelativeDecrease = 1e-15;
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
    block_scratch_.resize(std::max(1, options_.num_threads));
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
  if (blockwise_) ChooseInnerColumns();
  // A at the initial point. When A is constant both workspaces share it and
  // it is never evaluated again; otherwise the candidate workspace is the
  // one the first elimination (at the same point) will use, so it keeps the
  // evaluation and, in the exact regimes, the factorisation.
  for (auto* w : {current_.get(), candidate_.get()})
    w->linear = initial_linear_;
  Workspace* w = candidate_.get();
  double cost = 0.0;
  {
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    if (!evaluator_->Evaluate(Columns::kLinear, &cost, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data())) {
      *error = "evaluation at the initial point failed: " + evaluator_->error();
      return false;
    }
  }
  // Every eliminated block must be determined at the initial point.
  double* factor_time = &statistics_->factorization_time_in_seconds;
  if (blockwise_) {
    BlockDiagonalGramSolver strict(program_, *w->jacobian, options_.num_threads,
                                   /*allow_singular_blocks=*/false);
    return strict.Factorize(*w->jacobian, error);
  }
  {
    ScopedTimer timer(factor_time);
    ++statistics_->num_gram_factorizations;
    if (!w->gram->Factorize(*w->jacobian, error)) return false;
  }
  candidate_->initial_point_ready = exact_step_;
  return true;
}

void Eliminator::ChooseInnerColumns() {
  inner_columns_ = Columns::kLinear;
  // A sample of the row blocks the inner solves evaluate, timed with and
  // without the θ columns (best of three, interleaved). The choice only
  // moves work: the values are the same either way.
  std::vector<int> sample;
  for (size_t k = 0; k < block_rows_.size() && sample.size() < 256; ++k) {
    for (int r : block_rows_[k]) sample.push_back(r);
  }
  if (sample.empty() || !evaluator_->UpdatePlusJacobians()) return;
  BlockSparseMatrix* jacobian = candidate_->jacobian.get();
  double* residuals = candidate_->residuals.data();
  auto time = [&](Columns columns) {
    const double start = WallTimeInSeconds();
    for (int r : sample) {
      double cost = 0.0;
      if (!evaluator_->EvaluateRowBlock(
              r, columns, 0, &cost, residuals + jacobian->row_block_offset(r),
              jacobian)) {
        return -1.0;
      }
    }
    return WallTimeInSeconds() - start;
  };
  double linear = 1e300, all = 1e300;
  for (int repeat = 0; repeat < 3; ++repeat) {
    const double tl = time(Columns::kLinear);
    const double ta = time(Columns::kAll);
    if (tl < 0.0 || ta < 0.0) return;
    linear = std::min(linear, tl);
    all = std::min(all, ta);
  }
  // Every column for at most a quarter more: the accepted point's second
  // evaluation (a full one) is then saved.
  constexpr double kAllColumnsMaxExtraCost = 1.25;
  if (all <= kAllColumnsMaxExtraCost * linear) inner_columns_ = Columns::kAll;
  VLOG(1) << "Inner solves evaluate "
          << (inner_columns_ == Columns::kAll ? "every column"
                                              : "linear columns")
          << " (sample: linear " << linear << " s, all " << all << " s)";
}

void Eliminator::PrepareForEvaluation(bool evaluate_jacobians,
                                      bool new_evaluation_point) {
  if (new_evaluation_point) {
    ScopedTimer timer(evaluate_jacobians
                          ? &statistics_->jacobian_evaluation_time_in_seconds
                          : &statistics_->residual_evaluation_time_in_seconds);
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
    ScopedTimer timer(&statistics_->jacobian_evaluation_time_in_seconds);
    Workspace* w = last_;
    ok_ = ok_ && EvaluateJacobian(w);
    if (ok_ && w == candidate_.get()) {
      std::swap(current_, candidate_);
      last_ = current_.get();
    }
    if (ok_ && blockwise_) {
      // θ of current(), for the predictions of the next candidates.
      current_theta_.resize(program_->num_theta_ambient());
      program_->GetTheta(current_theta_.data());
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
  if (w->initial_point_ready && !has_current_) {
    // Initialize() evaluated and factored at this very point.
    w->initial_point_ready = false;
  } else {
    w->initial_point_ready = false;
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
  }

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

struct Eliminator::BlockScratch {
  // A block's residuals, row costs and Jacobian rows before a trial step,
  // restored when the step is rejected (no re-evaluation).
  std::vector<double> residuals, row_costs, cells;
  std::vector<double> row;  // One row block's linearised residual.
};

bool Eliminator::ComputeStepFromCurrent() {
  // δ = θ ⊟ θ_current block by block, in the Jacobian's θ coordinates
  // (tangent, or ambient when the program's θ columns are ambient).
  const auto& params = program_->parameter_blocks();
  const auto& columns = program_->column_parameter_blocks();
  const BlockSparseMatrix& j = *current_->jacobian;
  step_.resize(num_theta_);
  for (int c = 0; c < program_->num_nonlinear_columns(); ++c) {
    const Program::ParameterBlock& pb = params[columns[c]];
    const double* from = current_theta_.data() + pb.state_offset;
    double* delta = step_.data() + j.col_block_offset(c);
    if (pb.manifold == nullptr || program_->ambient_theta()) {
      for (int i = 0; i < pb.size; ++i) delta[i] = pb.values[i] - from[i];
    } else if (!pb.manifold->Minus(pb.values, from, delta)) {
      return false;
    }
  }
  return step_.allFinite();
}

bool Eliminator::PredictLinear(const Eigen::VectorXd& base,
                               Eigen::VectorXd* start) {
  *start = base;
  if (!has_current_ || !ComputeStepFromCurrent()) return false;
  const BlockSparseMatrix& j = *current_->jacobian;
  const auto* gram =
      static_cast<const BlockDiagonalGramSolver*>(current_->gram);
  const int first = program_->num_nonlinear_columns();
  const double* values = j.values();
  const double* residuals = current_->residuals.data();
  const double* delta = step_.data();
  ParallelFor(options_.num_threads, 0, static_cast<int>(block_rows_.size()),
              [&](int tid, int k) {
                if (gram->block_is_frozen(k)) return;
                const int c = first + k;
                const int n = j.col_block_size(c);
                std::vector<double>& u = block_scratch_[tid].row;
                double b[kMaxBlockwiseSize] = {0.0};
                for (const auto& e : j.column_entries(c)) {
                  // u = r + J_θ δ on this row block.
                  const int m = j.row_block_size(e.row_block);
                  const double* r = residuals + j.row_block_offset(e.row_block);
                  u.assign(r, r + m);
                  for (auto* cell = j.row_cells_begin(e.row_block);
                       cell != j.row_cells_end(e.row_block); ++cell) {
                    if (cell->col_block >= first) continue;
                    const int cols = j.col_block_size(cell->col_block);
                    const double* x =
                        delta + j.col_block_offset(cell->col_block);
                    const double* a = values + cell->position;
                    for (int i = 0; i < m; ++i) {
                      double sum = 0.0;
                      for (int t = 0; t < cols; ++t)
                        sum += a[i * cols + t] * x[t];
                      u[i] += sum;
                    }
                  }
                  const double* a = values + e.position;
                  for (int i = 0; i < m; ++i) {
                    for (int t = 0; t < n; ++t) b[t] += a[i * n + t] * u[i];
                  }
                }
                double x[kMaxBlockwiseSize];
                gram->SolveBlock(k, b, x);
                double* out = start->data() + gram->block_offset(k);
                for (int t = 0; t < n; ++t) {
                  if (std::isfinite(x[t])) out[t] -= x[t];
                }
              });
  return true;
}

bool Eliminator::SolveBlock(Workspace* w, int k, int thread_id,
                            BlockScratch* scratch, const double* prediction,
                            const double* previous, double* block_cost,
                            int* passes, bool* converged) {
  BlockSparseMatrix* jacobian = w->jacobian.get();
  const int c = program_->num_nonlinear_columns() + k;
  const auto& pb =
      program_->parameter_blocks()[program_->column_parameter_blocks()[c]];
  const int n = pb.size;
  double* lb = pb.values;
  const double tol = options_.inner_iteration_tolerance;
  const std::vector<int>& rows = block_rows_[k];
  const auto& entries = jacobian->column_entries(c);
  double* values = jacobian->values();
  double* residuals = w->residuals.data();

  auto evaluate = [&](double* cost) {
    double total = 0.0;
    for (int r : rows) {
      double rc = 0.0;
      if (!evaluator_->EvaluateRowBlock(
              r, inner_columns_, thread_id, &rc,
              residuals + jacobian->row_block_offset(r), jacobian)) {
        return false;
      }
      w->row_costs[r] = rc;
      total += rc;
    }
    *cost = total;
    return std::isfinite(total);
  };
  // The state at the last accepted inner iterate, to restore after a
  // rejected trial.
  auto save = [&]() {
    scratch->residuals.clear();
    scratch->row_costs.clear();
    scratch->cells.clear();
    for (int r : rows) {
      const double* rr = residuals + jacobian->row_block_offset(r);
      scratch->residuals.insert(scratch->residuals.end(), rr,
                                rr + jacobian->row_block_size(r));
      scratch->row_costs.push_back(w->row_costs[r]);
      scratch->cells.insert(scratch->cells.end(),
                            values + jacobian->row_values_begin(r),
                            values + jacobian->row_values_begin(r + 1));
    }
  };
  auto restore = [&]() {
    const double* rr = scratch->residuals.data();
    const double* cc = scratch->cells.data();
    for (size_t i = 0; i < rows.size(); ++i) {
      const int r = rows[i];
      const int m = jacobian->row_block_size(r);
      std::copy(rr, rr + m, residuals + jacobian->row_block_offset(r));
      rr += m;
      w->row_costs[r] = scratch->row_costs[i];
      const int size =
          jacobian->row_values_begin(r + 1) - jacobian->row_values_begin(r);
      std::copy(cc, cc + size, values + jacobian->row_values_begin(r));
      cc += size;
    }
  };

  double cost = 0.0;
  if (prediction != nullptr && has_current_) {
    // Residuals only (cheap): start from the prediction only where it is at
    // least as good as the previous solution (a long step can carry a
    // prediction into another basin of the block's cost), then take chord
    // steps with the current point's A and G, still on residuals only. The
    // Jacobian is evaluated once the chord steps stall, where a single
    // Gauss-Newton check usually finds the block converged.
    auto cost_at = [&](double* c) {
      double total = 0.0;
      for (int r : rows) {
        double rc = 0.0;
        if (!evaluator_->EvaluateRowBlock(
                r, Columns::kNone, thread_id, &rc,
                residuals + jacobian->row_block_offset(r), jacobian)) {
          return false;
        }
        total += rc;
      }
      *c = total;
      return std::isfinite(total);
    };
    double previous_cost = 0.0, x_cost = 0.0;
    std::copy(previous, previous + n, lb);
    const bool previous_ok = cost_at(&previous_cost);
    std::copy(prediction, prediction + n, lb);
    bool x_ok = cost_at(&x_cost);
    if (!x_ok || (previous_ok && previous_cost < x_cost)) {
      std::copy(previous, previous + n, lb);
      x_ok = cost_at(&x_cost);
    }
    const auto* gram =
        static_cast<const BlockDiagonalGramSolver*>(current_->gram);
    const double* a_values = current_->jacobian->values();
    std::vector<double>& saved_residuals = scratch->row;
    for (int it = 0; x_ok && !gram->block_is_frozen(k) && it < kMaxChordSteps;
         ++it) {
      double b[kMaxBlockwiseSize] = {0.0};
      for (const auto& e : entries) {
        const int m = jacobian->row_block_size(e.row_block);
        const double* r = residuals + jacobian->row_block_offset(e.row_block);
        const double* a = a_values + e.position;
        for (int i = 0; i < m; ++i) {
          for (int t = 0; t < n; ++t) b[t] += a[i * n + t] * r[i];
        }
      }
      double dx[kMaxBlockwiseSize];
      gram->SolveBlock(k, b, dx);
      double dx_norm = 0.0, l_norm = 0.0;
      for (int t = 0; t < n; ++t) {
        dx_norm += dx[t] * dx[t];
        l_norm += lb[t] * lb[t];
      }
      if (!std::isfinite(dx_norm) ||
          std::sqrt(dx_norm) <= tol * (std::sqrt(l_norm) + tol)) {
        break;
      }
      saved_residuals.clear();
      for (int r : rows) {
        const double* rr = residuals + jacobian->row_block_offset(r);
        saved_residuals.insert(saved_residuals.end(), rr,
                               rr + jacobian->row_block_size(r));
      }
      for (int t = 0; t < n; ++t) lb[t] -= dx[t];
      double trial_cost = 0.0;
      if (cost_at(&trial_cost) && trial_cost <= x_cost) {
        x_cost = trial_cost;
        continue;
      }
      for (int t = 0; t < n; ++t) lb[t] += dx[t];
      const double* rr = saved_residuals.data();
      for (int r : rows) {
        const int m = jacobian->row_block_size(r);
        std::copy(rr, rr + m, residuals + jacobian->row_block_offset(r));
        rr += m;
      }
      break;
    }
  }
  if (!evaluate(&cost)) return false;
  SmallMatrix h(n, n);
  SmallVector g(n), step(n), saved(n);
  double mu = 0.0;
  *converged = false;
  for (int it = 0; it < options_.max_inner_iterations; ++it) {
    h.setZero();
    g.setZero();
    for (const auto& e : entries) {
      const int m = jacobian->row_block_size(e.row_block);
      const ConstMatrixRef a(values + e.position, m, n);
      const Eigen::Map<const Eigen::VectorXd> re(
          residuals + jacobian->row_block_offset(e.row_block), m);
      h.noalias() += a.transpose() * a;
      g.noalias() += a.transpose() * re;
    }
    if (!SolveDampedSmall(h, g, mu, &step)) {
      if (mu >= kMaxInnerDamping) break;  // Degenerate: frozen by the Gram.
      mu = std::max(kSingularInnerDamping, mu * 10.0);
      continue;
    }
    const double l_norm = Eigen::Map<const Eigen::VectorXd>(lb, n).norm();
    if (step.norm() <= tol * (l_norm + tol)) {
      *converged = true;
      break;
    }
    save();
    for (int i = 0; i < n; ++i) {
      saved(i) = lb[i];
      lb[i] += step(i);
    }
    ++*passes;
    double trial_cost = 0.0;
    if (evaluate(&trial_cost) && trial_cost <= cost) {
      const double decrease = cost - trial_cost;
      cost = trial_cost;
      mu = mu > 0.0 ? std::max(mu * 0.1, kMinInnerDamping) : 0.0;
      if (decrease <= kNegligibleRelativeDecrease * cost) {
        *converged = true;
        break;
      }
    } else {
      for (int i = 0; i < n; ++i) lb[i] = saved(i);
      restore();
      mu = mu > 0.0 ? mu * 10.0 : kInitialInnerDamping;
      if (mu > kMaxInnerDamping) break;
    }
  }
  *block_cost = cost;
  return true;
}

bool Eliminator::SolveBlockwise(Workspace* w, const Eigen::VectorXd& base) {
  const bool predicted = PredictLinear(base, &trial_linear_);
  program_->SetLinear(base.data());
  BlockSparseMatrix* jacobian = w->jacobian.get();
  const int first = program_->num_nonlinear_columns();
  const int nt = evaluator_->num_threads();
  w->jacobian_complete = false;
  if (inner_columns_ == Columns::kAll && !evaluator_->UpdatePlusJacobians()) {
    return Fail(evaluator_->error());
  }

  // Residual blocks that touch no linear block only contribute their cost
  // (and their Jacobian, when the inner solves evaluate every column).
  const Columns theta_columns =
      inner_columns_ == Columns::kAll ? Columns::kAll : Columns::kNone;
  std::vector<double> theta_cost(nt, 0.0);
  std::atomic<bool> ok{true};
  ParallelFor(nt, 0, static_cast<int>(theta_only_rows_.size()),
              [&](int tid, int i) {
                const int r = theta_only_rows_[i];
                double c = 0.0;
                if (!evaluator_->EvaluateRowBlock(
                        r, theta_columns, tid, &c,
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
  const auto& params = program_->parameter_blocks();
  ParallelFor(nt, 0, static_cast<int>(block_rows_.size()), [&](int tid, int k) {
    bool converged = false;
    const auto& pb = params[program_->column_parameter_blocks()[first + k]];
    const double* previous = base.data() + pb.state_offset;
    const double* prediction =
        predicted ? trial_linear_.data() + pb.state_offset : nullptr;
    if (!SolveBlock(w, k, tid, &block_scratch_[tid], prediction, previous,
                    &block_costs_[k], &inner_passes[tid], &converged)) {
      ok.store(false, std::memory_order_relaxed);
      return;
    }
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
  w->jacobian_complete = inner_columns_ == Columns::kAll;
  return true;
}

void Eliminator::ComputeGradientResiduals(Workspace* w) {
  if (!blockwise_) {
    // Coupled blocks: one solve with the Gram factor at this point.
    const int nt = evaluator_->num_threads();
    const int first = program_->num_nonlinear_columns();
    const int end = program_->num_column_blocks();
    full_cols_.setZero();
    w->jacobian->LeftMultiply(w->residuals.data(), full_cols_.data(), first,
                              end, nt);
    double* z = full_cols_.data() + num_theta_;
    w->gram->Solve(z, z);
    for (int i = 0; i < num_linear_; ++i) z[i] = -z[i];
    w->gradient_residuals = w->residuals;
    w->jacobian->RightMultiply(full_cols_.data(), w->gradient_residuals.data(),
                               first, end, nt);
    return;
  }
  const BlockSparseMatrix& j = *w->jacobian;
  const auto* gram = static_cast<const BlockDiagonalGramSolver*>(w->gram);
  const int first = program_->num_nonlinear_columns();
  w->gradient_residuals = w->residuals;
  const double* values = j.values();
  ParallelFor(options_.num_threads, 0, static_cast<int>(block_rows_.size()),
              [&](int, int k) {
                if (gram->block_is_frozen(k)) return;
                const int c = first + k;
                const int n = j.col_block_size(c);
                double b[kMaxBlockwiseSize] = {0.0};
                for (const auto& e : j.column_entries(c)) {
                  const int m = j.row_block_size(e.row_block);
                  const double* r =
                      w->residuals.data() + j.row_block_offset(e.row_block);
                  const double* a = values + e.position;
                  for (int i = 0; i < m; ++i) {
                    for (int t = 0; t < n; ++t) b[t] += a[i * n + t] * r[i];
                  }
                }
                double z[kMaxBlockwiseSize];
                gram->SolveBlock(k, b, z);
                for (const auto& e : j.column_entries(c)) {
                  const int m = j.row_block_size(e.row_block);
                  double* out = w->gradient_residuals.data() +
                                j.row_block_offset(e.row_block);
                  const double* a = values + e.position;
                  for (int i = 0; i < m; ++i) {
                    double sum = 0.0;
                    for (int t = 0; t < n; ++t) sum += a[i * n + t] * z[t];
                    out[i] -= sum;
                  }
                }
              });
}

bool Eliminator::EvaluateJacobian(Workspace* w) {
  ++statistics_->num_jacobian_evaluations;
  if (!w->jacobian_complete) {
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
  ComputeGradientResiduals(w);
  return true;
}

}  // namespace ceres_varpro::internal

#include "engine/eliminator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "engine/affine_differences.h"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

using Columns = ResidualEvaluator::Columns;

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
// The inner solves at the initial point stop at this multiple of the inner
// tolerance. The user's start is far from the solution: l* there only feeds
// the first step, whose gradient (the linearised correction in
// gradient_residuals) stays exact to second order in the inner error, and
// the first candidate's solves restart from the prediction and finish at the
// full tolerance. On BAL this saves a fifth of the inner passes and moves the
// initial point's reduced cost by ~1e-5 relative.
constexpr double kInitialPointInnerToleranceFactor = 100.0;
constexpr double kInnerDampingIncrease = 10.0;
constexpr double kInnerDampingDecrease = 0.1;
// Damping is relative to diag(H), floored at this fraction of its largest
// entry so that a zero diagonal entry is damped too.
constexpr double kMinRelativeDampingDiagonal = 1e-12;
// A decrease this small relative to the block's cost is round-off.
constexpr double kNegligibleRelativeDecrease = 1e-15;
// Coupled robust elimination: the Gauss-Newton step is halved until the cost
// does not increase, down to this fraction.
constexpr double kMinCoupledStepFraction = 1e-4;
// The run-away safeguard allows this many more failed blocks at a candidate
// than at the current point, or one per kSafeguardBlocksPerExtraFailure
// blocks if that is more.
constexpr int kSafeguardMinExtraFailures = 10;
constexpr int kSafeguardBlocksPerExtraFailure = 1000;
// ChooseInnerColumns times this many row blocks, best of kTimingRepeats.
constexpr int kTimingSampleRows = 256;
constexpr int kTimingRepeats = 3;
// Every column for at most a quarter more: the accepted point's second
// evaluation (a full one) is then saved.
constexpr double kAllColumnsMaxExtraCost = 1.25;
// Differences for A only when they take at most half the time of the cost
// function's own Jacobian: the choice changes the last bits of the values,
// so it must not flip between runs on a near tie.
constexpr double kDifferencesMaxRelativeCost = 0.5;
// ChooseLinearColumns times this many row blocks: every elimination needs A,
// so even small problems gain, and the sample must stay small beside them.
constexpr int kLinearColumnsSampleRows = 48;
using SmallMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0,
                                  kMaxBlockwiseSize, kMaxBlockwiseSize>;
using SmallVector =
    Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxBlockwiseSize, 1>;

// Solves (H + mu diag(H)) x = -g by Cholesky; false if (numerically) singular.
bool SolveDampedSmall(const SmallMatrix& h, const SmallVector& g, double mu,
                      SmallVector* x) {
  const int n = static_cast<int>(h.rows());
  const double max_diagonal = h.diagonal().maxCoeff();
  if (!(max_diagonal > 0.0)) return false;
  double a[kMaxBlockwiseSize * kMaxBlockwiseSize];  // Row-major.
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) a[i * n + j] = h(i, j);
    a[i * n + i] +=
        mu * std::max(h(i, i), kMinRelativeDampingDiagonal * max_diagonal);
  }
  if (!CholeskyFactorizeInPlace(a, n, max_diagonal)) return false;
  double minus_g[kMaxBlockwiseSize];
  for (int i = 0; i < n; ++i) minus_g[i] = -g(i);
  x->resize(n);
  CholeskySolve(a, n, minus_g, x->data());
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

  // Exact regime, coupled blocks, A varying with θ: one Jacobian and one Gram
  // factor as well. A candidate overwrites A and, where G varies, the factor;
  // when it is not accepted, RestoreCurrentJacobian evaluates (and factors)
  // them again at the current point. Rejections are a few per solve on pose
  // graphs, and the second copy was the largest part of the memory VarPro used
  // beyond Ceres's (city10000: the Jacobian and a 20k-column factor).
  one_varying_workspace_ =
      exact_step_ && analysis_.coupled && !analysis_.jacobian_constant;
  const bool share_jacobian = (exact_step_ && analysis_.jacobian_constant) ||
                              blockwise_ || one_varying_workspace_;
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
  if (!blockwise_) {  // Products with the whole Jacobian (exact, coupled).
    full_cols_ = Eigen::VectorXd::Zero(num_theta_ + num_linear_);
    linear_step_ = Eigen::VectorXd::Zero(num_linear_);
    trial_linear_ = Eigen::VectorXd::Zero(num_linear_);
  }

  if (num_linear_ == 0) return;
  const BlockSparseMatrix& jacobian = *current_->jacobian;
  const bool share_gram = exact_step_ && analysis_.gram_constant;
  if (analysis_.coupled) {
    // Factored once: worth checking for G = L ⊗ I_d.
    current_->sparse_gram = std::make_shared<SparseGramSolver>(
        program_, jacobian, options_.num_threads, options_.cholesky_mode,
        /*detect_kronecker=*/share_gram);
    candidate_->sparse_gram = share_gram || one_varying_workspace_
                                  ? current_->sparse_gram
                                  : current_->sparse_gram->Twin();
    for (Workspace* w : {current_.get(), candidate_.get()}) {
      w->gram = w->sparse_gram.get();
    }
    return;
  }
  independent_blocks_ = std::make_unique<IndependentBlocks>(
      jacobian, program_->num_nonlinear_columns());
  for (Workspace* w : {current_.get(), candidate_.get()}) {
    // A block that degenerates at some candidate is frozen rather than
    // allowed to put NaN into the Schur complement. Blockwise, one factor
    // serves both workspaces: a candidate's is only factored once it is
    // accepted (EvaluateJacobian), and with singular blocks frozen that
    // factorisation cannot fail half-way.
    w->block_gram = (share_gram || blockwise_) && w == candidate_.get()
                        ? current_->block_gram
                        : std::make_shared<BlockDiagonalGramSolver>(
                              program_, jacobian, options_.num_threads,
                              /*allow_singular_blocks=*/blockwise_);
    w->gram = w->block_gram.get();
  }
  block_costs_.assign(independent_blocks_->num_blocks(), 0.0);
  for (Workspace* w : {current_.get(), candidate_.get()}) {
    w->stale_blocks.assign(independent_blocks_->num_blocks(), 0);
  }
  overwritten_blocks_.assign(independent_blocks_->num_blocks(), 0);
  block_scratch_.resize(std::max(1, options_.num_threads));
}

Eliminator::~Eliminator() = default;

bool Eliminator::Fail(const std::string& message) {
  error_ = message;
  return false;
}

bool Eliminator::Initialize(std::string* error) {
  if (num_linear_ == 0) return true;
  program_->GetLinear(current_->linear.data());
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
  if (exact_step_ && !analysis_.jacobian_constant) ChooseLinearColumns();
  // A at the initial point. When A is constant both workspaces share it and
  // it is never evaluated again; otherwise the candidate workspace is the
  // one the first elimination (at the same point) will use, so it keeps the
  // evaluation and, in the exact regimes, the factorisation.
  candidate_->linear = current_->linear;
  Workspace* w = candidate_.get();
  double cost = 0.0;
  {
    // Blockwise: the columns the inner solves evaluate, so that the first
    // elimination's first pass over each block finds its rows ready.
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    const Columns columns = blockwise_ ? inner_columns_ : linear_columns_;
    if (!evaluator_->Evaluate(columns, &cost, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data())) {
      *error = "evaluation at the initial point failed: " + evaluator_->error();
      return false;
    }
  }
  has_initial_point_cost_ = true;
  initial_point_cost_ = cost;
  // Every eliminated block must be determined at the initial point.
  double* factor_time = &statistics_->factorization_time_in_seconds;
  if (blockwise_) {
    // The workspaces' factor (it freezes singular blocks instead of failing)
    // serves for the check; the first accepted point factors it again.
    w->initial_point_ready = true;
    return w->block_gram->Factorize(*w->jacobian, error) &&
           w->block_gram->CheckDetermined(error);
  }
  {
    ScopedTimer timer(factor_time);
    ++statistics_->num_gram_factorizations;
    if (!w->gram->Factorize(*w->jacobian, error)) return false;
  }
  // A constant G shared by both workspaces is never factored again.
  if (current_->sparse_gram != nullptr && exact_step_ &&
      analysis_.gram_constant) {
    current_->sparse_gram->ReleaseAssembly();
  }
  candidate_->initial_point_ready = exact_step_;
  return true;
}

// Best of kTimingRepeats wall times of evaluating the sample's row blocks
// into the candidate workspace with columns a and with columns b,
// interleaved. False if an evaluation failed.
bool Eliminator::TimeColumns(const std::vector<int>& sample, Columns a,
                             Columns b, double* time_a, double* time_b) {
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
  *time_a = *time_b = std::numeric_limits<double>::max();
  for (int repeat = 0; repeat < kTimingRepeats; ++repeat) {
    const double ta = time(a);
    const double tb = time(b);
    if (ta < 0.0 || tb < 0.0) return false;
    *time_a = std::min(*time_a, ta);
    *time_b = std::min(*time_b, tb);
  }
  return true;
}

void Eliminator::ChooseInnerColumns() {
  inner_columns_ = Columns::kLinear;
  // A sample of the row blocks the inner solves evaluate, timed with and
  // without the θ columns (best of three, interleaved). The choice only
  // moves work: the values are the same either way.
  std::vector<int> sample;
  const IndependentBlocks& blocks = *independent_blocks_;
  for (int k = 0; k < blocks.num_blocks() &&
                  static_cast<int>(sample.size()) < kTimingSampleRows;
       ++k) {
    for (const auto& row : blocks.rows(k)) sample.push_back(row.row_block);
  }
  if (sample.empty() || !evaluator_->UpdatePlusJacobians()) return;
  double linear = 0.0;
  double all = 0.0;
  if (!TimeColumns(sample, Columns::kLinear, Columns::kAll, &linear, &all)) {
    return;
  }
  if (all <= kAllColumnsMaxExtraCost * linear) inner_columns_ = Columns::kAll;
  VLOG(1) << "Inner solves evaluate "
          << (inner_columns_ == Columns::kAll ? "every column"
                                              : "linear columns")
          << " (sample: linear " << linear << " s, all " << all << " s)";
}

void Eliminator::ChooseLinearColumns() {
  linear_columns_ = Columns::kLinear;
  // The first row blocks, timed with the cost functions' Jacobians and with
  // differences.
  const int num_rows = std::min(kLinearColumnsSampleRows,
                                candidate_->jacobian->num_row_blocks());
  if (num_rows == 0) return;
  // Not worth timing where differences cannot pay even against AutoDiff
  // (summed over the sample, rows without linear blocks aside).
  int linear_parameters = 0;
  int parameters = 0;
  int rows = 0;
  for (int r = 0; r < num_rows; ++r) {
    const int rb = program_->active_residual_blocks()[r];
    int row_linear = 0;
    int row_parameters = 0;
    for (int p : program_->residual_blocks()[rb].parameter_blocks) {
      const Program::ParameterBlock& pb = program_->parameter_blocks()[p];
      row_parameters += pb.size;
      if (pb.col_block >= 0 && !program_->is_nonlinear_column(pb.col_block)) {
        row_linear += pb.size;
      }
    }
    if (row_linear == 0) continue;
    linear_parameters += row_linear;
    parameters += row_parameters;
    ++rows;
  }
  if (rows == 0 || !DifferencesCanPay(linear_parameters, parameters, rows)) {
    return;
  }
  std::vector<int> sample(num_rows);
  std::iota(sample.begin(), sample.end(), 0);
  double jacobians = 0.0;
  double differences = 0.0;
  if (!TimeColumns(sample, Columns::kLinear, Columns::kLinearByDifferences,
                   &jacobians, &differences)) {
    return;
  }
  if (differences <= kDifferencesMaxRelativeCost * jacobians) {
    linear_columns_ = Columns::kLinearByDifferences;
  }
  VLOG(1) << "A is evaluated by "
          << (linear_columns_ == Columns::kLinear ? "the cost functions"
                                                  : "differences")
          << " (sample: Jacobians " << jacobians << " s, differences "
          << differences << " s)";
}

void Eliminator::PrepareForEvaluation(bool evaluate_jacobians,
                                      bool new_evaluation_point) {
  if (new_evaluation_point) {
    ScopedTimer timer(evaluate_jacobians
                          ? &statistics_->jacobian_evaluation_time_in_seconds
                          : &statistics_->residual_evaluation_time_in_seconds);
    error_.clear();
    // Before the first accepted point, current() holds the initial l.
    const Eigen::VectorXd& base = current_->linear;
    ++statistics_->num_evaluations;
    // From here on the shared A and Gram factor are the candidate's.
    current_overwritten_ = one_varying_workspace_ && has_current_;
    ok_ = Solve(candidate_.get(), base);
    last_ = candidate_.get();
    // Nonlinear elimination: a step that sends many more points off to
    // where their inner solve fails (run-away, behind a camera) is rejected
    // as if the cost function had failed there, so the trust region shrinks.
    if (ok_ && blockwise_ && has_current_) {
      const int allowed = current_->num_bad_blocks +
                          std::max(kSafeguardMinExtraFailures,
                                   independent_blocks_->num_blocks() /
                                       kSafeguardBlocksPerExtraFailure);
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
      current_overwritten_ = false;
      // The shared Jacobian is the new current point's in full.
      if (any_rows_overwritten_) {
        std::fill(overwritten_blocks_.begin(), overwritten_blocks_.end(), 0);
        any_rows_overwritten_ = theta_only_rows_overwritten_ = false;
      }
    } else if (!ok_ && blockwise_ && has_current_ && w == candidate_.get()) {
      // A failed evaluation may have written any row.
      std::fill(overwritten_blocks_.begin(), overwritten_blocks_.end(), 1);
      any_rows_overwritten_ = theta_only_rows_overwritten_ = true;
    }
    if (ok_ && (blockwise_ || one_varying_workspace_)) {
      // θ of current(), for the predictions of the next candidates and for
      // RestoreCurrentJacobian.
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
        analysis_.jacobian_constant ? Columns::kNone : linear_columns_;
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
    for (double alpha = 1.0; alpha > kMinCoupledStepFraction; alpha *= 0.5) {
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
    if (decrease <= kNegligibleRelativeDecrease * cost) break;
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

// What one block's inner solve works on.
struct Eliminator::BlockSolve {
  Workspace* w;
  int k;  // Linear block.
  int thread_id;
  BlockScratch* scratch;
  Span<IndependentBlocks::Row> rows;
  double* values;  // The block's values in the user's memory.
  int n;           // Its size.
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

void Eliminator::PredictBlock(int k, const double* previous, int thread_id,
                              double* prediction) {
  const int n = independent_blocks_->block_size(k);
  std::copy(previous, previous + n, prediction);
  const BlockDiagonalGramSolver& gram = *current_->block_gram;
  if (gram.block_is_frozen(k)) return;
  const BlockSparseMatrix& j = *current_->jacobian;
  const double* values = j.values();
  const double* residuals = current_->residuals.data();
  const double* delta = step_.data();
  std::vector<double>& u = block_scratch_[thread_id].row;
  DispatchBlockSize(n, [&](auto size) {
    constexpr int kN = decltype(size)::value;
    const int nn = kN > 0 ? kN : n;
    double b[kMaxBlockwiseSize] = {0.0};
    for (const auto& row : independent_blocks_->rows(k)) {
      // u = r + J_θ δ on this row block.
      const int m = row.num_rows;
      const double* r = residuals + j.row_block_offset(row.row_block);
      u.assign(r, r + m);
      for (const auto& cell : independent_blocks_->cells(row)) {
        const int cols = cell.size;
        const double* x = delta + j.col_block_offset(cell.col_block);
        const double* a = values + cell.position;
        for (int i = 0; i < m; ++i) {
          double sum = 0.0;
          for (int t = 0; t < cols; ++t) sum += a[i * cols + t] * x[t];
          u[i] += sum;
        }
      }
      const double* a = values + row.linear_position;
      for (int i = 0; i < m; ++i) {
        for (int t = 0; t < nn; ++t) b[t] += a[i * nn + t] * u[i];
      }
    }
    double x[kMaxBlockwiseSize];
    gram.SolveBlock(k, b, x);
    for (int t = 0; t < nn; ++t) {
      if (std::isfinite(x[t])) prediction[t] -= x[t];
    }
  });
}

bool Eliminator::EvaluateBlockRows(const BlockSolve& b, Columns columns,
                                   bool record_costs, double* cost) {
  BlockSparseMatrix* jacobian = b.w->jacobian.get();
  double* residuals = b.w->residuals.data();
  double total = 0.0;
  for (const auto& row : b.rows) {
    const int r = row.row_block;
    double rc = 0.0;
    if (!evaluator_->EvaluateRowBlock(r, columns, b.thread_id, &rc,
                                      residuals + jacobian->row_block_offset(r),
                                      jacobian)) {
      return false;
    }
    if (record_costs) b.w->row_costs[r] = rc;
    total += rc;
  }
  *cost = total;
  return std::isfinite(total);
}

// The state at the last accepted inner iterate, to restore after a rejected
// trial.
void Eliminator::SaveBlockRows(const BlockSolve& b) {
  const BlockSparseMatrix& jacobian = *b.w->jacobian;
  const double* values = jacobian.values();
  BlockScratch* scratch = b.scratch;
  scratch->residuals.clear();
  scratch->row_costs.clear();
  scratch->cells.clear();
  for (const auto& row : b.rows) {
    const int r = row.row_block;
    const double* rr = b.w->residuals.data() + jacobian.row_block_offset(r);
    scratch->residuals.insert(scratch->residuals.end(), rr, rr + row.num_rows);
    scratch->row_costs.push_back(b.w->row_costs[r]);
    scratch->cells.insert(scratch->cells.end(),
                          values + jacobian.row_values_begin(r),
                          values + jacobian.row_values_begin(r + 1));
  }
}

void Eliminator::RestoreBlockRows(const BlockSolve& b) {
  BlockSparseMatrix* jacobian = b.w->jacobian.get();
  double* values = jacobian->values();
  const double* rr = b.scratch->residuals.data();
  const double* cc = b.scratch->cells.data();
  for (int i = 0; i < b.rows.size(); ++i) {
    const int r = b.rows[i].row_block;
    const int m = b.rows[i].num_rows;
    std::copy(rr, rr + m,
              b.w->residuals.data() + jacobian->row_block_offset(r));
    rr += m;
    b.w->row_costs[r] = b.scratch->row_costs[i];
    const int size =
        jacobian->row_values_begin(r + 1) - jacobian->row_values_begin(r);
    std::copy(cc, cc + size, values + jacobian->row_values_begin(r));
    cc += size;
  }
}

bool Eliminator::SolveBlock(Workspace* w, int k, int thread_id,
                            BlockScratch* scratch, const double* prediction,
                            const double* previous, bool rows_ready,
                            double* block_cost, int* passes, bool* converged,
                            bool* skipped) {
  const int c = program_->num_nonlinear_columns() + k;
  const auto& pb =
      program_->parameter_blocks()[program_->column_parameter_blocks()[c]];
  const BlockSolve b{
      w,         k,      thread_id, scratch, independent_blocks_->rows(k),
      pb.values, pb.size};
  if (prediction != nullptr && has_current_) {
    // Chord steps that converge end the solve without a Jacobian: a rejected
    // candidate then cost residuals only, an accepted one gets its rows'
    // Jacobian in EvaluateJacobian. The chord fixed point (A_currentᵀr = 0)
    // misses l* by O(|A - A_current| |r|), typically 1e-6..1e-4 relative on
    // BAL; the gradient's linearised step r - A G⁻¹Aᵀr absorbs that to second
    // order and the next prediction starts from the corrected point. Not with
    // a loss: A_current's loss weights do not fit the new residuals, and the
    // chord fixed point lands far from l* (a robust test problem's solve
    // ended at 10.26 instead of 6.82).
    double chord_cost = 0.0;
    if (StartFromPrediction(b, prediction, previous, &chord_cost) &&
        !analysis_.robust) {
      *block_cost = chord_cost;
      *converged = true;
      *skipped = true;
      return true;
    }
  }
  return SolveBlockGaussNewton(b, rows_ready, block_cost, passes, converged);
}

// Residuals only (cheap): start from the prediction only where it is at least
// as good as the previous solution (a long step can carry a prediction into
// another basin of the block's cost), then take chord steps with the current
// point's A and G, still on residuals only. True when they converged (their
// step below the inner tolerance), with the block's cost in *cost; else the
// Jacobian is evaluated and Gauss-Newton takes over.
bool Eliminator::StartFromPrediction(const BlockSolve& b,
                                     const double* prediction,
                                     const double* previous, double* cost) {
  const int n = b.n;
  double* lb = b.values;
  const double tol = options_.inner_iteration_tolerance;
  const BlockSparseMatrix& jacobian = *b.w->jacobian;
  double* residuals = b.w->residuals.data();
  double previous_cost = 0.0, x_cost = 0.0;
  std::copy(previous, previous + n, lb);
  const bool previous_ok =
      EvaluateBlockRows(b, Columns::kNone, false, &previous_cost);
  std::copy(prediction, prediction + n, lb);
  bool x_ok = EvaluateBlockRows(b, Columns::kNone, false, &x_cost);
  if (!x_ok || (previous_ok && previous_cost < x_cost)) {
    std::copy(previous, previous + n, lb);
    x_ok = EvaluateBlockRows(b, Columns::kNone, false, &x_cost);
  }
  const BlockDiagonalGramSolver& gram = *current_->block_gram;
  const double* a_values = current_->jacobian->values();
  std::vector<double>& saved_residuals = b.scratch->row;
  bool chord_converged = false;
  for (int it = 0; x_ok && !gram.block_is_frozen(b.k) && it < kMaxChordSteps;
       ++it) {
    double g[kMaxBlockwiseSize] = {0.0};
    for (const auto& row : b.rows) {
      const double* r = residuals + jacobian.row_block_offset(row.row_block);
      const double* a = a_values + row.linear_position;
      for (int i = 0; i < row.num_rows; ++i) {
        for (int t = 0; t < n; ++t) g[t] += a[i * n + t] * r[i];
      }
    }
    double dx[kMaxBlockwiseSize];
    gram.SolveBlock(b.k, g, dx);
    double dx_norm = 0.0, l_norm = 0.0;
    for (int t = 0; t < n; ++t) {
      dx_norm += dx[t] * dx[t];
      l_norm += lb[t] * lb[t];
    }
    if (!std::isfinite(dx_norm)) break;
    if (std::sqrt(dx_norm) <= tol * (std::sqrt(l_norm) + tol)) {
      chord_converged = true;
      break;
    }
    saved_residuals.clear();
    for (const auto& row : b.rows) {
      const double* rr = residuals + jacobian.row_block_offset(row.row_block);
      saved_residuals.insert(saved_residuals.end(), rr, rr + row.num_rows);
    }
    for (int t = 0; t < n; ++t) lb[t] -= dx[t];
    double trial_cost = 0.0;
    if (EvaluateBlockRows(b, Columns::kNone, false, &trial_cost) &&
        trial_cost <= x_cost) {
      x_cost = trial_cost;
      continue;
    }
    for (int t = 0; t < n; ++t) lb[t] += dx[t];
    const double* rr = saved_residuals.data();
    for (const auto& row : b.rows) {
      std::copy(rr, rr + row.num_rows,
                residuals + jacobian.row_block_offset(row.row_block));
      rr += row.num_rows;
    }
    break;
  }
  *cost = x_cost;
  return x_ok && chord_converged;
}

// Levenberg-Marquardt on the block from the values in the user's memory;
// rows_ready: its rows are already evaluated there.
bool Eliminator::SolveBlockGaussNewton(const BlockSolve& b, bool rows_ready,
                                       double* block_cost, int* passes,
                                       bool* converged) {
  const int n = b.n;
  double* lb = b.values;
  const double tol = options_.inner_iteration_tolerance *
                     (has_current_ ? 1.0 : kInitialPointInnerToleranceFactor);
  const BlockSparseMatrix& jacobian = *b.w->jacobian;
  const double* values = jacobian.values();
  const double* residuals = b.w->residuals.data();
  double cost = 0.0;
  if (rows_ready) {
    for (const auto& row : b.rows) cost += b.w->row_costs[row.row_block];
  } else if (!EvaluateBlockRows(b, inner_columns_, true, &cost)) {
    return false;
  }
  SmallMatrix h(n, n);
  SmallVector g(n), step(n), saved(n);
  double mu = 0.0;
  *converged = false;
  for (int it = 0; it < options_.max_inner_iterations; ++it) {
    // Plain loops: Eigen sends these tiny products (3 x 3 for points) to
    // its GEMV kernels.
    h.setZero();
    g.setZero();
    double* hd = h.data();
    for (const auto& row : b.rows) {
      const double* a = values + row.linear_position;
      const double* re = residuals + jacobian.row_block_offset(row.row_block);
      for (int i = 0; i < row.num_rows; ++i) {
        const double* ai = a + i * n;
        for (int s = 0; s < n; ++s) {
          g(s) += ai[s] * re[i];
          for (int t = 0; t < n; ++t) hd[s * n + t] += ai[s] * ai[t];
        }
      }
    }
    if (!SolveDampedSmall(h, g, mu, &step)) {
      if (mu >= kMaxInnerDamping) break;  // Degenerate: frozen by the Gram.
      mu = std::max(kSingularInnerDamping, mu * kInnerDampingIncrease);
      continue;
    }
    const double l_norm = ConstVectorRef(lb, n).norm();
    if (step.norm() <= tol * (l_norm + tol)) {
      *converged = true;
      break;
    }
    SaveBlockRows(b);
    for (int i = 0; i < n; ++i) {
      saved(i) = lb[i];
      lb[i] += step(i);
    }
    ++*passes;
    double trial_cost = 0.0;
    if (EvaluateBlockRows(b, inner_columns_, true, &trial_cost) &&
        trial_cost <= cost) {
      const double decrease = cost - trial_cost;
      cost = trial_cost;
      mu = mu > 0.0 ? std::max(mu * kInnerDampingDecrease, kMinInnerDamping)
                    : 0.0;
      if (decrease <= kNegligibleRelativeDecrease * cost) {
        *converged = true;
        break;
      }
    } else {
      for (int i = 0; i < n; ++i) lb[i] = saved(i);
      RestoreBlockRows(b);
      mu = mu > 0.0 ? mu * kInnerDampingIncrease : kInitialInnerDamping;
      if (mu > kMaxInnerDamping) break;
    }
  }
  *block_cost = cost;
  return true;
}

bool Eliminator::SolveBlockwise(Workspace* w, const Eigen::VectorXd& base) {
  DCHECK(blockwise_ && independent_blocks_ != nullptr);
  DCHECK(w == candidate_.get());
  // The prediction and the chord steps read current()'s rows.
  if (has_current_ && !RestoreCurrentJacobian()) return false;
  // Initialize() evaluated every row at this very point.
  const bool rows_ready = w->initial_point_ready && !has_current_;
  w->initial_point_ready = false;
  // δ from current(): each block then starts from its prediction.
  const bool predicted = has_current_ && ComputeStepFromCurrent();
  program_->SetLinear(base.data());
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
  std::atomic<bool> ok{true};
  const std::vector<int>& theta_only_rows =
      independent_blocks_->theta_only_rows();
  // From here on the candidate writes rows over current()'s (one Jacobian).
  if (has_current_) {
    any_rows_overwritten_ = true;
    theta_only_rows_overwritten_ =
        theta_columns != Columns::kNone && !theta_only_rows.empty();
  }
  if (!rows_ready && !EvaluateThetaOnlyRows(w, theta_columns)) {
    return Fail(evaluator_->error());
  }

  std::vector<PerThread<int>> inner_passes(nt);
  std::vector<PerThread<int>> bad(nt);
  std::vector<PerThread<int>> stale(nt);
  const auto& params = program_->parameter_blocks();
  ParallelFor(nt, 0, independent_blocks_->num_blocks(), [&](int tid, int k) {
    bool converged = false;
    bool skipped = false;
    const auto& pb = params[program_->column_parameter_blocks()[first + k]];
    const double* previous = base.data() + pb.state_offset;
    // Read before the block's own solve overwrites its rows (one Jacobian).
    double prediction[kMaxBlockwiseSize];
    if (predicted) PredictBlock(k, previous, tid, prediction);
    if (!SolveBlock(w, k, tid, &block_scratch_[tid],
                    predicted ? prediction : nullptr, previous, rows_ready,
                    &block_costs_[k], &inner_passes[tid].value, &converged,
                    &skipped)) {
      if (has_current_) overwritten_blocks_[k] = 1;
      ok.store(false, std::memory_order_relaxed);
      return;
    }
    // Gauss-Newton evaluated the block's rows; chord steps evaluate
    // residuals only.
    if (!skipped && has_current_) overwritten_blocks_[k] = 1;
    w->stale_blocks[k] = skipped;
    if (skipped) ++stale[tid].value;
    if (!converged) ++bad[tid].value;
  });
  w->num_stale_blocks = 0;
  for (const auto& s : stale) w->num_stale_blocks += s.value;
  statistics_->num_chord_converged_blocks += w->num_stale_blocks;
  if (!ok) return Fail(evaluator_->error());
  for (const auto& p : inner_passes) {
    statistics_->num_inner_iterations += p.value;
  }
  w->num_bad_blocks = 0;
  for (const auto& b : bad) w->num_bad_blocks += b.value;

  // Summed in a fixed order, so the cost repeats bit for bit whichever
  // thread evaluated which block.
  double total = 0.0;
  for (const int r : theta_only_rows) total += w->row_costs[r];
  for (double c : block_costs_) total += c;
  w->cost = total;
  program_->GetLinear(w->linear.data());
  if (!w->linear.allFinite() || !std::isfinite(total)) {
    return Fail("the linear blocks' solution is not finite");
  }
  w->jacobian_complete = inner_columns_ == Columns::kAll;
  w->loose_inner_solves = !has_current_;
  return true;
}

bool Eliminator::FinishCurrent() {
  if (!has_current_ || !current_->loose_inner_solves) return true;
  current_->loose_inner_solves = false;
  // θ is current()'s, so each block starts from its own l and the chord
  // steps with current()'s A finish it.
  if (!Solve(candidate_.get(), current_->linear)) return false;
  last_ = candidate_.get();
  current_->linear = candidate_->linear;
  return true;
}

bool Eliminator::RestoreCurrentJacobian() {
  if (current_overwritten_) return RestoreCurrentPoint();
  if (!any_rows_overwritten_) return true;
  DCHECK(blockwise_ && has_current_);
  ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
  MoveUserMemoryToCurrent();
  // Residuals and row costs are written again too, with the same values.
  int restored = 0;
  const bool ok =
      evaluator_->UpdatePlusJacobians() &&
      EvaluateFlaggedBlocks(current_.get(), &overwritten_blocks_, &restored) &&
      (!theta_only_rows_overwritten_ ||
       EvaluateThetaOnlyRows(current_.get(), Columns::kAll));
  // The PlusJacobians stay current()'s: whoever evaluates rows with every
  // column next updates them first (a rejected θ need not even be finite).
  RestoreUserMemory();
  if (!ok) {
    return Fail("evaluating the current point again failed: " +
                evaluator_->error());
  }
  statistics_->num_restored_blocks += restored;
  any_rows_overwritten_ = theta_only_rows_overwritten_ = false;
  return true;
}

void Eliminator::MoveUserMemoryToCurrent() {
  saved_theta_.resize(program_->num_theta_ambient());
  saved_linear_.resize(num_linear_);
  program_->GetTheta(saved_theta_.data());
  program_->GetLinear(saved_linear_.data());
  program_->SetTheta(current_theta_.data());
  program_->SetLinear(current_->linear.data());
}

void Eliminator::RestoreUserMemory() {
  program_->SetTheta(saved_theta_.data());
  program_->SetLinear(saved_linear_.data());
}

bool Eliminator::RestoreCurrentPoint() {
  DCHECK(one_varying_workspace_ && has_current_);
  MoveUserMemoryToCurrent();
  // The evaluation that accepted this point again (every column, at the same
  // θ and l*): the same Jacobian, residuals and row costs to the last bit, so
  // the same factor.
  Workspace* w = current_.get();
  bool ok;
  {
    ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
    double cost = 0.0;
    ok = evaluator_->Evaluate(Columns::kAll, &cost, w->residuals.data(),
                              w->jacobian.get(), w->row_costs.data());
  }
  RestoreUserMemory();
  if (!ok) {
    return Fail("evaluating the current point again failed: " +
                evaluator_->error());
  }
  // A constant G was not factored again for the candidate (its assembly is
  // released): only A was overwritten.
  if (!analysis_.gram_constant && !FactorGram(w)) return false;
  ++statistics_->num_current_point_restorations;
  current_overwritten_ = false;
  return true;
}

bool Eliminator::EvaluateFlaggedBlocks(Workspace* w, std::vector<char>* flags,
                                       int* count) {
  const int nt = evaluator_->num_threads();
  std::atomic<bool> ok{true};
  std::vector<PerThread<int>> counts(nt);
  ParallelFor(nt, 0, independent_blocks_->num_blocks(), [&](int tid, int k) {
    if (!(*flags)[k]) return;
    const BlockSolve b{
        w,       k, tid, &block_scratch_[tid], independent_blocks_->rows(k),
        nullptr, 0};
    double cost = 0.0;
    if (!EvaluateBlockRows(b, Columns::kAll, true, &cost)) {
      ok.store(false, std::memory_order_relaxed);
      return;  // Still flagged.
    }
    (*flags)[k] = 0;
    ++counts[tid].value;
  });
  *count = 0;
  for (const auto& c : counts) *count += c.value;
  return ok;
}

bool Eliminator::EvaluateThetaOnlyRows(Workspace* w, Columns columns) {
  BlockSparseMatrix* jacobian = w->jacobian.get();
  const std::vector<int>& rows = independent_blocks_->theta_only_rows();
  std::atomic<bool> ok{true};
  ParallelFor(evaluator_->num_threads(), 0, static_cast<int>(rows.size()),
              [&](int tid, int i) {
                const int r = rows[i];
                double c = 0.0;
                if (!evaluator_->EvaluateRowBlock(
                        r, columns, tid, &c,
                        w->residuals.data() + jacobian->row_block_offset(r),
                        jacobian)) {
                  ok.store(false, std::memory_order_relaxed);
                }
                w->row_costs[r] = c;
              });
  return ok;
}

// The rows of the blocks whose inner solve ended in chord steps, at the values
// it left (the same point: residuals and costs do not change).
bool Eliminator::EvaluateStaleBlocks(Workspace* w) {
  ScopedTimer timer(&statistics_->evaluation_time_in_seconds);
  int evaluated = 0;
  const bool ok = evaluator_->UpdatePlusJacobians() &&
                  EvaluateFlaggedBlocks(w, &w->stale_blocks, &evaluated);
  w->num_stale_blocks = 0;
  if (!ok) return Fail(evaluator_->error());
  return true;
}

void Eliminator::ComputeGradientResiduals(Workspace* w) {
  // Into the other workspace's residuals (see Workspace).
  Workspace* other = w == current_.get() ? candidate_.get() : current_.get();
  Eigen::VectorXd& out = other->residuals;
  other->gradient_residuals = nullptr;
  w->gradient_residuals = out.data();
  out = w->residuals;
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
    w->jacobian->RightMultiply(full_cols_.data(), out.data(), first, end, nt);
    return;
  }
  // Independent blocks: z_k = G_k⁻¹ A_kᵀr block by block, then r - A_k z_k.
  const BlockSparseMatrix& j = *w->jacobian;
  const BlockDiagonalGramSolver& gram = *w->block_gram;
  const IndependentBlocks& blocks = *independent_blocks_;
  const double* values = j.values();
  ParallelFor(options_.num_threads, 0, blocks.num_blocks(), [&](int, int k) {
    if (gram.block_is_frozen(k)) return;
    DispatchBlockSize(blocks.block_size(k), [&](auto size) {
      constexpr int kN = decltype(size)::value;
      const int n = kN > 0 ? kN : blocks.block_size(k);
      double b[kMaxBlockwiseSize] = {0.0};
      for (const auto& row : blocks.rows(k)) {
        const double* r =
            w->residuals.data() + j.row_block_offset(row.row_block);
        const double* a = values + row.linear_position;
        for (int i = 0; i < row.num_rows; ++i) {
          for (int t = 0; t < n; ++t) b[t] += a[i * n + t] * r[i];
        }
      }
      double z[kMaxBlockwiseSize];
      gram.SolveBlock(k, b, z);
      for (const auto& row : blocks.rows(k)) {
        double* row_out = out.data() + j.row_block_offset(row.row_block);
        const double* a = values + row.linear_position;
        for (int i = 0; i < row.num_rows; ++i) {
          double sum = 0.0;
          for (int t = 0; t < n; ++t) sum += a[i * n + t] * z[t];
          row_out[i] -= sum;
        }
      }
    });
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
    std::fill(w->stale_blocks.begin(), w->stale_blocks.end(), 0);
    w->num_stale_blocks = 0;
  } else if (w->num_stale_blocks > 0 && !EvaluateStaleBlocks(w)) {
    return false;
  }
  // With losses or non-affine blocks G depends on l* as well: refactor here.
  if (num_linear_ == 0 || exact_step_) return true;
  if (!FactorGram(w)) {
    // Blockwise, the factor current() shares would be half overwritten.
    CHECK(!blockwise_) << error_;
    return false;
  }
  if (blockwise_) {
    statistics_->num_degenerate_blocks = w->block_gram->num_frozen();
  }
  ComputeGradientResiduals(w);
  return true;
}

}  // namespace ceres_varpro::internal

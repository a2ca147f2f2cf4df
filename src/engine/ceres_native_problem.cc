// Ceres-native VarPro: a reduced ceres::Problem whose residual blocks are
// compressed by the QR factorisation of each linear block's Jacobian, driven
// by the Eliminator as the problem's EvaluationCallback.

#include "ceres_varpro/ceres_native_problem.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "Eigen/Dense"
#include "ceres/ceres.h"
#include "engine/eliminator.h"
#include "engine/parallel_for.h"
#include "engine/program.h"
#include "engine/residual_evaluator.h"
#include "engine/structure_analyzer.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro {

using internal::BlockSparseMatrix;
using internal::Eliminator;
using internal::ParallelFor;
using internal::Program;
using internal::ResidualEvaluator;
using internal::StructureAnalysis;

namespace {

using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRef = Eigen::Map<const RowMajorMatrix>;

// The residual blocks of one eliminated linear block, compressed.
struct Group {
  int col_block = -1;
  std::vector<int> rows;
  int m = 0;                      // Stacked residuals.
  int p = 0;                      // Size of the linear block.
  std::vector<int> theta_blocks;  // θ parameter blocks touched (program ids).
  std::vector<int> theta_offset;  // Their first column in K, -1 if fixed.
  int k_cols = 0;
  size_t residual_offset = 0;
  size_t jacobian_offset = 0;
  int num_reduced() const { return m - p + 1; }
};

}  // namespace

class CeresNativeProblem::Impl : public ceres::EvaluationCallback {
 public:
  bool Build(const Solver::Options& options, ceres::Problem* problem,
             std::string* error);
  void PrepareForEvaluation(bool evaluate_jacobians,
                            bool new_evaluation_point) override;

  // What the group cost functions read.
  bool ok() const { return ok_; }
  const double* group_residuals(const Group& g) const {
    return residuals_.data() + g.residual_offset;
  }
  const double* group_jacobian(const Group& g) const {
    return jacobians_.data() + g.jacobian_offset;
  }

  Program program_;
  StructureAnalysis analysis_;
  VarProStatistics stats_;
  std::unique_ptr<ResidualEvaluator> evaluator_;
  std::unique_ptr<Eliminator> eliminator_;
  std::unique_ptr<ceres::Problem> reduced_;
  std::vector<Group> groups_;
  std::vector<std::unique_ptr<ceres::CostFunction>> group_cost_functions_;
  std::vector<double> residuals_, jacobians_;
  int num_theta_free_groups_ = 0;
  double initial_cost_ = 0.0;
  int num_threads_ = 1;
  bool ok_ = false;

 private:
  void Compress(const Group& g, bool jacobians);
};

namespace {

class GroupCostFunction : public ceres::CostFunction {
 public:
  GroupCostFunction(const CeresNativeProblem::Impl* impl, const Group* group,
                    const Program& program)
      : impl_(impl), group_(group) {
    set_num_residuals(group->num_reduced());
    for (int p : group->theta_blocks) {
      mutable_parameter_block_sizes()->push_back(
          program.parameter_blocks()[p].size);
    }
  }

  // The values were computed by the callback for the point Ceres is
  // evaluating; parameters are not read here.
  bool Evaluate(double const* const* /*parameters*/, double* residuals,
                double** jacobians) const override {
    if (!impl_->ok()) return false;
    const Group& g = *group_;
    const int n = g.num_reduced();
    std::copy(impl_->group_residuals(g), impl_->group_residuals(g) + n,
              residuals);
    if (jacobians == nullptr) return true;
    const ConstMatrixRef k(impl_->group_jacobian(g), n, g.k_cols);
    for (size_t i = 0; i < g.theta_blocks.size(); ++i) {
      if (jacobians[i] == nullptr) continue;
      const int size = parameter_block_sizes()[i];
      if (g.theta_offset[i] < 0) {  // A fixed block: Ceres should not ask.
        Eigen::Map<RowMajorMatrix>(jacobians[i], n, size).setZero();
      } else {
        Eigen::Map<RowMajorMatrix>(jacobians[i], n, size) =
            k.middleCols(g.theta_offset[i], size);
      }
    }
    return true;
  }

 private:
  const CeresNativeProblem::Impl* impl_;
  const Group* group_;
};

}  // namespace

bool CeresNativeProblem::Impl::Build(const Solver::Options& options,
                                     ceres::Problem* problem,
                                     std::string* error) {
  num_threads_ = std::max(1, options.num_threads);
  const double start = internal::WallTimeInSeconds();
  if (!Program::Build(*problem, options.linear_parameter_blocks, &program_,
                      error) ||
      !AnalyzeStructure(options, &program_, &analysis_, error,
                        /*ambient_theta=*/true)) {
    return false;
  }
  if (analysis_.regime != EliminationRegime::INDEPENDENT_AFFINE &&
      analysis_.regime != EliminationRegime::INDEPENDENT_NONLINEAR) {
    *error = std::string(
                 "the Ceres-native mode needs independent linear blocks "
                 "(no residual block touching two of them); this problem "
                 "is ") +
             EliminationRegimeToString(analysis_.regime) +
             ": use ceres_varpro::Solve instead";
    return false;
  }
  stats_.regime = analysis_.regime;
  stats_.num_linear_blocks = analysis_.num_linear_blocks;
  stats_.num_components = analysis_.num_components;
  stats_.num_gauge_pins = analysis_.num_pins;
  stats_.num_user_fixed_linear_blocks = analysis_.num_user_fixed_linear_blocks;
  stats_.num_eliminated_parameters = program_.num_linear_parameters();
  stats_.num_eliminated_blocks =
      program_.num_column_blocks() - program_.num_nonlinear_columns();

  evaluator_ = std::make_unique<ResidualEvaluator>(&program_, num_threads_);
  {
    std::vector<double> r(evaluator_->num_residuals());
    double fixed = 0.0;
    if (!program_.EvaluateFixedCost(&fixed, error)) return false;
    if (!evaluator_->Evaluate(ResidualEvaluator::Columns::kNone, &initial_cost_,
                              r.data(), nullptr)) {
      *error = "evaluation at the initial point failed: " + evaluator_->error();
      return false;
    }
    initial_cost_ += fixed;
  }
  Eliminator::Options eo;
  eo.num_threads = num_threads_;
  eo.max_inner_iterations = options.max_inner_iterations;
  eo.inner_iteration_tolerance = options.inner_iteration_tolerance;
  eliminator_ = std::make_unique<Eliminator>(&program_, analysis_,
                                             evaluator_.get(), eo, &stats_);
  if (!eliminator_->Initialize(error)) return false;

  // Groups and their cache layout.
  const BlockSparseMatrix& j = *eliminator_->current().jacobian;
  const int first = program_.num_nonlinear_columns();
  size_t residual_size = 0, jacobian_size = 0;
  for (size_t k = 0; k < eliminator_->block_rows().size(); ++k) {
    Group g;
    g.col_block = first + static_cast<int>(k);
    g.rows = eliminator_->block_rows()[k];
    g.p = j.col_block_size(g.col_block);
    for (int r : g.rows) {
      g.m += j.row_block_size(r);
      const int rb = program_.active_residual_blocks()[r];
      for (int p : program_.residual_blocks()[rb].parameter_blocks) {
        if (!program_.parameter_blocks()[p].linear) g.theta_blocks.push_back(p);
      }
    }
    std::sort(g.theta_blocks.begin(), g.theta_blocks.end());
    g.theta_blocks.erase(
        std::unique(g.theta_blocks.begin(), g.theta_blocks.end()),
        g.theta_blocks.end());
    for (int p : g.theta_blocks) {
      const int c = program_.parameter_blocks()[p].col_block;
      g.theta_offset.push_back(c >= 0 ? g.k_cols : -1);
      if (c >= 0) g.k_cols += j.col_block_size(c);
    }
    if (g.m < g.p) {
      *error = program_.DescribeParameterBlock(
                   program_.column_parameter_blocks()[g.col_block]) +
               " has fewer residuals than parameters: it is undetermined";
      return false;
    }
    g.residual_offset = residual_size;
    g.jacobian_offset = jacobian_size;
    residual_size += g.num_reduced();
    jacobian_size += static_cast<size_t>(g.num_reduced()) * g.k_cols;
    groups_.push_back(std::move(g));
  }
  residuals_.assign(residual_size, 0.0);
  jacobians_.assign(jacobian_size, 0.0);

  // The reduced problem: same memory, manifolds and cost functions.
  ceres::Problem::Options po;
  po.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  po.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  po.manifold_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  po.evaluation_callback = this;
  reduced_ = std::make_unique<ceres::Problem>(po);
  auto add_block = [&](int p) {
    const Program::ParameterBlock& pb = program_.parameter_blocks()[p];
    if (reduced_->HasParameterBlock(pb.values)) return;
    reduced_->AddParameterBlock(pb.values, pb.size,
                                const_cast<ceres::Manifold*>(pb.manifold));
    if (pb.constant || pb.linear)
      reduced_->SetParameterBlockConstant(pb.values);
    for (int i = 0; i < pb.size && pb.has_bounds; ++i) {
      reduced_->SetParameterLowerBound(
          pb.values, i, problem->GetParameterLowerBound(pb.values, i));
      reduced_->SetParameterUpperBound(
          pb.values, i, problem->GetParameterUpperBound(pb.values, i));
    }
  };
  std::vector<char> grouped(program_.residual_blocks().size(), 0);
  for (const Group& g : groups_) {
    for (int r : g.rows) grouped[program_.active_residual_blocks()[r]] = 1;
  }
  std::vector<double*> params;
  for (size_t r = 0; r < program_.residual_blocks().size(); ++r) {
    if (grouped[r]) continue;
    const Program::ResidualBlock& rb = program_.residual_blocks()[r];
    params.clear();
    for (int p : rb.parameter_blocks) {
      add_block(p);
      params.push_back(program_.parameter_blocks()[p].values);
    }
    reduced_->AddResidualBlock(
        const_cast<ceres::CostFunction*>(rb.cost_function),
        const_cast<ceres::LossFunction*>(rb.loss_function), params);
  }
  for (const Group& g : groups_) {
    if (g.theta_blocks.empty()) {
      // Touches linear blocks only: its cost does not depend on θ.
      ++num_theta_free_groups_;
      continue;
    }
    params.clear();
    for (int p : g.theta_blocks) {
      add_block(p);
      params.push_back(program_.parameter_blocks()[p].values);
    }
    group_cost_functions_.push_back(
        std::make_unique<GroupCostFunction>(this, &g, program_));
    reduced_->AddResidualBlock(group_cost_functions_.back().get(), nullptr,
                               params);
  }
  stats_.analysis_time_in_seconds = internal::WallTimeInSeconds() - start;
  return true;
}

// Q₂ᵀr and Q₂ᵀJ_θ of one group, from the eliminator's last point.
void CeresNativeProblem::Impl::Compress(const Group& g, bool jacobians) {
  const Eliminator::Workspace& w = eliminator_->last();
  const BlockSparseMatrix& j = *w.jacobian;
  Eigen::MatrixXd a(g.m, g.p);
  Eigen::VectorXd r(g.m);
  Eigen::MatrixXd jt = Eigen::MatrixXd::Zero(g.m, jacobians ? g.k_cols : 0);
  double cost = 0.0;
  int offset = 0;
  for (int row : g.rows) {
    const int m = j.row_block_size(row);
    r.segment(offset, m) = w.residuals.segment(j.row_block_offset(row), m);
    const int rb = program_.active_residual_blocks()[row];
    cost += program_.residual_blocks()[rb].loss_function != nullptr
                ? w.row_costs[row]
                : 0.5 * r.segment(offset, m).squaredNorm();
    for (auto* cell = j.row_cells_begin(row); cell != j.row_cells_end(row);
         ++cell) {
      const int size = j.col_block_size(cell->col_block);
      const ConstMatrixRef values(j.values() + cell->position, m, size);
      if (cell->col_block == g.col_block) {
        a.middleRows(offset, m) = values;
      } else if (jacobians) {
        const int p = program_.column_parameter_blocks()[cell->col_block];
        const size_t i =
            std::lower_bound(g.theta_blocks.begin(), g.theta_blocks.end(), p) -
            g.theta_blocks.begin();
        jt.block(offset, g.theta_offset[i], m, size) = values;
      }
    }
    offset += m;
  }
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  const Eigen::VectorXd qtr = qr.householderQ().transpose() * r;
  const int n = g.num_reduced();
  double* out = residuals_.data() + g.residual_offset;
  const Eigen::VectorXd tail = qtr.tail(g.m - g.p);
  Eigen::Map<Eigen::VectorXd>(out, n - 1) = tail;
  // With robust losses ½‖Q₂ᵀr̃‖² differs from the robust cost; the extra
  // component (Jacobian zero) restores it without touching the gradient.
  out[n - 1] = std::sqrt(std::max(0.0, 2.0 * cost - tail.squaredNorm()));
  if (!jacobians) return;
  const Eigen::MatrixXd qtj = qr.householderQ().transpose() * jt;
  Eigen::Map<RowMajorMatrix> k(jacobians_.data() + g.jacobian_offset, n,
                               g.k_cols);
  k.topRows(n - 1) = qtj.bottomRows(g.m - g.p);
  k.row(n - 1).setZero();
}

void CeresNativeProblem::Impl::PrepareForEvaluation(bool evaluate_jacobians,
                                                    bool new_evaluation_point) {
  eliminator_->PrepareForEvaluation(evaluate_jacobians, new_evaluation_point);
  ok_ = eliminator_->ok();
  if (!ok_) return;
  const bool jacobians = evaluate_jacobians;
  ParallelFor(num_threads_, 0, static_cast<int>(groups_.size()),
              [&](int, int k) { Compress(groups_[k], jacobians); });
  for (double v : residuals_) {
    if (!std::isfinite(v)) {
      ok_ = false;
      return;
    }
  }
}

CeresNativeProblem::CeresNativeProblem(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

CeresNativeProblem::~CeresNativeProblem() = default;

std::unique_ptr<CeresNativeProblem> CeresNativeProblem::Create(
    const Solver::Options& options, ceres::Problem* problem,
    std::string* error) {
  CHECK(problem != nullptr);
  auto impl = std::make_unique<Impl>();
  if (!impl->Build(options, problem, error)) return nullptr;
  return std::unique_ptr<CeresNativeProblem>(
      new CeresNativeProblem(std::move(impl)));
}

ceres::Problem* CeresNativeProblem::reduced_problem() {
  return impl_->reduced_.get();
}

const VarProStatistics& CeresNativeProblem::statistics() const {
  return impl_->stats_;
}

double CeresNativeProblem::initial_cost() const { return impl_->initial_cost_; }

bool CeresNativeProblem::WriteLinearSolution(std::string* error) {
  // θ is in the user's memory (where ceres::Solve left its best point).
  impl_->eliminator_->PrepareForEvaluation(/*evaluate_jacobians=*/false,
                                           /*new_evaluation_point=*/true);
  if (!impl_->eliminator_->ok()) {
    *error =
        "elimination failed at the final point: " + impl_->eliminator_->error();
    return false;
  }
  return true;
}

void SolveWithCeres(const Solver::Options& options, ceres::Problem* problem,
                    Solver::Summary* summary) {
  *summary = Solver::Summary();
  const double start = internal::WallTimeInSeconds();
  auto fail = [&](const std::string& message) {
    summary->termination_type = ceres::FAILURE;
    summary->message = message;
  };
  if (options.check_gradients) {
    fail(
        "check_gradients would bypass the EvaluationCallback that solves the "
        "linear blocks; check the cost functions with ceres::Solve instead");
    return;
  }
  if (options.use_inner_iterations) {
    fail(
        "inner iterations cannot be combined with the Ceres-native mode (Ceres "
        "rejects them with an EvaluationCallback)");
    return;
  }
  std::string error;
  std::unique_ptr<CeresNativeProblem> native =
      CeresNativeProblem::Create(options, problem, &error);
  if (native == nullptr) {
    fail(error);
    return;
  }
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(options, native->reduced_problem(), &ceres_summary);
  static_cast<ceres::Solver::Summary&>(*summary) = ceres_summary;
  if (ceres_summary.IsSolutionUsable() &&
      !native->WriteLinearSolution(&error)) {
    fail(error);
  }
  summary->varpro = native->statistics();
  summary->initial_cost = native->initial_cost();
  summary->total_time_in_seconds = internal::WallTimeInSeconds() - start;
}

}  // namespace ceres_varpro

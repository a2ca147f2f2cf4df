// Ceres-native VarPro: a reduced ceres::Problem whose residual blocks are
// compressed by the QR factorisation of each linear block's Jacobian, driven
// by the Eliminator as the problem's EvaluationCallback.

#include "ceres_varpro/ceres_native_problem.h"

#include <algorithm>
#include <cmath>

#include "Eigen/Dense"
#include "ceres/ceres.h"
#include "engine/eigen_types.h"
#include "engine/independent_blocks.h"
#include "engine/parallel_for.h"
#include "engine/preprocessor.h"
#include "engine/small_kernels.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro {

using internal::BlockSparseMatrix;
using internal::ConstMatrixRef;
using internal::Eliminator;
using internal::IndependentBlocks;
using internal::MatrixRef;
using internal::ParallelFor;
using internal::Program;
using internal::RowMajorMatrix;

namespace {

// A linear block's column pivoted QR counts a column as dependent below
// this fraction of the largest pivot: the engine's degenerate Cholesky pivot
// ratio in R's terms (R's pivots are G's square roots).
const double kDegenerateColumnRatio =
    std::sqrt(internal::kDegeneratePivotRatio);

// One eliminated linear block's residual blocks, compressed to
// num_reduced() residuals over the θ parameter blocks they touch.
struct Group {
  int block = -1;  // Linear block (IndependentBlocks' index).
  int m = 0;       // Stacked residuals.
  int p = 0;       // Size of the linear block.
  int k_cols = 0;  // Columns of K = Q₂ᵀJ_θ (the variable θ blocks).
  // θ parameter blocks touched (program indices, ascending), and their first
  // column in K (-1 when fixed).
  std::vector<int> theta_blocks;
  std::vector<int> theta_offset;
  size_t residual_offset = 0;
  size_t jacobian_offset = 0;
  // Rows of the group's cost function: Q₂ᵀr for a linear block of full
  // rank (m - p rows), one more for a block of rank p - 1 (the degenerate
  // case: a point whose rays are nearly parallel), and the cost row.
  int num_reduced() const { return m - p + 2; }
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

  internal::PreprocessedProblem pp_;
  VarProStatistics stats_;
  std::unique_ptr<ceres::Problem> reduced_;
  std::vector<Group> groups_;
  std::vector<std::unique_ptr<ceres::CostFunction>> group_cost_functions_;
  std::vector<double> residuals_, jacobians_;
  int num_threads_ = 1;
  bool ok_ = false;

 private:
  bool BuildGroups(std::string* error);
  void BuildReducedProblem();
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
        MatrixRef(jacobians[i], n, size).setZero();
      } else {
        MatrixRef(jacobians[i], n, size) =
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
  if (!internal::Preprocess(options, internal::PreprocessorTarget::kCeresNative,
                            problem, &stats_, &pp_, error) ||
      !BuildGroups(error)) {
    return false;
  }
  BuildReducedProblem();
  stats_.analysis_time_in_seconds = internal::WallTimeInSeconds() - start;
  return true;
}

// The groups and their cache layout, from the eliminator's index.
bool CeresNativeProblem::Impl::BuildGroups(std::string* error) {
  const Program& program = pp_.program;
  const IndependentBlocks* blocks = pp_.eliminator != nullptr
                                        ? pp_.eliminator->independent_blocks()
                                        : nullptr;
  if (blocks == nullptr) return true;  // No eliminated block.
  size_t residual_size = 0, jacobian_size = 0;
  for (int k = 0; k < blocks->num_blocks(); ++k) {
    Group g;
    g.block = k;
    g.m = blocks->num_residuals(k);
    g.p = blocks->block_size(k);
    g.k_cols = blocks->width(k);
    for (const auto& row : blocks->rows(k)) {
      const int rb = program.active_residual_blocks()[row.row_block];
      for (int p : program.residual_blocks()[rb].parameter_blocks) {
        if (!program.parameter_blocks()[p].linear) g.theta_blocks.push_back(p);
      }
    }
    std::sort(g.theta_blocks.begin(), g.theta_blocks.end());
    g.theta_blocks.erase(
        std::unique(g.theta_blocks.begin(), g.theta_blocks.end()),
        g.theta_blocks.end());
    for (int p : g.theta_blocks) {
      const int c = program.parameter_blocks()[p].col_block;
      g.theta_offset.push_back(c >= 0 ? blocks->LocalOffset(k, c) : -1);
    }
    if (g.m < g.p) {
      *error =
          program.DescribeParameterBlock(
              program
                  .column_parameter_blocks()[blocks->first_linear_col_block() +
                                             k]) +
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
  return true;
}

// The reduced problem: same memory, manifolds and cost functions; each
// group's residual blocks replaced by one GroupCostFunction.
void CeresNativeProblem::Impl::BuildReducedProblem() {
  const Program& program = pp_.program;
  ceres::Problem::Options po;
  po.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  po.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  po.manifold_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  po.evaluation_callback = this;
  reduced_ = std::make_unique<ceres::Problem>(po);
  auto add_block = [&](int p) {
    const Program::ParameterBlock& pb = program.parameter_blocks()[p];
    if (reduced_->HasParameterBlock(pb.values)) return;
    reduced_->AddParameterBlock(pb.values, pb.size,
                                const_cast<ceres::Manifold*>(pb.manifold));
    if (pb.constant || pb.linear) {
      reduced_->SetParameterBlockConstant(pb.values);
    }
    for (int i = 0; i < pb.size && pb.has_bounds; ++i) {
      reduced_->SetParameterLowerBound(pb.values, i,
                                       program.lower_bounds(pb)[i]);
      reduced_->SetParameterUpperBound(pb.values, i,
                                       program.upper_bounds(pb)[i]);
    }
  };
  std::vector<char> grouped(program.residual_blocks().size(), 0);
  const IndependentBlocks* blocks = pp_.eliminator != nullptr
                                        ? pp_.eliminator->independent_blocks()
                                        : nullptr;
  for (const Group& g : groups_) {
    for (const auto& row : blocks->rows(g.block)) {
      grouped[program.active_residual_blocks()[row.row_block]] = 1;
    }
  }
  std::vector<double*> params;
  for (size_t r = 0; r < program.residual_blocks().size(); ++r) {
    if (grouped[r]) continue;
    const Program::ResidualBlock& rb = program.residual_blocks()[r];
    params.clear();
    for (int p : rb.parameter_blocks) {
      add_block(p);
      params.push_back(program.parameter_blocks()[p].values);
    }
    reduced_->AddResidualBlock(
        const_cast<ceres::CostFunction*>(rb.cost_function),
        const_cast<ceres::LossFunction*>(rb.loss_function), params);
  }
  for (const Group& g : groups_) {
    // A group touching linear blocks only has a cost that does not depend
    // on θ: nothing to add.
    if (g.theta_blocks.empty()) continue;
    params.clear();
    for (int p : g.theta_blocks) {
      add_block(p);
      params.push_back(program.parameter_blocks()[p].values);
    }
    group_cost_functions_.push_back(
        std::make_unique<GroupCostFunction>(this, &g, program));
    reduced_->AddResidualBlock(group_cost_functions_.back().get(), nullptr,
                               params);
  }
}

// Q₂ᵀr and Q₂ᵀJ_θ of one group, from the eliminator's last point.
void CeresNativeProblem::Impl::Compress(const Group& g, bool jacobians) {
  const Eliminator::Workspace& w = pp_.eliminator->last();
  const BlockSparseMatrix& j = *w.jacobian;
  const Program& program = pp_.program;
  const IndependentBlocks& blocks = *pp_.eliminator->independent_blocks();
  Eigen::MatrixXd a(g.m, g.p);
  Eigen::VectorXd r(g.m);
  Eigen::MatrixXd jt = Eigen::MatrixXd::Zero(g.m, jacobians ? g.k_cols : 0);
  double cost = 0.0;
  int offset = 0;
  for (const auto& row : blocks.rows(g.block)) {
    const int m = row.num_rows;
    r.segment(offset, m) =
        w.residuals.segment(j.row_block_offset(row.row_block), m);
    const int rb = program.active_residual_blocks()[row.row_block];
    cost += program.residual_blocks()[rb].loss_function != nullptr
                ? w.row_costs[row.row_block]
                : 0.5 * r.segment(offset, m).squaredNorm();
    a.middleRows(offset, m) =
        ConstMatrixRef(j.values() + row.linear_position, m, g.p);
    if (jacobians) {
      for (const auto& cell : blocks.cells(row)) {
        jt.block(offset, cell.local, m, cell.size) =
            ConstMatrixRef(j.values() + cell.position, m, cell.size);
      }
    }
    offset += m;
  }
  const int n = g.num_reduced();
  double* out = residuals_.data() + g.residual_offset;
  Eigen::Map<Eigen::VectorXd> rows(out, n - 1);
  rows.setZero();
  // A block the Gram factorisation froze at this point (numerically
  // degenerate) is not moved along its degenerate direction by the inner
  // solves: project out only the directions A determines. Projecting the
  // degenerate one too would let the model cancel the residual along it,
  // which no inner solve does, and the steps would fail.
  const bool frozen = jacobians && w.block_gram != nullptr &&
                      w.block_gram->block_is_frozen(g.block);
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(g.m, g.p);
  qr.setThreshold(kDegenerateColumnRatio);
  qr.compute(a);
  const int rank = frozen ? std::max<int>(qr.rank(), g.p - 1) : g.p;
  const int kept = g.m - rank;
  rows.head(kept) = (qr.householderQ().transpose() * r).tail(kept);
  // With robust losses ½‖Q₂ᵀr̃‖² differs from the robust cost; the extra
  // component (Jacobian zero) restores it without touching the gradient.
  out[n - 1] = std::sqrt(std::max(0.0, 2.0 * cost - rows.squaredNorm()));
  if (!jacobians) return;
  MatrixRef k(jacobians_.data() + g.jacobian_offset, n, g.k_cols);
  k.setZero();
  k.topRows(kept) = (qr.householderQ().transpose() * jt).bottomRows(kept);
}

void CeresNativeProblem::Impl::PrepareForEvaluation(bool evaluate_jacobians,
                                                    bool new_evaluation_point) {
  pp_.eliminator->PrepareForEvaluation(evaluate_jacobians,
                                       new_evaluation_point);
  ok_ = pp_.eliminator->ok();
  if (!ok_) return;
  ParallelFor(num_threads_, 0, static_cast<int>(groups_.size()),
              [&](int, int k) { Compress(groups_[k], evaluate_jacobians); });
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

double CeresNativeProblem::initial_cost() const {
  return impl_->pp_.initial_cost;
}

bool CeresNativeProblem::WriteLinearSolution(std::string* error) {
  // θ is in the user's memory (where ceres::Solve left its best point).
  Eliminator& eliminator = *impl_->pp_.eliminator;
  eliminator.PrepareForEvaluation(/*evaluate_jacobians=*/false,
                                  /*new_evaluation_point=*/true);
  if (!eliminator.ok()) {
    *error = "elimination failed at the final point: " + eliminator.error();
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

#include "engine/residual_evaluator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

#include "engine/affine_differences.h"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

bool AllFinite(const double* x, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

}  // namespace

ResidualEvaluator::ResidualEvaluator(const Program* program, int num_threads)
    : program_(program), num_threads_(std::max(1, num_threads)) {
  const auto& residuals = program_->residual_blocks();
  const auto& params = program_->parameter_blocks();
  const auto& active = program_->active_residual_blocks();
  layout_ = BuildLayout();
  const BlockSparseMatrix::Layout& layout = *layout_;
  int max_jacobian_size = 0;
  int max_parameters = 0;
  int max_residuals = 0;
  int max_block_size = 0;
  // Exact sizes: these live through the solve, beside the Jacobian.
  size_t num_cells = 0;
  for (int r : active) num_cells += residuals[r].parameter_blocks.size();
  cell_positions_begin_.reserve(active.size() + 1);
  cell_positions_.reserve(num_cells);
  for (size_t r = 0; r < active.size(); ++r) {
    const Program::ResidualBlock& rb = residuals[active[r]];
    num_residuals_ += rb.num_residuals;
    cell_positions_begin_.push_back(static_cast<int>(cell_positions_.size()));
    int jacobian_size = 0;
    max_residuals = std::max(max_residuals, rb.num_residuals);
    for (int p : rb.parameter_blocks) {
      jacobian_size += rb.num_residuals * params[p].size;
      max_block_size = std::max(max_block_size, params[p].size);
      int position = -1;
      for (int k = layout.row_cell_begin[r]; k < layout.row_cell_begin[r + 1];
           ++k) {
        const BlockSparseMatrix::Cell& cell = layout.cells[k];
        if (cell.col_block == params[p].col_block) position = cell.position;
      }
      cell_positions_.push_back(params[p].col_block >= 0 ? position : -1);
    }
    max_jacobian_size = std::max(max_jacobian_size, jacobian_size);
    max_parameters =
        std::max(max_parameters, static_cast<int>(rb.parameter_blocks.size()));
  }
  cell_positions_begin_.push_back(static_cast<int>(cell_positions_.size()));

  plus_jacobian_offsets_.assign(program_->num_nonlinear_columns(), -1);
  int plus_jacobians_size = 0;
  for (int c = 0; c < program_->num_nonlinear_columns(); ++c) {
    const auto& pb = params[program_->column_parameter_blocks()[c]];
    if (pb.manifold != nullptr && !program_->ambient_theta()) {
      plus_jacobian_offsets_[c] = plus_jacobians_size;
      plus_jacobians_size += pb.size * pb.tangent_size;
    }
  }
  plus_jacobians_.assign(plus_jacobians_size, 0.0);

  scratch_.resize(num_threads_);
  for (Scratch& s : scratch_) {
    s.jacobians.resize(max_jacobian_size);
    s.jacobian_pointers.resize(max_parameters);
    s.parameters.resize(max_parameters);
    s.moved.resize(max_block_size);
    s.moved_residuals.resize(max_residuals);
  }
}

// The structure is built once and shared by every Jacobian.
std::unique_ptr<BlockSparseMatrix> ResidualEvaluator::CreateJacobian() const {
  return std::make_unique<BlockSparseMatrix>(layout_);
}

std::shared_ptr<const BlockSparseMatrix::Layout>
ResidualEvaluator::BuildLayout() const {
  const auto& residuals = program_->residual_blocks();
  const auto& params = program_->parameter_blocks();
  const auto& active = program_->active_residual_blocks();
  std::vector<int> row_sizes, col_sizes, row_cols_begin, row_cols;
  row_sizes.reserve(active.size());
  row_cols_begin.reserve(active.size() + 1);
  row_cols_begin.push_back(0);
  for (int r : active) {
    row_sizes.push_back(residuals[r].num_residuals);
    for (int p : residuals[r].parameter_blocks) {
      const int c = params[p].col_block;
      // A block may appear once per residual block in Ceres, so no dups.
      if (c >= 0) row_cols.push_back(c);
    }
    row_cols_begin.push_back(static_cast<int>(row_cols.size()));
  }
  for (int c = 0; c < program_->num_column_blocks(); ++c) {
    const auto& pb = params[program_->column_parameter_blocks()[c]];
    col_sizes.push_back(program_->ambient_theta() ? pb.size : pb.tangent_size);
  }
  return BlockSparseMatrix::BuildLayout(row_sizes, col_sizes, row_cols_begin,
                                        row_cols);
}

bool ResidualEvaluator::UpdatePlusJacobians() {
  const auto& params = program_->parameter_blocks();
  std::atomic<bool> ok{true};
  ParallelFor(
      num_threads_, 0, program_->num_nonlinear_columns(), [&](int, int c) {
        if (plus_jacobian_offsets_[c] < 0) return;
        const auto& pb = params[program_->column_parameter_blocks()[c]];
        double* plus_jacobian = &plus_jacobians_[plus_jacobian_offsets_[c]];
        if (!pb.manifold->PlusJacobian(pb.values, plus_jacobian) ||
            !AllFinite(plus_jacobian, pb.size * pb.tangent_size)) {
          ok.store(false, std::memory_order_relaxed);
        }
      });
  if (!ok) error_ = "a manifold's PlusJacobian failed or was not finite";
  return ok;
}

void ResidualEvaluator::RecordFailure(int residual_block, const char* what) {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  {
    if (failed_residual_block_ < 0 || residual_block < failed_residual_block_) {
      failed_residual_block_ = residual_block;
      error_ = program_->DescribeResidualBlock(residual_block) + ": " + what;
    }
  }
}

bool ResidualEvaluator::EvaluateRowBlock(int row_block, Columns columns,
                                         int thread_id, double* cost,
                                         double* residuals,
                                         BlockSparseMatrix* jacobian) {
  // Two instances: the inner solves' hot path carries no test for
  // differences.
  return columns == Columns::kLinearByDifferences
             ? EvaluateRowBlock<true>(row_block, columns, thread_id, cost,
                                      residuals, jacobian)
             : EvaluateRowBlock<false>(row_block, columns, thread_id, cost,
                                       residuals, jacobian);
}

template <bool kDifferences>
bool ResidualEvaluator::EvaluateRowBlock(int row_block, Columns columns,
                                         int thread_id, double* cost,
                                         double* residuals,
                                         BlockSparseMatrix* jacobian) {
  const int r = program_->active_residual_blocks()[row_block];
  const Program::ResidualBlock& rb = program_->residual_blocks()[r];
  const auto& params = program_->parameter_blocks();
  Scratch& s = scratch_[thread_id];
  const int num_params = static_cast<int>(rb.parameter_blocks.size());
  const int* positions = &cell_positions_[cell_positions_begin_[row_block]];
  const int m = rb.num_residuals;

  bool any_jacobian = false;
  int offset = 0;
  for (int k = 0; k < num_params; ++k) {
    const Program::ParameterBlock& pb = params[rb.parameter_blocks[k]];
    s.parameters[k] = pb.values;
    const bool wanted =
        positions[k] >= 0 && (columns == Columns::kAll ||
                              (columns != Columns::kNone &&
                               !program_->is_nonlinear_column(pb.col_block)));
    if (wanted) {
      s.jacobian_pointers[k] = s.jacobians.data() + offset;
      offset += m * pb.size;
      any_jacobian = true;
    } else {
      s.jacobian_pointers[k] = nullptr;
    }
  }
  if (!rb.cost_function->Evaluate(s.parameters.data(), residuals,
                                  any_jacobian && !kDifferences
                                      ? s.jacobian_pointers.data()
                                      : nullptr)) {
    RecordFailure(r, "the CostFunction returned false");
    return false;
  }
  if (!AllFinite(residuals, m)) {
    RecordFailure(r, "the CostFunction produced a non-finite residual");
    return false;
  }
  // A cost function may fail at the moved points: then its own Jacobians.
  if (kDifferences && any_jacobian &&
      !AffineJacobiansByDifferences(*rb.cost_function, residuals,
                                    s.parameters.data(),
                                    s.jacobian_pointers.data(), s.moved.data(),
                                    s.moved_residuals.data()) &&
      !rb.cost_function->Evaluate(s.parameters.data(), residuals,
                                  s.jacobian_pointers.data())) {
    RecordFailure(r, "the CostFunction returned false");
    return false;
  }
  if (any_jacobian && !StoreJacobians(r, row_block, s, jacobian)) {
    return false;
  }
  const double sq_norm = ConstVectorRef(residuals, m).squaredNorm();
  if (rb.loss_function == nullptr) {
    *cost = 0.5 * sq_norm;
    return true;
  }
  return ApplyLoss(r, row_block, s, sq_norm, cost, residuals,
                   any_jacobian ? jacobian : nullptr);
}

// The wanted ambient Jacobians in thread scratch -> the Jacobian's cells,
// mapped to tangent space for θ blocks on a manifold.
bool ResidualEvaluator::StoreJacobians(int r, int row_block, const Scratch& s,
                                       BlockSparseMatrix* jacobian) {
  const Program::ResidualBlock& rb = program_->residual_blocks()[r];
  const auto& params = program_->parameter_blocks();
  const int* positions = &cell_positions_[cell_positions_begin_[row_block]];
  const int m = rb.num_residuals;
  double* values = jacobian != nullptr ? jacobian->values() : nullptr;
  for (int k = 0; k < rb.parameter_blocks.size(); ++k) {
    const double* ambient = s.jacobian_pointers[k];
    if (ambient == nullptr) continue;
    const Program::ParameterBlock& pb = params[rb.parameter_blocks[k]];
    if (!AllFinite(ambient, m * pb.size)) {
      RecordFailure(r, "the CostFunction produced a non-finite Jacobian");
      return false;
    }
    double* cell = values + positions[k];
    if (program_->is_nonlinear_column(pb.col_block) &&
        plus_jacobian_offsets_[pb.col_block] >= 0) {
      const double* plus =
          &plus_jacobians_[plus_jacobian_offsets_[pb.col_block]];
      if (pb.size == 4 && pb.tangent_size == 3) {
        // Quaternions, the usual case: the product unrolled per row.
        using Rows4 = Eigen::Matrix<double, Eigen::Dynamic, 4, Eigen::RowMajor>;
        using Rows3 = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;
        using Plus43 = Eigen::Matrix<double, 4, 3, Eigen::RowMajor>;
        Eigen::Map<Rows3>(cell, m, 3).noalias() =
            Eigen::Map<const Rows4>(ambient, m, 4)
                .lazyProduct(Eigen::Map<const Plus43>(plus));
      } else {
        // A few coefficients each: plain loops beat Eigen's product set-up.
        const int n = pb.size;
        const int t = pb.tangent_size;
        for (int row = 0; row < m; ++row) {
          for (int j = 0; j < t; ++j) {
            double sum = 0.0;
            for (int i = 0; i < n; ++i) {
              sum += ambient[row * n + i] * plus[i * t + j];
            }
            cell[row * t + j] = sum;
          }
        }
      }
    } else {
      std::copy(ambient, ambient + m * pb.size, cell);
    }
  }
  return true;
}

// The robust cost ½ρ(‖r‖²), and Ceres's correction of the residual and the
// Jacobian cells (when jacobian is not null): with ρ'' > 0 the model includes
// the curvature of ρ along r; otherwise (the usual robust case) plain √ρ'
// scaling.
bool ResidualEvaluator::ApplyLoss(int r, int row_block, const Scratch& s,
                                  double sq_norm, double* cost,
                                  double* residuals,
                                  BlockSparseMatrix* jacobian) {
  const Program::ResidualBlock& rb = program_->residual_blocks()[r];
  const int m = rb.num_residuals;
  double rho[3];
  rb.loss_function->Evaluate(sq_norm, rho);
  *cost = 0.5 * rho[0];
  if (!std::isfinite(rho[0]) || !std::isfinite(rho[1]) ||
      !std::isfinite(rho[2]) || rho[1] < 0.0) {
    RecordFailure(r, "the LossFunction produced an invalid value");
    return false;
  }
  const double sqrt_rho1 = std::sqrt(rho[1]);
  double residual_scaling = sqrt_rho1;
  double alpha_sq_norm = 0.0;
  if (sq_norm > 0.0 && rho[2] > 0.0) {
    const double d = 1.0 + 2.0 * sq_norm * rho[2] / rho[1];
    const double alpha = 1.0 - std::sqrt(d);
    residual_scaling = sqrt_rho1 / (1.0 - alpha);
    alpha_sq_norm = alpha / sq_norm;
  }
  VectorRef rvec(residuals, m);
  if (jacobian != nullptr) {
    const auto& params = program_->parameter_blocks();
    const int* positions = &cell_positions_[cell_positions_begin_[row_block]];
    double* values = jacobian->values();
    for (int k = 0; k < rb.parameter_blocks.size(); ++k) {
      if (s.jacobian_pointers[k] == nullptr) continue;
      const Program::ParameterBlock& pb = params[rb.parameter_blocks[k]];
      const int cols = jacobian->col_block_size(pb.col_block);
      MatrixRef cell(values + positions[k], m, cols);
      if (alpha_sq_norm != 0.0) {
        const Eigen::RowVectorXd rt_j = rvec.transpose() * cell;
        cell -= alpha_sq_norm * rvec * rt_j;
      }
      cell *= sqrt_rho1;
    }
  }
  rvec *= residual_scaling;
  return true;
}

bool ResidualEvaluator::Evaluate(Columns columns, double* cost,
                                 double* residuals, BlockSparseMatrix* jacobian,
                                 double* row_costs) {
  failed_residual_block_ = -1;
  error_.clear();
  if (columns == Columns::kAll && !UpdatePlusJacobians()) return false;
  std::atomic<bool> ok{true};
  // Row block r's residuals start where its Jacobian rows do.
  const std::vector<int>& offsets = layout_->row_block_offsets;
  const int n = static_cast<int>(offsets.size());
  // Each row block's cost, summed in row order afterwards: the total then
  // repeats bit for bit whichever thread evaluated which row.
  std::vector<double> local_row_costs;  // Only the initial point's call.
  if (row_costs == nullptr) {
    local_row_costs.resize(n);
    row_costs = local_row_costs.data();
  }
  ParallelFor(num_threads_, 0, n, [&](int thread_id, int r) {
    double c = 0.0;
    if (!EvaluateRowBlock(r, columns, thread_id, &c, residuals + offsets[r],
                          jacobian)) {
      ok.store(false, std::memory_order_relaxed);
      c = 0.0;
    }
    row_costs[r] = c;
  });
  double total = 0.0;
  for (int r = 0; r < n; ++r) total += row_costs[r];
  *cost = total;
  return ok && std::isfinite(total);
}

}  // namespace ceres_varpro::internal

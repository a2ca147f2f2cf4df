#include "engine/program.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

bool Program::Build(const ceres::Problem& problem,
                    const std::vector<double*>& linear_parameter_blocks,
                    Program* program, std::string* error, int num_threads) {
  constexpr double kNoBound = std::numeric_limits<double>::max();
  *program = Program();
  std::vector<double*> blocks;
  problem.GetParameterBlocks(&blocks);
  // Every query below is a lookup in the Problem's ordered map of blocks:
  // asking in address order keeps the path through it in cache, and the
  // lookups only read it, so threads share them out.
  std::vector<int> by_address(blocks.size());
  std::iota(by_address.begin(), by_address.end(), 0);
  std::sort(by_address.begin(), by_address.end(),
            [&](int a, int b) { return blocks[a] < blocks[b]; });
  program->parameter_blocks_.resize(blocks.size());
  ParallelFor(num_threads, 0, static_cast<int>(blocks.size()), [&](int, int a) {
    const int i = by_address[a];
    ParameterBlock& pb = program->parameter_blocks_[i];
    pb.values = blocks[i];
    pb.size = problem.ParameterBlockSize(blocks[i]);
    pb.manifold = problem.GetManifold(blocks[i]);
    // What ParameterBlockTangentSize() returns, without another
    // lookup.
    pb.tangent_size =
        pb.manifold != nullptr ? pb.manifold->TangentSize() : pb.size;
    pb.constant = problem.IsParameterBlockConstant(blocks[i]);
    // Ceres reports "no bound" as ∓max double.
    for (int k = 0; k < pb.size && !pb.has_bounds; ++k) {
      pb.has_bounds =
          problem.GetParameterLowerBound(blocks[i], k) > -kNoBound ||
          problem.GetParameterUpperBound(blocks[i], k) < kNoBound;
    }
    pb.problem_index = i;
  });
  std::unordered_map<const double*, int> index_of;
  index_of.reserve(blocks.size());
  for (const int i : by_address) {
    index_of[blocks[i]] = i;
    ParameterBlock& pb = program->parameter_blocks_[i];
    if (!pb.has_bounds) continue;
    // Few blocks have bounds: their coordinates in one program-wide array.
    pb.bounds_offset = static_cast<int>(program->bounds_.size());
    for (int k = 0; k < pb.size; ++k) {
      program->bounds_.push_back(problem.GetParameterLowerBound(blocks[i], k));
    }
    for (int k = 0; k < pb.size; ++k) {
      program->bounds_.push_back(problem.GetParameterUpperBound(blocks[i], k));
    }
  }

  for (size_t k = 0; k < linear_parameter_blocks.size(); ++k) {
    auto it = index_of.find(linear_parameter_blocks[k]);
    if (it == index_of.end()) {
      std::ostringstream s;
      s << "linear_parameter_blocks[" << k << "] (address "
        << static_cast<const void*>(linear_parameter_blocks[k])
        << ") is not a parameter block of the problem";
      *error = s.str();
      return false;
    }
    ParameterBlock& pb = program->parameter_blocks_[it->second];
    if (pb.linear) {
      std::ostringstream s;
      s << "linear_parameter_blocks[" << k
        << "] repeats linear_parameter_blocks[" << pb.linear_index << "]";
      *error = s.str();
      return false;
    }
    pb.linear = true;
    pb.linear_index = static_cast<int>(k);
  }

  // The residual blocks, and their parameters' indices in one flat array
  // (sized first, filled in parallel; the spans point into it at the end).
  std::vector<ceres::ResidualBlockId> residual_ids;
  problem.GetResidualBlocks(&residual_ids);
  const int num_residual_blocks = static_cast<int>(residual_ids.size());
  program->residual_blocks_.resize(num_residual_blocks);
  std::vector<int> begin(num_residual_blocks + 1, 0);
  ParallelFor(num_threads, 0, num_residual_blocks, [&](int, int i) {
    ResidualBlock& rb = program->residual_blocks_[i];
    rb.cost_function = problem.GetCostFunctionForResidualBlock(residual_ids[i]);
    rb.loss_function = problem.GetLossFunctionForResidualBlock(residual_ids[i]);
    rb.num_residuals = rb.cost_function->num_residuals();
    rb.problem_index = i;
    begin[i + 1] =
        static_cast<int>(rb.cost_function->parameter_block_sizes().size());
  });
  for (int i = 0; i < num_residual_blocks; ++i) begin[i + 1] += begin[i];
  LargeVector<int>& flat = program->residual_parameters_;
  flat.resize(begin.back());
  std::vector<std::vector<double*>> params(std::max(1, num_threads));
  ParallelFor(num_threads, 0, num_residual_blocks, [&](int thread, int i) {
    problem.GetParameterBlocksForResidualBlock(residual_ids[i],
                                               &params[thread]);
    int* out = flat.data() + begin[i];
    for (double* p : params[thread]) *out++ = index_of.find(p)->second;
  });
  for (int i = 0; i < num_residual_blocks; ++i) {
    program->residual_blocks_[i].parameter_blocks =
        Span<int>(flat.data() + begin[i], flat.data() + begin[i + 1]);
  }
  return true;
}

void Program::SetLayout(bool ambient_theta) {
  ambient_theta_ = ambient_theta;
  column_blocks_.clear();
  active_residuals_.clear();
  // At most these sizes; kept through the solve, so not grown by doubling.
  column_blocks_.reserve(parameter_blocks_.size());
  active_residuals_.reserve(residual_blocks_.size());
  num_theta_ambient_ = num_theta_tangent_ = num_linear_parameters_ = 0;
  for (ParameterBlock& pb : parameter_blocks_) {
    pb.col_block = -1;
    pb.col_offset = -1;
    pb.state_offset = -1;
  }
  for (int i = 0; i < static_cast<int>(parameter_blocks_.size()); ++i) {
    ParameterBlock& pb = parameter_blocks_[i];
    if (!pb.IsFreeTheta()) continue;
    pb.col_block = static_cast<int>(column_blocks_.size());
    pb.state_offset = num_theta_ambient_;
    pb.col_offset = num_theta_tangent_;
    num_theta_ambient_ += pb.size;
    num_theta_tangent_ += ambient_theta ? pb.size : pb.tangent_size;
    column_blocks_.push_back(i);
  }
  num_nonlinear_columns_ = static_cast<int>(column_blocks_.size());
  for (int i = 0; i < static_cast<int>(parameter_blocks_.size()); ++i) {
    ParameterBlock& pb = parameter_blocks_[i];
    if (!pb.linear || pb.constant || pb.pinned) continue;
    pb.col_block = static_cast<int>(column_blocks_.size());
    pb.state_offset = num_linear_parameters_;
    pb.col_offset = num_theta_tangent_ + num_linear_parameters_;
    num_linear_parameters_ += pb.size;
    column_blocks_.push_back(i);
  }
  for (int r = 0; r < static_cast<int>(residual_blocks_.size()); ++r) {
    ResidualBlock& rb = residual_blocks_[r];
    rb.row_block = -1;
    for (int p : rb.parameter_blocks) {
      if (parameter_blocks_[p].col_block >= 0) {
        rb.row_block = static_cast<int>(active_residuals_.size());
        active_residuals_.push_back(r);
        break;
      }
    }
  }
}

void Program::GetTheta(double* x) const {
  for (int c = 0; c < num_nonlinear_columns_; ++c) {
    const ParameterBlock& pb = parameter_blocks_[column_blocks_[c]];
    std::copy(pb.values, pb.values + pb.size, x + pb.state_offset);
  }
}

void Program::SetTheta(const double* x) {
  for (int c = 0; c < num_nonlinear_columns_; ++c) {
    const ParameterBlock& pb = parameter_blocks_[column_blocks_[c]];
    std::copy(x + pb.state_offset, x + pb.state_offset + pb.size, pb.values);
  }
}

void Program::GetLinear(double* l) const {
  for (int c = num_nonlinear_columns_; c < num_column_blocks(); ++c) {
    const ParameterBlock& pb = parameter_blocks_[column_blocks_[c]];
    std::copy(pb.values, pb.values + pb.size, l + pb.state_offset);
  }
}

void Program::SetLinear(const double* l) {
  for (int c = num_nonlinear_columns_; c < num_column_blocks(); ++c) {
    const ParameterBlock& pb = parameter_blocks_[column_blocks_[c]];
    std::copy(l + pb.state_offset, l + pb.state_offset + pb.size, pb.values);
  }
}

bool Program::Plus(const double* x, const double* delta, double* x_plus,
                   int num_threads) const {
  std::atomic<bool> ok{true};
  ParallelFor(num_threads, 0, num_nonlinear_columns_, [&](int, int c) {
    const ParameterBlock& pb = parameter_blocks_[column_blocks_[c]];
    const double* xb = x + pb.state_offset;
    const double* db = delta + pb.col_offset;
    double* yb = x_plus + pb.state_offset;
    if (pb.manifold == nullptr) {
      for (int k = 0; k < pb.size; ++k) yb[k] = xb[k] + db[k];
    } else if (!pb.manifold->Plus(xb, db, yb)) {
      ok.store(false, std::memory_order_relaxed);
    }
    if (pb.has_bounds) ProjectOntoBounds(pb, yb);
  });
  return ok;
}

void Program::ProjectOntoBounds(const ParameterBlock& pb,
                                double* values) const {
  if (!pb.has_bounds) return;
  const double* lower = lower_bounds(pb);
  const double* upper = upper_bounds(pb);
  for (int k = 0; k < pb.size; ++k) {
    values[k] = std::min(std::max(values[k], lower[k]), upper[k]);
  }
}

bool Program::EvaluateFixedCost(double* cost, std::string* error) const {
  *cost = 0.0;
  std::vector<double> residuals;
  std::vector<const double*> parameters;
  for (size_t r = 0; r < residual_blocks_.size(); ++r) {
    const ResidualBlock& rb = residual_blocks_[r];
    if (rb.row_block >= 0) continue;
    residuals.resize(rb.num_residuals);
    parameters.clear();
    for (int p : rb.parameter_blocks)
      parameters.push_back(parameter_blocks_[p].values);
    if (!rb.cost_function->Evaluate(parameters.data(), residuals.data(),
                                    nullptr)) {
      *error = DescribeResidualBlock(static_cast<int>(r)) +
               ": the CostFunction returned false at the initial point";
      return false;
    }
    double sq = 0.0;
    for (double v : residuals) sq += v * v;
    double c = 0.5 * sq;
    if (rb.loss_function != nullptr) {
      double rho[3];
      rb.loss_function->Evaluate(sq, rho);
      c = 0.5 * rho[0];
    }
    if (!std::isfinite(c)) {
      *error = DescribeResidualBlock(static_cast<int>(r)) +
               ": non-finite cost at the initial point";
      return false;
    }
    *cost += c;
  }
  return true;
}

std::string Program::DescribeParameterBlock(int index) const {
  const ParameterBlock& pb = parameter_blocks_[index];
  std::ostringstream s;
  if (pb.linear) {
    s << "linear parameter block #" << pb.linear_index
      << " (linear_parameter_blocks[" << pb.linear_index << "], ";
  } else {
    s << "parameter block #" << pb.problem_index << " (";
  }
  s << "size " << pb.size << ", address " << static_cast<const void*>(pb.values)
    << ")";
  return s.str();
}

std::string Program::DescribeResidualBlock(int index) const {
  const ResidualBlock& rb = residual_blocks_[index];
  std::ostringstream s;
  s << "residual block #" << rb.problem_index << " (" << rb.num_residuals
    << " residuals, parameter blocks";
  for (int p : rb.parameter_blocks) {
    const ParameterBlock& pb = parameter_blocks_[p];
    s << " " << (pb.linear ? "L" : "#")
      << (pb.linear ? pb.linear_index : pb.problem_index);
  }
  s << ")";
  return s.str();
}

}  // namespace ceres_varpro::internal

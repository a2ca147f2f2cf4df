#ifndef CERES_VARPRO_ENGINE_PROGRAM_H_
#define CERES_VARPRO_ENGINE_PROGRAM_H_

#include <string>
#include <vector>

#include "ceres/cost_function.h"
#include "ceres/loss_function.h"
#include "ceres/manifold.h"
#include "ceres/problem.h"
#include "engine/large_buffer.h"
#include "engine/span.h"

namespace ceres_varpro::internal {

// A read-only snapshot of a ceres::Problem's structure, taken through Ceres's
// public accessors, and the column layout the engine uses:
//   column blocks [0, num_nonlinear_columns)  variable nonlinear blocks (θ),
//                                               in tangent coordinates;
//   column blocks [num_nonlinear_columns, ...) variable linear blocks (l)
//                                               that are not pinned.
// The live state is the user's memory: the engine writes candidate points
// there and restores the best point at the end, as Ceres itself does when an
// EvaluationCallback is present.
class Program {
 public:
  // Move-only: the residual blocks' spans point into this program's arrays.
  Program() = default;
  Program(Program&&) = default;
  Program& operator=(Program&&) = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  struct ParameterBlock {
    double* values = nullptr;
    int size = 0;
    int tangent_size = 0;
    const ceres::Manifold* manifold = nullptr;
    bool constant = false;    // Set constant by the user.
    bool has_bounds = false;  // Any finite bound.
    int bounds_offset = -1;   // Into the program's bounds, when has_bounds.
    bool linear = false;      // Named in linear_parameter_blocks.
    int linear_index = -1;    // Its position in linear_parameter_blocks.
    int problem_index = -1;   // Position in Problem::GetParameterBlocks().
    bool pinned = false;      // Held fixed by the gauge fix.
    int col_block = -1;       // -1 when held fixed.
    int col_offset = -1;      // First column in the Jacobian (tangent).
    int state_offset = -1;    // Offset in the ambient θ state vector.

    // A θ block the minimiser moves (it gets columns in the layout).
    bool IsFreeTheta() const {
      return !linear && !constant && tangent_size > 0;
    }
  };

  struct ResidualBlock {
    const ceres::CostFunction* cost_function = nullptr;
    const ceres::LossFunction* loss_function = nullptr;
    // Indices of its parameter blocks (into the program's flat array: one
    // allocation for all residual blocks, not one each).
    Span<int> parameter_blocks;
    int num_residuals = 0;
    int problem_index = -1;  // Position in Problem::GetResidualBlocks().
    int row_block = -1;      // -1 when it touches no variable block.
  };

  // A bounded block's bounds per coordinate (±max double where none); kept
  // out of ParameterBlock, since few blocks have any.
  const double* lower_bounds(const ParameterBlock& pb) const {
    return &bounds_[pb.bounds_offset];
  }
  const double* upper_bounds(const ParameterBlock& pb) const {
    return &bounds_[pb.bounds_offset + pb.size];
  }
  // Clamps values (the block's ambient coordinates) to its bounds.
  void ProjectOntoBounds(const ParameterBlock& pb, double* values) const;

  // Returns false (with the reason) if a named linear block is not in the
  // problem or is named twice. The Problem's const queries (map lookups)
  // run on num_threads threads.
  static bool Build(const ceres::Problem& problem,
                    const std::vector<double*>& linear_parameter_blocks,
                    Program* program, std::string* error, int num_threads = 1);

  // Assigns columns and rows once the analysis has chosen the pins. With
  // ambient_theta the θ columns are the ambient coordinates (Jacobians are
  // not mapped through PlusJacobian): what a Ceres CostFunction returns.
  void SetLayout(bool ambient_theta = false);
  bool ambient_theta() const { return ambient_theta_; }

  LargeVector<ParameterBlock>& parameter_blocks() { return parameter_blocks_; }
  const LargeVector<ParameterBlock>& parameter_blocks() const {
    return parameter_blocks_;
  }
  const LargeVector<ResidualBlock>& residual_blocks() const {
    return residual_blocks_;
  }

  // Valid after SetLayout().
  const std::vector<int>& column_parameter_blocks() const {
    return column_blocks_;
  }
  const LargeVector<int>& active_residual_blocks() const {
    return active_residuals_;
  }
  int num_nonlinear_columns() const { return num_nonlinear_columns_; }
  int num_column_blocks() const {
    return static_cast<int>(column_blocks_.size());
  }
  int num_theta_ambient() const { return num_theta_ambient_; }
  int num_theta_tangent() const { return num_theta_tangent_; }
  int num_linear_parameters() const { return num_linear_parameters_; }
  bool is_nonlinear_column(int col_block) const {
    return col_block < num_nonlinear_columns_;
  }

  // θ state: ambient values of the variable nonlinear blocks, concatenated.
  void GetTheta(double* x) const;
  void SetTheta(const double* x);
  // Values of the eliminated (column) linear blocks, concatenated.
  void GetLinear(double* l) const;
  void SetLinear(const double* l);
  // x_plus = Plus(x, delta) block by block, projected onto the blocks'
  // bounds as Ceres does; false if a manifold fails.
  bool Plus(const double* x, const double* delta, double* x_plus,
            int num_threads) const;

  // Cost of the residual blocks that touch no variable block (valid after
  // SetLayout): constant during a solve. False, naming the block, if one
  // cannot be evaluated.
  bool EvaluateFixedCost(double* cost, std::string* error) const;

  // Human-readable names used in every error message.
  std::string DescribeParameterBlock(int index) const;
  std::string DescribeResidualBlock(int index) const;

 private:
  // The per-block tables scale with the problem (LargeVector: huge pages).
  LargeVector<ParameterBlock> parameter_blocks_;
  std::vector<double> bounds_;  // Per bounded block: lower, then upper.
  LargeVector<ResidualBlock> residual_blocks_;
  LargeVector<int> residual_parameters_;  // Every parameter_blocks, in order.
  std::vector<int> column_blocks_;
  LargeVector<int> active_residuals_;
  int num_nonlinear_columns_ = 0;
  int num_theta_ambient_ = 0;
  int num_theta_tangent_ = 0;
  int num_linear_parameters_ = 0;
  bool ambient_theta_ = false;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PROGRAM_H_

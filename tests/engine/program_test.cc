#include "engine/program.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ceres/cost_function.h"
#include "ceres/manifold.h"
#include "ceres/problem.h"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

// r = Σ_k Σ_j x_k[j]: any parameter sizes, one residual.
class SumCost : public ceres::CostFunction {
 public:
  explicit SumCost(const std::vector<int>& sizes) {
    set_num_residuals(1);
    *mutable_parameter_block_sizes() = sizes;
  }
  bool Evaluate(double const* const* p, double* r,
                double** jacobians) const override {
    r[0] = 0.0;
    const std::vector<int>& sizes = parameter_block_sizes();
    for (size_t k = 0; k < sizes.size(); ++k) {
      for (int j = 0; j < sizes[k]; ++j) r[0] += p[k][j];
      if (jacobians != nullptr && jacobians[k] != nullptr) {
        for (int j = 0; j < sizes[k]; ++j) jacobians[k][j] = 1.0;
      }
    }
    return true;
  }
};

// 300 blocks of 1 to 4 parameters, some constant, some on a manifold, some
// bounded in one coordinate, and residuals over 1 to 3 of them: what Build
// reads on one thread and on three is exactly what the Problem says.
TEST(Program, BuildReadsBlocksBoundsAndResidualsOnAnyNumberOfThreads) {
  constexpr int kBlocks = 300;
  constexpr double kNoBound = std::numeric_limits<double>::max();
  std::vector<std::vector<double>> values(kBlocks);
  ceres::Problem::Options po;
  po.manifold_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  ceres::Problem problem(po);
  ceres::SubsetManifold fix_first(4, {0});
  for (int i = 0; i < kBlocks; ++i) {
    values[i].assign(1 + i % 4, 0.1 * i);
    problem.AddParameterBlock(values[i].data(),
                              static_cast<int>(values[i].size()));
  }
  for (int i = 0; i < kBlocks; ++i) {
    if (i % 4 == 3 && i % 3 == 0) {
      problem.SetManifold(values[i].data(), &fix_first);
    }
    if (i % 11 == 5) problem.SetParameterBlockConstant(values[i].data());
    if (i % 7 == 2) {
      problem.SetParameterLowerBound(values[i].data(), 0, -1.0 - i);
      problem.SetParameterUpperBound(
          values[i].data(), static_cast<int>(values[i].size()) - 1, 2.0 + i);
    }
  }
  for (int r = 0; r < 2 * kBlocks; ++r) {
    std::vector<double*> blocks;
    std::vector<int> sizes;
    for (int k = 0; k <= r % 3; ++k) {
      const int i = (r * 7 + k * 31) % kBlocks;
      if (std::find(blocks.begin(), blocks.end(), values[i].data()) !=
          blocks.end()) {
        continue;
      }
      blocks.push_back(values[i].data());
      sizes.push_back(static_cast<int>(values[i].size()));
    }
    problem.AddResidualBlock(new SumCost(sizes), nullptr, blocks);
  }
  const std::vector<double*> linear = {values[1].data(), values[10].data()};

  for (const int threads : {1, 3}) {
    Program program;
    std::string error;
    ASSERT_TRUE(Program::Build(problem, linear, &program, &error, threads))
        << error;
    std::vector<double*> blocks;
    problem.GetParameterBlocks(&blocks);
    ASSERT_EQ(program.parameter_blocks().size(), blocks.size());
    for (size_t i = 0; i < blocks.size(); ++i) {
      const Program::ParameterBlock& pb = program.parameter_blocks()[i];
      double* x = blocks[i];
      EXPECT_EQ(pb.values, x);
      EXPECT_EQ(pb.size, problem.ParameterBlockSize(x));
      EXPECT_EQ(pb.tangent_size, problem.ParameterBlockTangentSize(x));
      EXPECT_EQ(pb.manifold, problem.GetManifold(x));
      EXPECT_EQ(pb.constant, problem.IsParameterBlockConstant(x));
      EXPECT_EQ(pb.linear, x == linear[0] || x == linear[1]);
      bool bounded = false;
      for (int k = 0; k < pb.size; ++k) {
        const double lower = problem.GetParameterLowerBound(x, k);
        const double upper = problem.GetParameterUpperBound(x, k);
        bounded |= lower > -kNoBound || upper < kNoBound;
        if (pb.has_bounds) {
          EXPECT_EQ(program.lower_bounds(pb)[k], lower);
          EXPECT_EQ(program.upper_bounds(pb)[k], upper);
        }
      }
      EXPECT_EQ(pb.has_bounds, bounded) << i;
    }
    std::vector<ceres::ResidualBlockId> residuals;
    problem.GetResidualBlocks(&residuals);
    ASSERT_EQ(program.residual_blocks().size(), residuals.size());
    for (size_t r = 0; r < residuals.size(); ++r) {
      const Program::ResidualBlock& rb = program.residual_blocks()[r];
      EXPECT_EQ(rb.cost_function,
                problem.GetCostFunctionForResidualBlock(residuals[r]));
      EXPECT_EQ(rb.loss_function,
                problem.GetLossFunctionForResidualBlock(residuals[r]));
      EXPECT_EQ(rb.problem_index, static_cast<int>(r));
      std::vector<double*> expected;
      problem.GetParameterBlocksForResidualBlock(residuals[r], &expected);
      ASSERT_EQ(rb.parameter_blocks.size(), static_cast<int>(expected.size()));
      for (int k = 0; k < rb.parameter_blocks.size(); ++k) {
        EXPECT_EQ(program.parameter_blocks()[rb.parameter_blocks[k]].values,
                  expected[k]);
      }
    }
    // Bounds are clamped to, coordinate by coordinate.
    const int index_2 = static_cast<int>(
        std::find(blocks.begin(), blocks.end(), values[2].data()) -
        blocks.begin());
    const Program::ParameterBlock& bounded =
        program.parameter_blocks()[index_2];
    ASSERT_TRUE(bounded.has_bounds);
    std::vector<double> far(bounded.size, -1e6);
    program.ProjectOntoBounds(bounded, far.data());
    EXPECT_EQ(far[0], -3.0);
  }
}

}  // namespace
}  // namespace ceres_varpro::internal

#include "engine/block_jacobi_preconditioner.h"

#include <cmath>
#include <vector>

#include "ceres/problem.h"
#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

// The preconditioner of the pipeline's reduced problem applies the inverses
// of the diagonal blocks of s J_θᵀJ_θ s + D².
void ExpectInvertsDiagonalBlocksOfJtJ(EnginePipeline* pipeline) {
  ReducedProblem* reduced = pipeline->reduced;
  const Reference ref = BuildReference(pipeline);
  BlockJacobiPreconditioner jacobi(*reduced);
  std::string error;
  ASSERT_TRUE(
      jacobi.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error))
      << error;
  ExpectBlockInverse(&jacobi, ref.ScaledJtJ(), reduced->jacobian(),
                     reduced->num_nonlinear_columns());
}

// r = M θ + (l alternating over its two coordinates) - c, with M a fixed
// well-conditioned matrix: one θ block of any size next to a linear block.
class SizedThetaCost : public ceres::CostFunction {
 public:
  SizedThetaCost(int theta_size, int seed)
      : theta_size_(theta_size), seed_(seed) {
    set_num_residuals(theta_size + 2);
    mutable_parameter_block_sizes()->push_back(theta_size);
    mutable_parameter_block_sizes()->push_back(2);
  }
  bool Evaluate(double const* const* p, double* r,
                double** jacobians) const override {
    for (int i = 0; i < num_residuals(); ++i) {
      r[i] = p[1][i % 2] - 0.1 * i;
      for (int j = 0; j < theta_size_; ++j) r[i] += M(i, j) * p[0][j];
    }
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      for (int i = 0; i < num_residuals(); ++i) {
        for (int j = 0; j < theta_size_; ++j) {
          jacobians[0][i * theta_size_ + j] = M(i, j);
        }
      }
    }
    if (jacobians != nullptr && jacobians[1] != nullptr) {
      for (int i = 0; i < num_residuals(); ++i) {
        jacobians[1][2 * i] = i % 2 == 0 ? 1.0 : 0.0;
        jacobians[1][2 * i + 1] = i % 2 == 1 ? 1.0 : 0.0;
      }
    }
    return true;
  }

 private:
  double M(int i, int j) const {
    return std::sin(1.0 + seed_ + 0.7 * i + 1.3 * j) + (i == j ? 3.0 : 0.0);
  }
  int theta_size_, seed_;
};

// θ blocks of 1, 2 and 3 parameters (the fixed-size paths), 4 and 16 (the
// stack path) and 20 (the heap path) are each inverted exactly.
TEST(BlockJacobiPreconditioner, InvertsBlocksOfEverySize) {
  const std::vector<int> sizes = {1, 2, 3, 4, 16, 20};
  std::vector<std::vector<double>> theta;
  for (const int size : sizes) {
    theta.emplace_back(size);
    for (int j = 0; j < size; ++j) theta.back()[j] = 0.1 * j - 0.3;
  }
  std::vector<double> linear = {0.5, -0.25};
  ceres::Problem problem;
  for (size_t k = 0; k < sizes.size(); ++k) {
    problem.AddResidualBlock(new SizedThetaCost(sizes[k], static_cast<int>(k)),
                             nullptr, theta[k].data(), linear.data());
  }
  Solver::Options o;
  o.num_threads = 2;
  o.linear_parameter_blocks = {linear.data()};
  EnginePipeline pipeline;
  ASSERT_TRUE(pipeline.Build(&problem, o)) << pipeline.error;
  ASSERT_EQ(pipeline.reduced->num_nonlinear_columns(),
            static_cast<int>(sizes.size()));
  ExpectInvertsDiagonalBlocksOfJtJ(&pipeline);
}

TEST(BlockJacobiPreconditioner, InvertsTheDiagonalBlocksOfJtJ) {
  for (const bool independent : {false, true}) {
    auto f = MakeReducedSystem(independent);
    ExpectInvertsDiagonalBlocksOfJtJ(&f->pipeline);
  }
}

}  // namespace
}  // namespace ceres_varpro::internal

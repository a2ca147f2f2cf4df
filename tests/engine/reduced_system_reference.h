#ifndef CERES_VARPRO_TESTS_ENGINE_REDUCED_SYSTEM_REFERENCE_H_
#define CERES_VARPRO_TESTS_ENGINE_REDUCED_SYSTEM_REFERENCE_H_

// A dense reference for the reduced linear solvers and preconditioners,
// built from the Jacobian: S = J_θᵀJ_θ - J_θᵀA(AᵀA)⁻¹AᵀJ_θ, and the test
// problems they run on.

#include <algorithm>
#include <memory>

#include "Eigen/Dense"
#include "engine/preconditioner.h"
#include "engine_pipeline.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {

struct Reference {
  Eigen::MatrixXd s;   // Schur complement.
  Eigen::MatrixXd jj;  // J_θᵀJ_θ.
  Eigen::VectorXd g;   // Gradient.
  Eigen::VectorXd scale, d2;

  // s S s + D² and J_θᵀJ_θ scaled alike.
  Eigen::MatrixXd ScaledSchur() const {
    Eigen::MatrixXd m = scale.asDiagonal() * s * scale.asDiagonal();
    m.diagonal() += d2;
    return m;
  }
  Eigen::MatrixXd ScaledJtJ() const {
    Eigen::MatrixXd m = scale.asDiagonal() * jj * scale.asDiagonal();
    m.diagonal() += d2;
    return m;
  }
  // The exact step -(s S s + D²)⁻¹ s g.
  Eigen::VectorXd ExactStep() const {
    return -ScaledSchur().ldlt().solve(scale.cwiseProduct(g));
  }
};

inline Reference BuildReference(EnginePipeline* p) {
  Reference ref;
  const int n = p->reduced->num_tangent();
  const Eigen::VectorXd x = p->Theta();
  ref.g.resize(n);
  double cost;
  EXPECT_TRUE(
      p->reduced->EvaluateJacobian(x.data(), true, &cost, ref.g.data()));
  const Eigen::MatrixXd j = p->reduced->jacobian().ToDense();
  const Eigen::MatrixXd jt = j.leftCols(n), a = j.rightCols(j.cols() - n);
  ref.jj = jt.transpose() * jt;
  ref.s = ref.jj - jt.transpose() * a *
                       (a.transpose() * a).ldlt().solve(a.transpose() * jt);
  ref.scale = Eigen::VectorXd::LinSpaced(n, 0.5, 1.5);
  ref.d2 = Eigen::VectorXd::LinSpaced(n, 1e-3, 1e-1);
  return ref;
}

// An anisotropic pose graph (coupled linear blocks) or landmark problem
// (independent ones), set up by the preprocessor.
struct ReducedSystemFixture {
  std::unique_ptr<testing::PoseGraphProblem> graph;
  std::unique_ptr<testing::LandmarkProblem> landmarks;
  EnginePipeline pipeline;
};

inline std::unique_ptr<ReducedSystemFixture> MakeReducedSystem(
    bool independent) {
  auto f = std::make_unique<ReducedSystemFixture>();
  Solver::Options o;
  o.num_threads = 2;
  ceres::Problem* problem;
  if (independent) {
    testing::LandmarkOptions lo;
    lo.anisotropic = true;
    f->landmarks = testing::MakeLandmarkProblem(lo);
    o.linear_parameter_blocks = f->landmarks->landmark_blocks();
    problem = f->landmarks->problem.get();
  } else {
    testing::PoseGraphOptions go;
    go.num_poses = 20;
    go.anisotropic = true;
    f->graph = testing::MakePoseGraph(go);
    o.linear_parameter_blocks = f->graph->translation_blocks();
    problem = f->graph->problem.get();
  }
  EXPECT_TRUE(f->pipeline.Build(problem, o)) << f->pipeline.error;
  return f;
}

// y = P⁻¹x for x supported on one θ block equals the inverse of that
// diagonal block of m applied to x.
inline void ExpectBlockInverse(Preconditioner* pre, const Eigen::MatrixXd& m,
                               const BlockSparseMatrix& j, int num_blocks) {
  for (int c = 0; c < num_blocks; c += std::max(1, num_blocks / 4)) {
    const int o = j.col_block_offset(c), size = j.col_block_size(c);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(m.rows());
    x.segment(o, size) = Eigen::VectorXd::LinSpaced(size, 1.0, 2.0);
    Eigen::VectorXd y(m.rows());
    pre->Apply(x.data(), y.data());
    const Eigen::VectorXd expected =
        m.block(o, o, size, size).ldlt().solve(x.segment(o, size));
    EXPECT_LE((y.segment(o, size) - expected).norm(), 1e-9 * expected.norm())
        << c;
  }
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_TESTS_ENGINE_REDUCED_SYSTEM_REFERENCE_H_

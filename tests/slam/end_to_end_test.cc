// The SLAM models in ordinary ceres::Problems solved by stock ceres::Solve:
// pose graphs (SE-Sync model, full-information model, prior-anchored) and a
// small range-aided problem, from perturbed starts, all reaching the
// optimum near the ground truth.

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "Eigen/Eigenvalues"
#include "ceres/ceres.h"
#include "ceres_varpro/slam/information.h"
#include "ceres_varpro/slam/isotropic_rotation_cost.h"
#include "ceres_varpro/slam/isotropic_translation_cost.h"
#include "ceres_varpro/slam/pose_prior_cost.h"
#include "ceres_varpro/slam/range_cost.h"
#include "ceres_varpro/slam/relative_pose_cost.h"
#include "ceres_varpro/slam/rotation_manifold.h"
#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::RandomVector;
using testing::RotationWithAngle;
using testing::TestRandom;

enum class Model { kIsotropic, kFullInformation };
enum class Gauge { kFixFirstPose, kPrior };

template <int kDim>
struct PoseGraph {
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  static constexpr int kPose = kDim + kDim * (kDim - 1) / 2;
  struct Edge {
    int i, j;
    Matrix rotation;
    Vector translation;
  };

  std::vector<Matrix> true_rotations, rotations;
  std::vector<Vector> true_translations, translations;
  std::vector<Edge> edges;
  Eigen::Matrix<double, kPose, kPose> information;
  ceres::Problem problem;

  // A winding trajectory with odometry and loop closures; noisy
  // measurements; a start perturbed by ~0.15 rad and ~0.5 m per pose.
  PoseGraph(int num_poses, TestRandom* random) {
    const double sigma_t = 0.05, sigma_r = 0.01;
    information.setZero();
    information.template topLeftCorner<kDim, kDim>().diagonal().setConstant(
        1.0 / (sigma_t * sigma_t));
    information.template bottomRightCorner<kPose - kDim, kPose - kDim>()
        .diagonal()
        .setConstant(1.0 / (sigma_r * sigma_r));
    Matrix r = Matrix::Identity();
    Vector t = Vector::Zero();
    for (int k = 0; k < num_poses; ++k) {
      true_rotations.push_back(r);
      true_translations.push_back(t);
      t += r * Vector::Unit(0) * 1.5;
      r = r * RotationWithAngle<kDim>(0.4, random);
    }
    for (int i = 0; i < num_poses; ++i) {
      for (int j : {i + 1, i + 4}) {
        if (j >= num_poses || (j == i + 4 && i % 2 == 1)) continue;
        const Matrix& ri = true_rotations[i];
        edges.push_back(
            {i, j,
             ri.transpose() * true_rotations[j] *
                 RotationWithAngle<kDim>(sigma_r * random->Normal(1.0), random),
             ri.transpose() * (true_translations[j] - true_translations[i]) +
                 RandomVector<kDim>(sigma_t * 1.7, random)});
      }
    }
    for (int k = 0; k < num_poses; ++k) {
      rotations.push_back(k == 0 ? true_rotations[0]
                                 : true_rotations[k] *
                                       RotationWithAngle<kDim>(0.15, random));
      translations.push_back(
          true_translations[k] +
          (k == 0 ? Vector::Zero() : RandomVector<kDim>(0.5, random)));
    }
  }

  void Build(Model model, Gauge gauge) {
    const IsotropicWeights w = IsotropicWeightsFromInformation(information);
    for (size_t k = 0; k < rotations.size(); ++k) {
      problem.AddParameterBlock(rotations[k].data(), kDim * kDim,
                                new RotationManifold<kDim>);
      problem.AddParameterBlock(translations[k].data(), kDim);
    }
    for (const Edge& e : edges) {
      double* ri = rotations[e.i].data();
      double* rj = rotations[e.j].data();
      double* ti = translations[e.i].data();
      double* tj = translations[e.j].data();
      if (model == Model::kIsotropic) {
        problem.AddResidualBlock(
            IsotropicRotationCost<kDim>::Create(e.rotation, w.kappa), nullptr,
            ri, rj);
        problem.AddResidualBlock(
            IsotropicTranslationCost<kDim>::Create(e.translation, w.tau),
            nullptr, ri, ti, tj);
      } else {
        problem.AddResidualBlock(RelativePoseCost<kDim>::Create(
                                     e.rotation, e.translation, information),
                                 nullptr, ri, ti, rj, tj);
      }
    }
    if (gauge == Gauge::kFixFirstPose) {
      problem.SetParameterBlockConstant(rotations[0].data());
      problem.SetParameterBlockConstant(translations[0].data());
    } else {
      problem.AddResidualBlock(
          PosePriorCost<kDim>::Create(true_rotations[0], true_translations[0],
                                      1e4 * information),
          nullptr, rotations[0].data(), translations[0].data());
    }
  }

  double Cost() {
    double cost = 0.0;
    problem.Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr,
                     nullptr);
    return cost;
  }

  double CostAtTruth() {
    const auto saved_r = rotations;
    const auto saved_t = translations;
    for (size_t k = 0; k < rotations.size(); ++k) {
      rotations[k] = true_rotations[k];
      translations[k] = true_translations[k];
    }
    const double cost = Cost();
    // Copy back in place: the problem holds pointers into these vectors.
    std::copy(saved_r.begin(), saved_r.end(), rotations.begin());
    std::copy(saved_t.begin(), saved_t.end(), translations.begin());
    return cost;
  }

  double MaxRotationError() const {
    double worst = 0.0;
    for (size_t k = 0; k < rotations.size(); ++k) {
      worst = std::max(worst, (rotations[k] - true_rotations[k]).norm());
    }
    return worst;
  }
  double MaxTranslationError() const {
    double worst = 0.0;
    for (size_t k = 0; k < rotations.size(); ++k) {
      worst = std::max(worst, (translations[k] - true_translations[k]).norm());
    }
    return worst;
  }
};

ceres::Solver::Options Options() {
  ceres::Solver::Options options;
  options.linear_solver_type = ceres::SPARSE_NORMAL_CHOLESKY;
  options.max_num_iterations = 100;
  options.function_tolerance = 1e-12;
  options.gradient_tolerance = 1e-12;
  options.parameter_tolerance = 1e-12;
  return options;
}

template <int kDim>
void SolvePoseGraph(Model model, Gauge gauge) {
  TestRandom random(kDim * 10 + static_cast<int>(model));
  PoseGraph<kDim> graph(20, &random);
  graph.Build(model, gauge);
  const double truth = graph.CostAtTruth();
  const double start = graph.Cost();
  ceres::Solver::Summary summary;
  ceres::Solve(Options(), &graph.problem, &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_NE(summary.termination_type, ceres::NO_CONVERGENCE);
  // The optimum is at most the cost of the truth, far below the start.
  EXPECT_LE(summary.final_cost, truth * (1 + 1e-9));
  EXPECT_LT(summary.final_cost, 1e-2 * start);
  EXPECT_GT(summary.final_cost, 0.0);
  EXPECT_LT(graph.MaxRotationError(), 0.05);
  EXPECT_LT(graph.MaxTranslationError(), 0.3);
  // Rotations stay on SO(d).
  for (const auto& r : graph.rotations) {
    EXPECT_LT((r.transpose() * r - PoseGraph<kDim>::Matrix::Identity()).norm(),
              1e-12);
  }
}

TEST(EndToEnd, PoseGraph3dIsotropic) {
  SolvePoseGraph<3>(Model::kIsotropic, Gauge::kFixFirstPose);
}
TEST(EndToEnd, PoseGraph2dIsotropic) {
  SolvePoseGraph<2>(Model::kIsotropic, Gauge::kFixFirstPose);
}
TEST(EndToEnd, PoseGraph3dFullInformation) {
  SolvePoseGraph<3>(Model::kFullInformation, Gauge::kFixFirstPose);
}
TEST(EndToEnd, PoseGraph2dFullInformation) {
  SolvePoseGraph<2>(Model::kFullInformation, Gauge::kFixFirstPose);
}
TEST(EndToEnd, PoseGraph3dAnchoredByAPrior) {
  SolvePoseGraph<3>(Model::kIsotropic, Gauge::kPrior);
}
TEST(EndToEnd, PoseGraph2dAnchoredByAPrior) {
  SolvePoseGraph<2>(Model::kFullInformation, Gauge::kPrior);
}

// Range-aided SLAM: odometry (SE-Sync model) plus ranges from every pose to
// three unknown landmarks and one surveyed beacon, bearings on the sphere.
template <int kDim>
void SolveRangeAided() {
  using Vector = Eigen::Matrix<double, kDim, 1>;
  TestRandom random(100 + kDim);
  PoseGraph<kDim> graph(15, &random);
  std::vector<Vector> true_landmarks, landmarks;
  for (int k = 0; k < 3; ++k) {
    true_landmarks.push_back(RandomVector<kDim>(8.0, &random));
    landmarks.push_back(true_landmarks.back() +
                        RandomVector<kDim>(0.5, &random));
  }
  const Vector beacon = RandomVector<kDim>(8.0, &random);
  const double sigma = 0.05;
  const int num_poses = static_cast<int>(graph.rotations.size());
  // Bearings: one per range, initialised from the (perturbed) start.
  std::vector<Vector> bearings, true_bearings;
  bearings.reserve(4 * num_poses);
  true_bearings.reserve(4 * num_poses);
  graph.Build(Model::kIsotropic, Gauge::kFixFirstPose);
  for (int i = 0; i < num_poses; ++i) {
    for (int k = 0; k < 4; ++k) {
      const Vector target = k < 3 ? true_landmarks[k] : beacon;
      const Vector start_target = k < 3 ? landmarks[k] : beacon;
      const double range = (graph.true_translations[i] - target).norm() +
                           sigma * random.Normal(1.0);
      true_bearings.push_back(
          (graph.true_translations[i] - target).normalized());
      bearings.push_back((graph.translations[i] - start_target).normalized());
      graph.problem.AddParameterBlock(bearings.back().data(), kDim,
                                      CreateUnitBearingManifold(kDim));
      if (k < 3) {
        graph.problem.AddResidualBlock(RangeCost<kDim>::Create(range, sigma),
                                       nullptr, graph.translations[i].data(),
                                       landmarks[k].data(),
                                       bearings.back().data());
      } else {
        graph.problem.AddResidualBlock(
            RangeToKnownPointCost<kDim>::Create(beacon, range, sigma), nullptr,
            graph.translations[i].data(), bearings.back().data());
      }
    }
  }
  // Cost at the truth (bearings exact there).
  const auto saved_landmarks = landmarks;
  const auto saved_bearings = bearings;
  std::copy(true_landmarks.begin(), true_landmarks.end(), landmarks.begin());
  std::copy(true_bearings.begin(), true_bearings.end(), bearings.begin());
  const double truth = graph.CostAtTruth();
  std::copy(saved_landmarks.begin(), saved_landmarks.end(), landmarks.begin());
  std::copy(saved_bearings.begin(), saved_bearings.end(), bearings.begin());
  const double start = graph.Cost();

  ceres::Solver::Summary summary;
  ceres::Solve(Options(), &graph.problem, &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_LE(summary.final_cost, truth * (1 + 1e-9));
  EXPECT_LT(summary.final_cost, 1e-2 * start);
  for (int k = 0; k < 3; ++k) {
    // Within 4 standard deviations of the truth along the landmark's worst
    // observed direction (range-only geometry can be weak in 3D).
    Eigen::Matrix<double, kDim, kDim> information =
        Eigen::Matrix<double, kDim, kDim>::Zero();
    for (int i = 0; i < num_poses; ++i) {
      const Vector b = true_bearings[4 * i + k];
      information += b * b.transpose() / (sigma * sigma);
    }
    const double weakest =
        Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, kDim, kDim>>(
            information)
            .eigenvalues()[0];
    EXPECT_LT((landmarks[k] - true_landmarks[k]).norm(),
              4.0 / std::sqrt(weakest))
        << k;
  }
  EXPECT_LT(graph.MaxTranslationError(), 0.3);
  for (const Vector& b : bearings) EXPECT_NEAR(b.norm(), 1.0, 1e-12);
}

TEST(EndToEnd, RangeAided2d) { SolveRangeAided<2>(); }
TEST(EndToEnd, RangeAided3d) { SolveRangeAided<3>(); }

}  // namespace
}  // namespace ceres_varpro

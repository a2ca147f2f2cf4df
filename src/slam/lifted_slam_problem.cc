#include "ceres_varpro/slam/lifted_slam_problem.h"

#include <cmath>

#include "ceres/ceres.h"
#include "ceres_varpro/slam/information.h"
#include "ceres_varpro/slam/lifted_range_cost.h"
#include "ceres_varpro/slam/lifted_rotation_cost.h"
#include "ceres_varpro/slam/lifted_translation_cost.h"
#include "ceres_varpro/slam/stiefel_manifold.h"
#include "glog/logging.h"

namespace ceres_varpro {

bool LiftedSlamProblem::Build(const SlamGraph& graph, int rank,
                              std::string* error) {
  if (!graph.Validate(error)) return false;
  if (rank < graph.dimension) {
    *error = "the rank must be at least the dimension";
    return false;
  }
  d_ = graph.dimension;
  r_ = rank;
  num_poses_ = graph.num_poses();
  num_landmarks_ = graph.num_landmarks();
  num_bearings_ = static_cast<int>(graph.range_edges.size());
  const int d = d_, r = r_;
  rotations_.assign(static_cast<size_t>(num_poses_) * r * d, 0.0);
  positions_.assign(static_cast<size_t>(num_poses_ + num_landmarks_) * r, 0.0);
  bearings_.assign(static_cast<size_t>(num_bearings_) * r, 0.0);
  for (int i = 0; i < num_poses_; ++i) {
    for (int c = 0; c < d; ++c) rotations_[i * r * d + c * r + c] = 1.0;
  }
  for (int k = 0; k < num_bearings_; ++k) bearings_[k * r] = 1.0;

  problem_ = std::make_unique<ceres::Problem>();
  linear_blocks_.clear();
  auto rotation = [&](int i) { return &rotations_[i * r * d]; };
  auto position = [&](const SlamGraph::Endpoint& e) {
    return &positions_[(e.is_landmark ? num_poses_ + e.index : e.index) * r];
  };
  // The problem owns a manifold only once a block uses it.
  ceres::Manifold* stiefel =
      num_poses_ > 0 ? new StiefelManifold(r, d) : nullptr;
  ceres::Manifold* sphere =
      num_bearings_ > 0 ? new StiefelManifold(r, 1) : nullptr;
  for (int i = 0; i < num_poses_; ++i) {
    problem_->AddParameterBlock(rotation(i), r * d, stiefel);
  }
  for (int p = 0; p < num_poses_ + num_landmarks_; ++p) {
    problem_->AddParameterBlock(&positions_[p * r], r);
    linear_blocks_.push_back(&positions_[p * r]);
  }
  for (int k = 0; k < num_bearings_; ++k) {
    problem_->AddParameterBlock(&bearings_[k * r], r, sphere);
  }
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const IsotropicWeights w = IsotropicWeightsFromInformation(e.information);
    problem_->AddResidualBlock(new LiftedRotationCost(e.rotation, w.kappa, r),
                               nullptr, rotation(e.from), rotation(e.to));
    problem_->AddResidualBlock(
        new LiftedTranslationCost(e.translation, w.tau, r), nullptr,
        rotation(e.from), &positions_[e.from * r], &positions_[e.to * r]);
  }
  for (const SlamGraph::LandmarkEdge& e : graph.landmark_edges) {
    problem_->AddResidualBlock(
        new LiftedTranslationCost(e.translation,
                                  IsotropicPrecision(e.information), r),
        nullptr, rotation(e.pose), &positions_[e.pose * r],
        &positions_[(num_poses_ + e.landmark) * r]);
  }
  for (int k = 0; k < num_bearings_; ++k) {
    const SlamGraph::RangeEdge& e = graph.range_edges[k];
    problem_->AddResidualBlock(
        new LiftedRangeCost(e.range, std::sqrt(e.variance), r), nullptr,
        position(e.a), position(e.b), &bearings_[k * r]);
  }
  // Gauge, as in SlamProblem: the first pose is the frame.
  if (num_poses_ > 0) {
    problem_->SetParameterBlockConstant(rotation(0));
    problem_->SetParameterBlockConstant(&positions_[0]);
  }
  return true;
}

Eigen::MatrixXd LiftedSlamProblem::X() const {
  const int r = r_, d = d_;
  Eigen::MatrixXd x(r, d * num_poses_ + num_bearings_);
  x.leftCols(d * num_poses_) =
      Eigen::Map<const Eigen::MatrixXd>(rotations_.data(), r, d * num_poses_);
  x.rightCols(num_bearings_) =
      Eigen::Map<const Eigen::MatrixXd>(bearings_.data(), r, num_bearings_);
  return x;
}

void LiftedSlamProblem::SetX(const Eigen::MatrixXd& x) {
  const int r = r_, d = d_;
  CHECK_EQ(x.rows(), r);
  CHECK_EQ(x.cols(), d * num_poses_ + num_bearings_);
  for (int i = 0; i < num_poses_; ++i) {
    const auto y = x.middleCols(d * i, d);
    CHECK_LT((y.transpose() * y - Eigen::MatrixXd::Identity(d, d)).norm(), 1e-6)
        << "pose " << i << " is not on St(d, r)";
  }
  for (int k = 0; k < num_bearings_; ++k) {
    CHECK_LT(std::abs(x.col(d * num_poses_ + k).norm() - 1.0), 1e-6)
        << "bearing " << k << " is not a unit vector";
  }
  Eigen::Map<Eigen::MatrixXd>(rotations_.data(), r, d * num_poses_) =
      x.leftCols(d * num_poses_);
  Eigen::Map<Eigen::MatrixXd>(bearings_.data(), r, num_bearings_) =
      x.rightCols(num_bearings_);
}

Eigen::MatrixXd LiftedSlamProblem::Positions() const {
  return Eigen::Map<const Eigen::MatrixXd>(positions_.data(), r_,
                                           num_poses_ + num_landmarks_);
}

void LiftedSlamProblem::SetPositions(const Eigen::MatrixXd& positions) {
  CHECK_EQ(positions.rows(), r_);
  CHECK_EQ(positions.cols(), num_poses_ + num_landmarks_);
  Eigen::Map<Eigen::MatrixXd>(positions_.data(), r_,
                              num_poses_ + num_landmarks_) = positions;
}

}  // namespace ceres_varpro

#include "test_util/certifiable_test_util.h"

#include <cmath>
#include <string>

#include "Eigen/QR"
#include "test_util/slam_test_util.h"

namespace ceres_varpro::testing {

SlamGraph RangeAidedTestGraph(int d, int num_poses, double noise,
                              unsigned int seed) {
  TestRandom random(seed);
  SlamGraph g;
  g.format = SlamGraph::Format::kPyfg;
  g.dimension = d;
  g.vertices_are_initial_guess = false;
  auto rotation = [&](double angle) -> Eigen::MatrixXd {
    if (d == 2) return Rotation2(angle);
    return Rotation3(Eigen::Vector3d(0.1 * angle, 0.05, angle));
  };
  auto small_rotation = [&]() -> Eigen::MatrixXd {
    if (d == 2) return Rotation2(noise * random.Normal(1.0));
    return Rotation3(noise * random.Vector3(1.0));
  };
  auto vector_noise = [&]() {
    Eigen::VectorXd v(d);
    for (int a = 0; a < d; ++a) v[a] = noise * random.Normal(1.0);
    return v;
  };
  for (int i = 0; i < num_poses; ++i) {
    SlamGraph::Pose p;
    p.name = "A" + std::to_string(i);
    p.id = i;
    const double a = 2.0 * M_PI * i / num_poses;
    p.translation = Eigen::VectorXd::Zero(d);
    p.translation[0] = 6.0 * std::cos(a);
    p.translation[1] = 4.0 * std::sin(a);
    if (d == 3) p.translation[2] = 0.5 * std::sin(2.0 * a);
    p.rotation = rotation(a + 1.5);
    p.has_value = true;
    g.poses.push_back(p);
  }
  for (int j = 0; j < 3; ++j) {
    SlamGraph::Landmark l;
    l.name = "L" + std::to_string(j);
    l.position = Eigen::VectorXd::Zero(d);
    l.position[0] = 5.0 * j - 4.0;
    l.position[1] = 3.0 - 2.5 * j;
    l.has_value = true;
    g.landmarks.push_back(l);
  }
  const int pose_info_size = d == 2 ? 3 : 6;
  Eigen::MatrixXd info =
      Eigen::MatrixXd::Identity(pose_info_size, pose_info_size);
  info.topLeftCorner(d, d) *= 400.0;
  info.bottomRightCorner(pose_info_size - d, pose_info_size - d) *= 2500.0;
  auto relative = [&](int i, int j) {
    SlamGraph::PoseEdge e;
    e.from = i;
    e.to = j;
    const SlamGraph::Pose& a = g.poses[i];
    const SlamGraph::Pose& b = g.poses[j];
    e.rotation = a.rotation.transpose() * b.rotation * small_rotation();
    e.translation = a.rotation.transpose() * (b.translation - a.translation) +
                    vector_noise();
    e.information = info;
    g.pose_edges.push_back(e);
  };
  for (int i = 0; i + 1 < num_poses; ++i) relative(i, i + 1);
  auto position = [&](const SlamGraph::Endpoint& x) -> Eigen::VectorXd {
    return x.is_landmark ? g.landmarks[x.index].position
                         : g.poses[x.index].translation;
  };
  auto range = [&](SlamGraph::Endpoint a, SlamGraph::Endpoint b) {
    SlamGraph::RangeEdge r;
    r.a = a;
    r.b = b;
    r.range = (position(a) - position(b)).norm() + noise * random.Normal(1.0);
    r.variance = 0.01;
    g.range_edges.push_back(r);
  };
  for (int i = 0; i < num_poses; ++i) {
    range({false, i}, {true, i % 3});
    if (i % 4 == 0 && i + num_poses / 2 < num_poses) {
      range({false, i}, {false, i + num_poses / 2});
    }
  }
  for (int i = 0; i < num_poses; i += 5) {
    SlamGraph::LandmarkEdge e;
    e.pose = i;
    e.landmark = 1;
    e.translation = g.poses[i].rotation.transpose() *
                        (g.landmarks[1].position - g.poses[i].translation) +
                    vector_noise();
    e.information = 25.0 * Eigen::MatrixXd::Identity(d, d);
    g.landmark_edges.push_back(e);
  }
  return g;
}

Eigen::MatrixXd RandomLiftedPoint(int r, int d, int num_poses, int num_bearings,
                                  TestRandom* random) {
  Eigen::MatrixXd x(r, d * num_poses + num_bearings);
  for (int i = 0; i < x.size(); ++i) x(i) = random->Normal(1.0);
  for (int i = 0; i < num_poses; ++i) {
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(x.middleCols(d * i, d));
    x.middleCols(d * i, d) =
        qr.householderQ() * Eigen::MatrixXd::Identity(r, d);
  }
  for (int k = 0; k < num_bearings; ++k) {
    x.col(d * num_poses + k).normalize();
  }
  return x;
}

}  // namespace ceres_varpro::testing

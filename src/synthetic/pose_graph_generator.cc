#include "ceres_varpro/synthetic/pose_graph_generator.h"

#include <cmath>
#include <cstdio>
#include <random>

#include "Eigen/Geometry"

namespace ceres_varpro {
namespace {

class Normal {
 public:
  explicit Normal(uint64_t seed) : engine_(seed) {}
  double operator()(double sigma) {
    // Box-Muller on 53-bit uniforms: identical wherever mt19937_64 is.
    const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

Eigen::MatrixXd Exp(const Eigen::VectorXd& w) {
  if (w.size() == 1) return RotationFromAngle(w[0]);
  const double angle = w.norm();
  if (angle < 1e-15) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(angle, w / angle).toRotationMatrix();
}

std::string EdgeLine(int d, int i, int j, const Eigen::MatrixXd& r,
                     const Eigen::VectorXd& t, const Eigen::MatrixXd& info) {
  char buffer[512];  // 9 numbers of up to 24 characters each, and more.
  std::string line;
  if (d == 2) {
    std::snprintf(buffer, sizeof(buffer), "EDGE_SE2 %d %d %.17g %.17g %.17g", i,
                  j, t[0], t[1], AngleFromRotation(r));
  } else {
    const Eigen::Vector4d q = QuaternionFromRotation(r);
    std::snprintf(
        buffer, sizeof(buffer),
        "EDGE_SE3:QUAT %d %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g", i, j,
        t[0], t[1], t[2], q[0], q[1], q[2], q[3]);
  }
  line = buffer;
  for (int a = 0; a < info.rows(); ++a) {
    for (int b = a; b < info.cols(); ++b) {
      std::snprintf(buffer, sizeof(buffer), " %.17g", info(a, b));
      line += buffer;
    }
  }
  return line;
}

// GeneratePoseGraph's stages.

// The graph's size: n poses on rings of per_ring, d-dimensional with
// `tangent` rotation parameters.
struct Layout {
  int d;
  int tangent;
  int n;
  int per_ring;
  int rings;
};

// Rotations and translations of the n poses.
struct Poses {
  std::vector<Eigen::MatrixXd> r;
  std::vector<Eigen::VectorXd> t;
};

// Ground truth: position on the ring, heading along it.
Poses GroundTruth(const PoseGraphGeneratorOptions& options,
                  const Layout& layout) {
  const int d = layout.d, n = layout.n;
  const int per_ring = layout.per_ring, rings = layout.rings;
  Poses truth{std::vector<Eigen::MatrixXd>(n), std::vector<Eigen::VectorXd>(n)};
  std::vector<Eigen::MatrixXd>& r = truth.r;
  std::vector<Eigen::VectorXd>& t = truth.t;
  for (int i = 0; i < n; ++i) {
    const int ring = i / per_ring;
    const double phi = 2.0 * M_PI * (i % per_ring) / per_ring;
    if (d == 2) {
      const double rho = options.radius * (0.5 + 0.5 * (ring + 1.0) / rings);
      t[i] = Eigen::Vector2d(rho * std::cos(phi), rho * std::sin(phi));
      r[i] = RotationFromAngle(phi + M_PI / 2);
    } else {
      const double theta = M_PI * (ring + 0.5) / rings;  // Polar angle.
      t[i] = options.radius * Eigen::Vector3d(std::sin(theta) * std::cos(phi),
                                              std::sin(theta) * std::sin(phi),
                                              -std::cos(theta));
      Eigen::Matrix3d frame;
      frame.col(0) = Eigen::Vector3d(-std::sin(phi), std::cos(phi),
                                     0.0);  // Along the ring.
      frame.col(2) = t[i].normalized();     // Outwards.
      frame.col(1) = frame.col(2).cross(frame.col(0));
      r[i] = frame;
    }
  }
  return truth;
}

// Noisy measurements with matching information: the odometry chain, then
// loop closures to the previous ring with the given probability.
void AddMeasurements(const PoseGraphGeneratorOptions& options,
                     const Layout& layout, const Poses& truth, Normal* random,
                     SlamGraph* graph) {
  const int d = layout.d, tangent = layout.tangent;
  const std::vector<Eigen::MatrixXd>& r = truth.r;
  const std::vector<Eigen::VectorXd>& t = truth.t;
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(d + tangent, d + tangent);
  info.topLeftCorner(d, d) =
      Eigen::MatrixXd::Identity(d, d) /
      (options.translation_noise * options.translation_noise);
  info.bottomRightCorner(tangent, tangent) =
      Eigen::MatrixXd::Identity(tangent, tangent) /
      (options.rotation_noise * options.rotation_noise);
  auto measure = [&](int i, int j) {
    SlamGraph::PoseEdge e;
    Eigen::VectorXd noise(tangent);
    for (int k = 0; k < tangent; ++k)
      noise[k] = (*random)(options.rotation_noise);
    e.from = i;
    e.to = j;
    e.rotation = r[i].transpose() * r[j] * Exp(noise);
    e.translation = r[i].transpose() * (t[j] - t[i]);
    for (int k = 0; k < d; ++k)
      e.translation[k] += (*random)(options.translation_noise);
    e.information = info;
    graph->other_lines.push_back(
        EdgeLine(d, i, j, e.rotation, e.translation, info));
    graph->pose_edges.push_back(std::move(e));
  };
  for (int i = 0; i + 1 < layout.n; ++i) measure(i, i + 1);
  for (int i = layout.per_ring; i < layout.n; ++i) {
    if (random->Uniform() < options.loop_closure_probability)
      measure(i - layout.per_ring, i);
  }
}

// Vertices: the odometry chain (the first n - 1 edges) from the true first
// pose.
void AddOdometryVertices(const Poses& truth, int n, SlamGraph* graph) {
  graph->poses.resize(n);
  for (int i = 0; i < n; ++i) {
    SlamGraph::Pose& p = graph->poses[i];
    p.name = std::to_string(i);
    p.id = i;
    p.has_value = true;
    if (i == 0) {
      p.rotation = truth.r[0];
      p.translation = truth.t[0];
    } else {
      const SlamGraph::PoseEdge& e = graph->pose_edges[i - 1];
      const SlamGraph::Pose& q = graph->poses[i - 1];
      p.rotation = q.rotation * e.rotation;
      p.translation = q.translation + q.rotation * e.translation;
    }
  }
}

}  // namespace

void GeneratePoseGraph(const PoseGraphGeneratorOptions& options,
                       SlamGraph* graph) {
  *graph = SlamGraph();
  Layout layout;
  layout.d = options.dimension == 2 ? 2 : 3;
  layout.tangent = layout.d == 2 ? 1 : 3;
  layout.n = std::max(2, options.num_poses);
  layout.per_ring = std::max(3, options.poses_per_ring);
  layout.rings = (layout.n + layout.per_ring - 1) / layout.per_ring;
  graph->format = SlamGraph::Format::kG2o;
  graph->dimension = layout.d;
  graph->vertices_are_initial_guess = true;
  Normal random(options.seed);

  const Poses truth = GroundTruth(options, layout);
  AddMeasurements(options, layout, truth, &random, graph);
  AddOdometryVertices(truth, layout.n, graph);
}

}  // namespace ceres_varpro

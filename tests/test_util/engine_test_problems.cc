#include "test_util/engine_test_problems.h"

#include <cmath>

#include "ceres/rotation.h"

namespace ceres_varpro::testing {

double TestRandom::Normal(double sigma) {
  // Box-Muller from our own uniforms: identical on every platform.
  const double u1 = std::max(Uniform(0.0, 1.0), 1e-300);
  const double u2 = Uniform(0.0, 1.0);
  return sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

namespace {

std::array<double, 4> MatrixToQuaternion(const Eigen::Matrix3d& r) {
  std::array<double, 4> q;
  ceres::RotationMatrixToQuaternion(ceres::ColumnMajorAdapter3x3(r.data()),
                                    q.data());
  return q;
}

Eigen::Matrix3d ExpSO3(const Eigen::Vector3d& w) {
  Eigen::Matrix3d r;
  ceres::AngleAxisToRotationMatrix(w.data(),
                                   ceres::ColumnMajorAdapter3x3(r.data()));
  return r;
}

template <typename T>
Eigen::Matrix<T, 3, 3> Rotation(const T* q) {
  Eigen::Matrix<T, 3, 3> r;
  ceres::QuaternionToRotation(q, ceres::ColumnMajorAdapter3x3(r.data()));
  return r;
}

struct RotationResidual {
  RotationResidual(const Eigen::Matrix3d& measured, double sqrt_kappa)
      : measured(measured), sqrt_kappa(sqrt_kappa) {}
  template <typename T>
  bool operator()(const T* qi, const T* qj, T* residual) const {
    const Eigen::Matrix<T, 3, 3> ri = Rotation(qi);
    const Eigen::Matrix<T, 3, 3> rj = Rotation(qj);
    const Eigen::Matrix<T, 3, 3> e = rj - ri * measured.cast<T>();
    for (int k = 0; k < 9; ++k) residual[k] = T(sqrt_kappa) * e.data()[k];
    return true;
  }
  Eigen::Matrix3d measured;
  double sqrt_kappa;
};

struct TranslationResidual {
  TranslationResidual(const Eigen::Vector3d& measured,
                      const Eigen::Vector3d& weights, bool anisotropic)
      : measured(measured), weights(weights), anisotropic(anisotropic) {}
  template <typename T>
  bool operator()(const T* qi, const T* ti, const T* tj, T* residual) const {
    const Eigen::Matrix<T, 3, 3> ri = Rotation(qi);
    const Eigen::Map<const Eigen::Matrix<T, 3, 1>> a(ti), b(tj);
    Eigen::Matrix<T, 3, 1> e;
    if (anisotropic) {
      e = ri.transpose() * (b - a) - measured.cast<T>();
    } else {
      e = b - a - ri * measured.cast<T>();
    }
    for (int k = 0; k < 3; ++k) residual[k] = T(weights[k]) * e[k];
    return true;
  }
  Eigen::Vector3d measured, weights;
  bool anisotropic;
};

struct LandmarkResidual {
  LandmarkResidual(const Eigen::Vector3d& z, const Eigen::Vector3d& w,
                   bool bearing)
      : z(z), w(w), bearing(bearing) {}
  template <typename T>
  bool operator()(const T* q, const T* p, const T* l, T* residual) const {
    const Eigen::Matrix<T, 3, 3> r = Rotation(q);
    const Eigen::Map<const Eigen::Matrix<T, 3, 1>> pm(p), lm(l);
    Eigen::Matrix<T, 3, 1> v = r.transpose() * (lm - pm);
    if (bearing) v = v / v.norm();
    for (int k = 0; k < 3; ++k) residual[k] = T(w[k]) * (v[k] - T(z[k]));
    return true;
  }
  Eigen::Vector3d z, w;
  bool bearing;
};

struct RangeResidual {
  explicit RangeResidual(double d) : d(d) {}
  template <typename T>
  bool operator()(const T* pi, const T* pj, const T* phi, T* residual) const {
    residual[0] = pj[0] - pi[0] - T(d) * cos(phi[0]);
    residual[1] = pj[1] - pi[1] - T(d) * sin(phi[0]);
    return true;
  }
  double d;
};

}  // namespace

std::vector<double*> RangeNetworkProblem::position_blocks() {
  std::vector<double*> out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!anchor[i]) out.push_back(p[i].data());
  }
  return out;
}

std::unique_ptr<RangeNetworkProblem> MakeRangeNetwork(
    const RangeNetworkOptions& options) {
  auto out = std::make_unique<RangeNetworkProblem>();
  TestRandom random(options.seed);
  const int side = options.grid_side;
  const int n = side * side;
  std::vector<Eigen::Vector2d> truth(n);
  for (int i = 0; i < n; ++i) {
    truth[i] = Eigen::Vector2d(i % side + random.Normal(0.2),
                               i / side + random.Normal(0.2));
  }
  out->p.resize(n);
  out->anchor.assign(n, false);
  for (int a = 0; a < options.num_anchors; ++a) {
    out->anchor[(a * (n - 1)) / std::max(1, options.num_anchors - 1)] = true;
  }
  out->problem = std::make_unique<ceres::Problem>();
  ceres::Problem& problem = *out->problem;
  for (int i = 0; i < n; ++i) {
    const Eigen::Vector2d p0 =
        out->anchor[i]
            ? truth[i]
            : Eigen::Vector2d(
                  truth[i] +
                  Eigen::Vector2d(random.Normal(options.position_noise),
                                  random.Normal(options.position_noise)));
    out->p[i] = {p0.x(), p0.y()};
    problem.AddParameterBlock(out->p[i].data(), 2);
    if (out->anchor[i]) problem.SetParameterBlockConstant(out->p[i].data());
  }
  std::vector<std::pair<int, int>> ranges;
  for (int i = 0; i < n; ++i) {
    const int x = i % side, y = i / side;
    if (x + 1 < side) ranges.emplace_back(i, i + 1);
    if (y + 1 < side) ranges.emplace_back(i, i + side);
    if (x + 1 < side && y + 1 < side) ranges.emplace_back(i, i + side + 1);
    if (x > 0 && y + 1 < side) ranges.emplace_back(i, i + side - 1);
  }
  out->angle.resize(ranges.size());
  for (size_t e = 0; e < ranges.size(); ++e) {
    const auto [i, j] = ranges[e];
    const double d =
        (truth[j] - truth[i]).norm() + random.Normal(options.range_noise);
    const Eigen::Vector2d v(out->p[j][0] - out->p[i][0],
                            out->p[j][1] - out->p[i][1]);
    out->angle[e] =
        std::atan2(v.y(), v.x()) + random.Normal(options.angle_noise);
    problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<RangeResidual, 2, 2, 2, 1>(
            new RangeResidual(d)),
        nullptr, out->p[i].data(), out->p[j].data(), &out->angle[e]);
  }
  return out;
}

std::unique_ptr<PoseGraphProblem> MakePoseGraph(
    const PoseGraphOptions& options) {
  auto out = std::make_unique<PoseGraphProblem>();
  TestRandom random(options.seed);
  const int n = options.num_poses;
  const int total = n * options.num_components;
  out->q.resize(total);
  out->t.resize(total);
  out->problem = std::make_unique<ceres::Problem>();
  ceres::Problem& problem = *out->problem;
  ceres::Manifold* manifold = new ceres::QuaternionManifold;

  for (int c = 0; c < options.num_components; ++c) {
    // Ground truth: a helix with wobbling orientation.
    std::vector<Eigen::Matrix3d> rg(n);
    std::vector<Eigen::Vector3d> tg(n);
    for (int i = 0; i < n; ++i) {
      const double a = 0.35 * i;
      tg[i] = Eigen::Vector3d(5.0 * std::cos(a), 5.0 * std::sin(a), 0.15 * i) +
              random.Vector3(0.1);
      rg[i] = ExpSO3(
          Eigen::Vector3d(0.1 * std::sin(0.3 * i), 0.1 * std::cos(0.2 * i), a));
    }
    std::vector<std::pair<int, int>> edges;
    for (int i = 0; i + 1 < n; ++i) edges.push_back({i, i + 1});
    const int extra = static_cast<int>(options.loop_closure_fraction * n);
    for (int k = 0; k < extra; ++k) {
      const int i = random.Int(0, n - 1);
      int j = random.Int(0, n - 1);
      if (std::abs(i - j) < 2) j = (i + n / 2) % n;
      if (i == j) continue;
      edges.push_back({i, j});
    }
    // Measurements with noise, and the odometry-chained initial guess.
    std::vector<Eigen::Matrix3d> rm(edges.size());
    std::vector<Eigen::Vector3d> tm(edges.size());
    for (size_t e = 0; e < edges.size(); ++e) {
      const auto [i, j] = edges[e];
      rm[e] = rg[i].transpose() * rg[j] *
              ExpSO3(random.Vector3(options.rotation_noise));
      tm[e] = rg[i].transpose() * (tg[j] - tg[i]) +
              random.Vector3(options.translation_noise);
    }
    std::vector<Eigen::Matrix3d> ri(n);
    std::vector<Eigen::Vector3d> ti(n);
    ri[0] = rg[0];
    ti[0] = tg[0];
    for (int i = 0; i + 1 < n; ++i) {  // Edges 0..n-2 are the odometry.
      ri[i + 1] = ri[i] * rm[i];
      ti[i + 1] = ti[i] + ri[i] * tm[i];
    }
    const int base = c * n;
    for (int i = 0; i < n; ++i) {
      out->q[base + i] = MatrixToQuaternion(ri[i]);
      const Eigen::Vector3d shift(20.0 * c, 0, 0);
      for (int k = 0; k < 3; ++k) out->t[base + i][k] = ti[i][k] + shift[k];
    }
    for (int i = 0; i < n; ++i) {
      problem.AddParameterBlock(out->q[base + i].data(), 4, manifold);
      problem.AddParameterBlock(out->t[base + i].data(), 3);
    }
    if (options.fix_first_rotation)
      problem.SetParameterBlockConstant(out->q[base].data());
    const double sqrt_kappa =
        1.0 / (std::sqrt(2.0) * std::max(options.rotation_noise, 1e-3));
    const double sqrt_tau = 1.0 / std::max(options.translation_noise, 1e-3);
    for (size_t e = 0; e < edges.size(); ++e) {
      const int i = base + edges[e].first;
      const int j = base + edges[e].second;
      out->edges.push_back({i, j});
      problem.AddResidualBlock(
          new ceres::AutoDiffCostFunction<RotationResidual, 9, 4, 4>(
              new RotationResidual(rm[e], sqrt_kappa)),
          nullptr, out->q[i].data(), out->q[j].data());
      Eigen::Vector3d w = Eigen::Vector3d::Constant(sqrt_tau);
      if (options.anisotropic) w = sqrt_tau * Eigen::Vector3d(1.0, 0.5, 2.0);
      problem.AddResidualBlock(
          new ceres::AutoDiffCostFunction<TranslationResidual, 3, 4, 3, 3>(
              new TranslationResidual(
                  tm[e], w, options.anisotropic || options.body_frame)),
          options.huber_on_translations ? new ceres::HuberLoss(1.0) : nullptr,
          out->q[i].data(), out->t[i].data(), out->t[j].data());
    }
  }
  return out;
}

std::unique_ptr<LandmarkProblem> MakeLandmarkProblem(
    const LandmarkOptions& options) {
  auto out = std::make_unique<LandmarkProblem>();
  TestRandom random(options.seed);
  const int np = options.num_poses;
  const int nl = options.num_landmarks;
  out->q.resize(np);
  out->p.resize(np);
  out->l.resize(nl);
  out->problem = std::make_unique<ceres::Problem>();
  ceres::Problem& problem = *out->problem;
  ceres::Manifold* manifold = new ceres::QuaternionManifold;
  std::vector<Eigen::Matrix3d> rg(np);
  std::vector<Eigen::Vector3d> pg(np), lg(nl);
  for (int i = 0; i < np; ++i) {
    rg[i] = ExpSO3(random.Vector3(0.3));
    pg[i] = Eigen::Vector3d(2.0 * i, random.Normal(0.5), random.Normal(0.5));
  }
  for (int j = 0; j < nl; ++j) {
    lg[j] = Eigen::Vector3d(random.Uniform(-2, 2.0 * np), random.Uniform(-3, 3),
                            random.Uniform(4, 8));
  }
  for (int i = 0; i < np; ++i) {
    const Eigen::Matrix3d r0 =
        i == 0 ? rg[i] : Eigen::Matrix3d(rg[i] * ExpSO3(random.Vector3(0.05)));
    out->q[i] = MatrixToQuaternion(r0);
    const Eigen::Vector3d p0 =
        i == 0 ? pg[i] : Eigen::Vector3d(pg[i] + random.Vector3(0.1));
    for (int k = 0; k < 3; ++k) out->p[i][k] = p0[k];
    problem.AddParameterBlock(out->q[i].data(), 4, manifold);
    problem.AddParameterBlock(out->p[i].data(), 3);
  }
  problem.SetParameterBlockConstant(out->q[0].data());
  problem.SetParameterBlockConstant(out->p[0].data());
  for (int j = 0; j < nl; ++j) {
    const Eigen::Vector3d l0 = lg[j] + random.Vector3(0.3);
    for (int k = 0; k < 3; ++k) out->l[j][k] = l0[k];
    problem.AddParameterBlock(out->l[j].data(), 3);
    for (int o = 0; o < options.observations_per_landmark; ++o) {
      const int i = (j + o * 3) % np;
      Eigen::Vector3d z = rg[i].transpose() * (lg[j] - pg[i]);
      if (options.bearing_only) z.normalize();
      z += random.Vector3(options.bearing_only ? 0.002 : 0.02);
      const Eigen::Vector3d w = options.anisotropic
                                    ? Eigen::Vector3d(1.0, 3.0, 0.5)
                                    : Eigen::Vector3d(1.0, 1.0, 1.0);
      problem.AddResidualBlock(
          new ceres::AutoDiffCostFunction<LandmarkResidual, 3, 4, 3, 3>(
              new LandmarkResidual(z, (options.bearing_only ? 50.0 : 10.0) * w,
                                   options.bearing_only)),
          options.huber ? new ceres::HuberLoss(0.5) : nullptr, out->q[i].data(),
          out->p[i].data(), out->l[j].data());
    }
  }
  return out;
}

Eigen::MatrixXd GridLaplacian(int side, int block, bool long_links,
                              std::mt19937* rng) {
  const int nodes = side * side;
  const int n = block * nodes;
  std::uniform_real_distribution<double> u(0.5, 2.0);
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
  auto connect = [&](int a, int b) {
    Eigen::MatrixXd w = Eigen::MatrixXd::Random(block, block);
    w = w * w.transpose() + u(*rng) * Eigen::MatrixXd::Identity(block, block);
    m.block(block * a, block * a, block, block) += w;
    m.block(block * b, block * b, block, block) += w;
    m.block(block * a, block * b, block, block) -= w;
    m.block(block * b, block * a, block, block) -= w;
  };
  for (int r = 0; r < side; ++r) {
    for (int c = 0; c < side; ++c) {
      if (c + 1 < side) connect(r * side + c, r * side + c + 1);
      if (r + 1 < side) connect(r * side + c, (r + 1) * side + c);
    }
  }
  if (long_links) {
    for (int k = 0; k < side; ++k) connect(k, nodes - 1 - k);
  }
  m.diagonal().array() += 0.1;
  return m;
}

UpperTriangle UpperTriangleOf(const Eigen::MatrixXd& m) {
  UpperTriangle upper;
  upper.col_ptr.push_back(0);
  for (int c = 0; c < m.cols(); ++c) {
    for (int r = 0; r <= c; ++r) {
      if (m(r, c) != 0.0) {
        upper.row_index.push_back(r);
        upper.values.push_back(m(r, c));
      }
    }
    upper.col_ptr.push_back(static_cast<int>(upper.row_index.size()));
  }
  return upper;
}

}  // namespace ceres_varpro::testing

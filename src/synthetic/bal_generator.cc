#include "ceres_varpro/synthetic/bal_generator.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "Eigen/Core"
#include "Eigen/Geometry"
#include "ceres/rotation.h"

namespace ceres_varpro {
namespace {

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  double Normal(double sigma) {
    const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = Uniform();
    return sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  int Index(int n) {
    return static_cast<int>(engine_() % static_cast<uint64_t>(n));
  }

 private:
  std::mt19937_64 engine_;
};

// Projects X with camera c (BAL model); false if behind or outside.
bool Project(const double* c, const double* x, double* u) {
  double p[3];
  ceres::AngleAxisRotatePoint(c, x, p);
  p[0] += c[3];
  p[1] += c[4];
  p[2] += c[5];
  if (p[2] > -1.0) return false;  // BAL cameras look down -z.
  const double xp = -p[0] / p[2], yp = -p[1] / p[2];
  const double r2 = xp * xp + yp * yp;
  const double d = 1.0 + r2 * (c[7] + c[8] * r2);
  u[0] = c[6] * d * xp;
  u[1] = c[6] * d * yp;
  return std::abs(u[0]) < 500.0 && std::abs(u[1]) < 500.0;
}

// GenerateBalProblem's stages.

// Cameras on an arc of radius 12 around the origin, looking at it, with
// slightly varied intrinsics.
void PlaceCameras(const BalGeneratorOptions& options, Random* random,
                  BalProblem* gt) {
  for (int i = 0; i < gt->num_cameras; ++i) {
    const double a = -0.8 + 1.6 * i / (gt->num_cameras - 1);
    const Eigen::Vector3d centre(12.0 * std::sin(a), 1.5 * std::sin(3.0 * a),
                                 12.0 * std::cos(a));
    const Eigen::Vector3d z = centre.normalized();  // Camera looks along -z.
    const Eigen::Vector3d x = Eigen::Vector3d::UnitY().cross(z).normalized();
    const Eigen::Vector3d y = z.cross(x);
    Eigen::Matrix3d r;
    r.row(0) = x;
    r.row(1) = y;
    r.row(2) = z;
    double* c = gt->camera(i);
    const Eigen::Matrix3d& rotation = r;
    ceres::RotationMatrixToAngleAxis(
        ceres::ColumnMajorAdapter3x3(rotation.data()), c);
    const Eigen::Vector3d t = -r * centre;
    c[3] = t[0];
    c[4] = t[1];
    c[5] = t[2];
    c[6] = options.focal_length * (1.0 + 0.02 * random->Normal(1.0));
    c[7] = -0.02 + 0.01 * random->Normal(1.0);
    c[8] = 0.005 * random->Normal(1.0);
  }
}

// Observations: a random subset of the cameras that see each point (none
// for points fewer than two see); observed[j] marks the points kept.
std::vector<BalProblem::Observation> Observe(const BalGeneratorOptions& options,
                                             const BalProblem& gt,
                                             Random* random,
                                             std::vector<char>* observed) {
  std::vector<int> visible;
  std::vector<BalProblem::Observation> observations;
  observed->assign(gt.num_points, 0);
  for (int j = 0; j < gt.num_points; ++j) {
    visible.clear();
    double u[2];
    for (int i = 0; i < gt.num_cameras; ++i) {
      if (Project(gt.camera(i), gt.point(j), u)) visible.push_back(i);
    }
    if (visible.size() < 2) continue;
    const int want = std::min<int>(
        visible.size(),
        2 + random->Index(std::max(1, options.max_observations_per_point - 1)));
    for (int k = 0; k < want; ++k) {  // Partial Fisher-Yates.
      std::swap(
          visible[k],
          visible[k + random->Index(static_cast<int>(visible.size()) - k)]);
      Project(gt.camera(visible[k]), gt.point(j), u);
      observations.push_back({visible[k], j,
                              u[0] + random->Normal(options.pixel_noise),
                              u[1] + random->Normal(options.pixel_noise)});
    }
    (*observed)[j] = 1;
  }
  return observations;
}

// The ground truth without the points nobody sees, the rest renumbered and
// the observations sorted by (camera, point).
BalProblem DropUnobserved(const BalProblem& gt,
                          const std::vector<char>& observed,
                          std::vector<BalProblem::Observation> observations) {
  std::vector<int> new_index(gt.num_points, -1);
  BalProblem out;
  out.num_cameras = gt.num_cameras;
  out.cameras = gt.cameras;
  for (int j = 0; j < gt.num_points; ++j) {
    if (!observed[j]) continue;
    new_index[j] = out.num_points++;
    out.points.insert(out.points.end(), gt.point(j), gt.point(j) + 3);
  }
  std::sort(observations.begin(), observations.end(),
            [](const auto& a, const auto& b) {
              return a.camera != b.camera ? a.camera < b.camera
                                          : a.point < b.point;
            });
  for (auto& o : observations) o.point = new_index[o.point];
  out.observations = observations;
  return out;
}

// The initial guess: perturbed cameras (first one exact) and points.
void Perturb(const BalGeneratorOptions& options, Random* random,
             BalProblem* out) {
  for (int i = 1; i < out->num_cameras; ++i) {
    double* c = out->camera(i);
    for (int k = 0; k < 3; ++k)
      c[k] += random->Normal(options.camera_rotation_noise);
    for (int k = 3; k < 6; ++k)
      c[k] += random->Normal(options.camera_translation_noise);
  }
  for (double& v : out->points) v += random->Normal(options.point_noise);
}

}  // namespace

void GenerateBalProblem(const BalGeneratorOptions& options, BalProblem* problem,
                        BalProblem* truth) {
  Random random(options.seed);
  BalProblem gt;
  gt.num_cameras = std::max(2, options.num_cameras);
  gt.num_points = std::max(1, options.num_points);
  gt.cameras.resize(9 * gt.num_cameras);
  gt.points.resize(3 * gt.num_points);
  PlaceCameras(options, &random, &gt);
  for (int j = 0; j < gt.num_points; ++j) {
    double* p = gt.point(j);
    for (int k = 0; k < 3; ++k) p[k] = random.Uniform(-3.0, 3.0);
  }
  std::vector<char> observed;
  std::vector<BalProblem::Observation> observations =
      Observe(options, gt, &random, &observed);
  BalProblem out = DropUnobserved(gt, observed, std::move(observations));
  if (truth != nullptr) *truth = out;
  Perturb(options, &random, &out);
  *problem = std::move(out);
}

}  // namespace ceres_varpro

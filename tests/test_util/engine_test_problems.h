#ifndef CERES_VARPRO_TESTS_TEST_UTIL_ENGINE_TEST_PROBLEMS_H_
#define CERES_VARPRO_TESTS_TEST_UTIL_ENGINE_TEST_PROBLEMS_H_

#include <memory>
#include <random>
#include <vector>

#include "Eigen/Core"
#include "ceres/ceres.h"

namespace ceres_varpro::testing {

// Deterministic random numbers for test problems.
class TestRandom {
 public:
  explicit TestRandom(unsigned int seed) : engine_(seed) {}
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(engine_() >> 11) * 0x1.0p-53);
  }
  double Normal(double sigma);
  int Int(int lo, int hi) {  // [lo, hi]
    return lo +
           static_cast<int>(engine_() % static_cast<unsigned>(hi - lo + 1));
  }
  Eigen::Vector3d Vector3(double sigma) {
    return Eigen::Vector3d(Normal(sigma), Normal(sigma), Normal(sigma));
  }

 private:
  std::mt19937_64 engine_;
};

// A 3D pose graph with quaternion rotations ([w, x, y, z] on Ceres's
// QuaternionManifold) and translations. Residuals per edge (i, j):
//   rotation     √κ vec(R_j - R_i R̃_ij)                      (θ only)
//   translation  √τ (t_j - t_i - R_i t̃_ij)              isotropic, or
//                W (R_iᵀ(t_j - t_i) - t̃_ij), W diagonal  anisotropic.
// The translations are the linear blocks. Owns its parameter memory.
struct PoseGraphProblem {
  std::vector<std::array<double, 4>> q;
  std::vector<std::array<double, 3>> t;
  std::vector<std::pair<int, int>> edges;
  std::unique_ptr<ceres::Problem> problem;
  std::vector<double*> rotation_blocks() { return Pointers(&q); }
  std::vector<double*> translation_blocks() { return Pointers(&t); }

  template <typename T>
  static std::vector<double*> Pointers(std::vector<T>* v) {
    std::vector<double*> p;
    for (auto& a : *v) p.push_back(a.data());
    return p;
  }
};

struct PoseGraphOptions {
  int num_poses = 60;
  double loop_closure_fraction = 0.5;  // Extra edges per pose.
  double rotation_noise = 0.02;        // Radians.
  double translation_noise = 0.05;
  bool anisotropic = false;
  // The anisotropic model's residual R_iᵀ(t_j - t_i) - t̃_ij with isotropic
  // weights: A moves with the rotations while G = AᵀA stays constant (Ceres's
  // pose_graph_3d example with isotropic information).
  bool body_frame = false;
  bool fix_first_rotation = true;
  unsigned int seed = 7;
  // Optional loss on the translation residuals.
  bool huber_on_translations = false;
  int num_components = 1;  // Disjoint copies of the graph.
};

std::unique_ptr<PoseGraphProblem> MakePoseGraph(
    const PoseGraphOptions& options);

// Poses (quaternion + position, both nonlinear) observing landmarks (the
// linear blocks): r = W (R_iᵀ(l_j - p_i) - z_ij). No residual touches two
// landmarks, so elimination is block by block. Pose 0 is held constant.
struct LandmarkProblem {
  std::vector<std::array<double, 4>> q;
  std::vector<std::array<double, 3>> p;
  std::vector<std::array<double, 3>> l;
  std::unique_ptr<ceres::Problem> problem;
  std::vector<double*> landmark_blocks() {
    return PoseGraphProblem::Pointers(&l);
  }
};

struct LandmarkOptions {
  int num_poses = 8;
  int num_landmarks = 30;
  int observations_per_landmark = 3;
  bool anisotropic = false;
  bool huber = false;
  // Observe landmarks through a bearing (not affine in l).
  bool bearing_only = false;
  unsigned int seed = 11;
};

std::unique_ptr<LandmarkProblem> MakeLandmarkProblem(
    const LandmarkOptions& options);

// Sensor-network localisation with one angle per range: 2D positions (the
// linear blocks) on a jittered grid, each node ranged to its grid neighbours
// (diagonals included), r = p_j - p_i - d_ij (cos φ_ij, sin φ_ij) with φ_ij a
// plain 1-parameter block. No residual touches two angles (J_θᵀJ_θ is
// diagonal); the positions are coupled. Anchors are constant positions
// (not named linear), so there is no gauge.
struct RangeNetworkProblem {
  std::vector<std::array<double, 2>> p;
  std::vector<double> angle;
  std::unique_ptr<ceres::Problem> problem;
  std::vector<double*> position_blocks();  // The free positions.
  std::vector<bool> anchor;
};

struct RangeNetworkOptions {
  int grid_side = 6;
  int num_anchors = 3;
  double range_noise = 0.02;
  double position_noise = 0.3;  // Initial positions.
  double angle_noise = 0.2;     // Initial angles, around the noisy positions'.
  unsigned int seed = 13;
};

std::unique_ptr<RangeNetworkProblem> MakeRangeNetwork(
    const RangeNetworkOptions& options);

// A grid Laplacian of side x side nodes with block x block weights, plus 0.1
// on the diagonal: fill, and supernodes of several columns, like a pose
// graph's Gram matrix. With long_links node k is also tied to node
// side² - 1 - k, so that descendants update several supernodes.
Eigen::MatrixXd GridLaplacian(int side, int block, bool long_links,
                              std::mt19937* rng);

// The nonzeros of m's upper triangle in compressed columns (CHOLMOD's
// symmetric-upper form).
struct UpperTriangle {
  std::vector<int> col_ptr, row_index;
  std::vector<double> values;
};
UpperTriangle UpperTriangleOf(const Eigen::MatrixXd& m);

}  // namespace ceres_varpro::testing

#endif  // CERES_VARPRO_TESTS_TEST_UTIL_ENGINE_TEST_PROBLEMS_H_

#ifndef CERES_VARPRO_SLAM_LIFTED_SLAM_PROBLEM_H_
#define CERES_VARPRO_SLAM_LIFTED_SLAM_PROBLEM_H_

#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "ceres/problem.h"
#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

// The isotropic SLAM model lifted to rank r ≥ d (the Burer-Monteiro
// relaxation, docs/certifiable.md §1) as an ordinary ceres::Problem:
// rotations Y_i ∈ St(d, r) on StiefelManifold(r, d), range bearings on
// StiefelManifold(r, 1) = S^{r-1}, translations and landmarks in R^r (the
// linear blocks ceres_varpro::Solve eliminates). Same terms and weights as
// SlamProblem with SlamModel::kIsotropic, so at r = d, with rotations in
// SO(d), its cost is SlamProblem's. Pose 0's rotation and translation are
// held constant (the cost is invariant under Y ↦ GY, t ↦ Gt + c for
// G ∈ O(r), so this loses nothing).
//
// Variables are exchanged as the matrices of SlamDataMatrix:
// X = [Y_1 … Y_n b_1 … b_m] (r×N) and P = [t_1 … t_n l_1 … l_L].
class LiftedSlamProblem {
 public:
  // False (with the reason) for an invalid graph or rank < d. Variables
  // start at Y_i = [I; 0], b_k = e_1, positions zero.
  bool Build(const SlamGraph& graph, int rank, std::string* error);

  int rank() const { return r_; }
  int dimension() const { return d_; }
  ceres::Problem* problem() { return problem_.get(); }
  // Translations and landmarks.
  const std::vector<double*>& linear_blocks() const { return linear_blocks_; }

  Eigen::MatrixXd X() const;
  // Columns must have orthonormal pose blocks and unit bearings (CHECKed
  // loosely); copied into the parameter blocks.
  void SetX(const Eigen::MatrixXd& x);
  Eigen::MatrixXd Positions() const;
  void SetPositions(const Eigen::MatrixXd& positions);

 private:
  int d_ = 0, r_ = 0;
  int num_poses_ = 0, num_landmarks_ = 0, num_bearings_ = 0;
  // Sized once: the problem keeps pointers into these vectors.
  std::vector<double> rotations_, positions_, bearings_;
  std::unique_ptr<ceres::Problem> problem_;
  std::vector<double*> linear_blocks_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_LIFTED_SLAM_PROBLEM_H_

#ifndef CERES_VARPRO_SLAM_CHORDAL_INITIALIZATION_H_
#define CERES_VARPRO_SLAM_CHORDAL_INITIALIZATION_H_

#include <string>
#include <vector>

#include "Eigen/Core"
#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

// The chordal initialisation of a pose graph's rotations (as SE-Sync and GTSAM
// start): minimise the isotropic rotation terms with orthogonality dropped,
//   Σ_ij κ_ij ‖R_j - R_i R̃_ij‖²_F   over R_i ∈ R^{d×d},
// with the first pose of every connected component of the rotation graph
// held at the identity — a sparse linear least-squares problem, d right-hand
// sides, one Cholesky factorisation — then project each R_i to SO(d). κ as
// in SlamModel::kIsotropic. False (with the reason) for an invalid graph.
bool ChordalRotations(const SlamGraph& graph,
                      std::vector<Eigen::MatrixXd>* rotations,
                      std::string* error);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_CHORDAL_INITIALIZATION_H_

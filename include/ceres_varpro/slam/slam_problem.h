#ifndef CERES_VARPRO_SLAM_SLAM_PROBLEM_H_
#define CERES_VARPRO_SLAM_SLAM_PROBLEM_H_

#include <memory>
#include <string>
#include <vector>

#include "ceres/problem.h"
#include "ceres_varpro/io/slam_graph.h"
#include "ceres_varpro/slam/information.h"

namespace ceres_varpro {

enum class SlamModel {
  // SE-Sync / "Sparse Variable Projection" model: √κ(R_j - R_i R̃),
  // √τ(t_j - t_i - R_i t̃), √ν(l_j - t_i - R_i t̃), isotropic weights from
  // the information matrices as SE-Sync derives them. Gram matrix constant.
  kIsotropic,
  // Full information: U[R_iᵀ(t_j - t_i) - t̃; Log(R̃ᵀR_iᵀR_j)] and
  // U(R_iᵀ(l_j - t_i) - t̃). Translations still linear, Gram varies.
  kFull,
};

enum class SlamInitialization {
  // kFile when every pose has a value that is an initial guess (g2o, TORO
  // with vertices), kOdometry otherwise (edges-only files, pyfg).
  kAuto,
  kFile,
  // Relative poses chained along a spanning forest that prefers consecutive
  // ids (odometry), inverting edges stored backwards; each tree starts at
  // its first pose's file value (or the origin).
  kOdometry,
  // Chordal rotations (ChordalRotations), then the translations and
  // landmarks minimising the isotropic model for them; expressed in pose 0's
  // file frame when it has a value. Graphs without ranges only.
  kChordal,
};

struct SlamProblemOptions {
  SlamModel model = SlamModel::kIsotropic;
  SlamInitialization initialization = SlamInitialization::kAuto;
};

// A SlamGraph as an ordinary ceres::Problem: rotations are d x d matrices on
// RotationManifold<d>, translations and landmarks plain vectors
// (the linear blocks), range bearings unit vectors (CreateUnitBearingManifold),
// priors as PosePriorCost / IsotropicPosePriorCost / LandmarkPriorCost.
// Gauge, per connected component: nothing is held when a pose prior (or d
// landmark priors) anchors it; with fewer landmark priors the first pose's
// rotation is held; without priors the first pose is held constant. Both
// ceres::Solve and ceres_varpro::Solve can solve it; State()/SetState()
// restart either from the same point.
class SlamProblem {
 public:
  bool Build(const SlamGraph& graph, const SlamProblemOptions& options,
             std::string* error);

  ceres::Problem* problem() { return problem_.get(); }
  // Translations and landmark positions.
  const std::vector<double*>& linear_blocks() const { return linear_blocks_; }
  // All the parameter values: the rotations (d² each, column-major), then the
  // translations, the landmarks and the bearings (d each).
  std::vector<double> State() const;
  void SetState(const std::vector<double>& state);
  // Current values into the graph's poses and landmarks (rotations are
  // projected back onto SO(d) exactly).
  void WriteTo(SlamGraph* graph) const;

  const std::string& initialization_used() const {
    return initialization_used_;
  }
  SlamModel model() const { return model_; }
  const char* model_name() const;
  int dimension() const { return d_; }
  // Connected components that priors anchor (see the class comment).
  int num_anchored_components() const { return num_anchored_components_; }

 private:
  bool Initialize(const SlamGraph& graph, SlamInitialization init,
                  std::string* error);
  // Initialize's last stages: the landmarks from the poses r, t (and the
  // chordal start's landmarks), then the bearings from the positions.
  void InitializeLandmarks(
      const SlamGraph& graph, SlamInitialization init,
      const std::vector<Eigen::MatrixXd>& r,
      const std::vector<Eigen::VectorXd>& t,
      const std::vector<Eigen::VectorXd>& chordal_landmarks);
  void InitializeBearings(const SlamGraph& graph);
  void FixGauge(const SlamGraph& graph, const std::vector<double*>& rot,
                const std::vector<double*>& tra);
  // Places the landmarks not yet *placed from their ranges to placed ones,
  // most-constrained first (linear multilateration with d + 1 or more,
  // then a few Gauss-Newton steps).
  void Multilaterate(const SlamGraph& graph,
                     const std::vector<Eigen::VectorXd>& poses,
                     std::vector<char>* placed,
                     std::vector<Eigen::VectorXd>* guess) const;
  bool InitializeChordal(const SlamGraph& graph,
                         std::vector<Eigen::MatrixXd>* r,
                         std::vector<Eigen::VectorXd>* t,
                         std::vector<Eigen::VectorXd>* landmarks,
                         std::string* error);
  double* rotation(int i) { return &rotations_[i * d_ * d_]; }
  double* translation(int i) { return &translations_[i * d_]; }
  double* landmark(int i) { return &landmarks_[i * d_]; }
  double* position(const SlamGraph::Endpoint& e) {
    return e.is_landmark ? landmark(e.index) : translation(e.index);
  }

  int d_ = 0;
  SlamModel model_ = SlamModel::kIsotropic;
  std::vector<double> rotations_, translations_, landmarks_, bearings_;
  std::unique_ptr<ceres::Problem> problem_;
  std::vector<double*> linear_blocks_;
  std::string initialization_used_;
  int num_anchored_components_ = 0;
};

// Connected components of a graph's poses and landmarks through its
// measurements: an id per node (poses first, then landmark j at
// num_poses() + j), equal for nodes of one component.
std::vector<int> SlamGraphComponents(const SlamGraph& graph);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_SLAM_PROBLEM_H_

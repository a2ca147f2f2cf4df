#ifndef CERES_VARPRO_IO_SLAM_GRAPH_H_
#define CERES_VARPRO_IO_SLAM_GRAPH_H_

#include <optional>
#include <string>
#include <vector>

#include "Eigen/Core"

namespace ceres_varpro {

// A SLAM factor graph as read from g2o, TORO or pyfg files: poses (SE(d)),
// landmarks/positions (R^d) and the measurements between them. Plain data;
// SlamProblem turns it into a ceres::Problem. d is 2 or 3.
struct SlamGraph {
  enum class Format { kG2o, kToro, kPyfg };

  struct Pose {
    std::string name;          // As in the file ("17", "A12").
    long long id = 0;          // Numeric part, used to find odometry chains.
    int robot = 0;             // pyfg robot letter ('A' = 0); 0 for g2o.
    Eigen::MatrixXd rotation;  // d x d, orthonormal.
    Eigen::VectorXd translation;
    bool has_value = false;  // A VERTEX line gave it.
    std::string stamp;       // pyfg timestamp token, written back verbatim.
  };
  struct Landmark {
    std::string name;
    Eigen::VectorXd position;
    bool has_value = false;
  };
  // Pose `to` seen from pose `from`: R̃ = R_fromᵀR_to, t̃ = R_fromᵀ(t_to -
  // t_from).
  struct PoseEdge {
    int from = 0, to = 0;
    Eigen::MatrixXd rotation;
    Eigen::VectorXd translation;
    // Information of (translation, rotation), (d + d(d-1)/2) square.
    Eigen::MatrixXd information;
    int line = 0;
  };
  // A 2D bearing-range measurement as read (BR lines): bearing β in radians
  // in the pose's frame, range ρ, and their standard deviations.
  struct BearingRange {
    double bearing = 0.0, range = 0.0;
    double bearing_sigma = 0.0, range_sigma = 0.0;
  };
  // Landmark position in the pose's frame.
  struct LandmarkEdge {
    int pose = 0, landmark = 0;
    Eigen::VectorXd translation;
    Eigen::MatrixXd information;  // d x d.
    int line = 0;
    // Set when the edge was read as a bearing-range measurement; translation
    // and information are then RelativePositionFromBearingRange's.
    std::optional<BearingRange> bearing_range;
  };
  // A prior on a pose (pyfg VERTEX_SE2:PRIOR, VERTEX_SE3:QUAT:PRIOR).
  struct PosePrior {
    int pose = 0;
    Eigen::MatrixXd rotation;
    Eigen::VectorXd translation;
    // Information of (translation, rotation), as for PoseEdge.
    Eigen::MatrixXd information;
    int line = 0;
  };
  // A prior on a landmark's position (pyfg VERTEX_XY:PRIOR, VERTEX_XYZ:PRIOR).
  struct LandmarkPrior {
    int landmark = 0;
    Eigen::VectorXd position;
    Eigen::MatrixXd information;  // d x d.
    int line = 0;
  };
  struct Endpoint {
    bool is_landmark = false;
    int index = 0;
  };
  struct RangeEdge {
    Endpoint a, b;
    double range = 0.0;
    double variance = 1.0;
    int line = 0;
  };

  Format format = Format::kG2o;
  int dimension = 0;
  std::vector<Pose> poses;
  std::vector<Landmark> landmarks;
  std::vector<PoseEdge> pose_edges;
  std::vector<LandmarkEdge> landmark_edges;
  std::vector<RangeEdge> range_edges;
  std::vector<PosePrior> pose_priors;
  std::vector<LandmarkPrior> landmark_priors;
  // Vertex values are an initial guess (g2o, TORO) or reference values
  // (pyfg, which CORA writes from ground truth).
  bool vertices_are_initial_guess = true;
  // Lines other than vertices, in file order, for writing the graph back.
  std::vector<std::string> other_lines;
  // What a reader decided that a user should know (e.g. TORO information
  // order, merged EQUIV ids).
  std::vector<std::string> notes;

  int num_poses() const { return static_cast<int>(poses.size()); }
  int num_landmarks() const { return static_cast<int>(landmarks.size()); }
  // Indices in range, sizes consistent with the dimension.
  bool Validate(std::string* error) const;
};

const char* SlamGraphFormatName(SlamGraph::Format format);

// Builds a symmetric matrix from its upper triangle given row by row, and
// checks that it is positive definite. False (with the reason) otherwise.
bool SymmetricFromUpperTriangle(const double* upper, int n, Eigen::MatrixXd* m,
                                std::string* reason);

// A bearing-range measurement (β, ρ, σ_β, σ_ρ) as a relative position in the
// pose's frame, z = ρ (cos β, sin β), with its covariance propagated to first
// order: Σ = J diag(σ_ρ², σ_β²) Jᵀ, J = ∂z/∂(ρ, β) = [u, ρ u⊥] with
// u = (cos β, sin β), u⊥ = (-sin β, cos β); that is Σ = σ_ρ² u uᵀ +
// ρ²σ_β² u⊥u⊥ᵀ and the information Σ⁻¹ = u uᵀ/σ_ρ² + u⊥u⊥ᵀ/(ρ²σ_β²).
// Exact for the range direction, linearised across it: the error against
// the bearing-range residual is O(σ_β²) relative (see BearingRangeCost).
// False (with the reason) unless ρ > 0 and both sigmas are positive.
bool RelativePositionFromBearingRange(const SlamGraph::BearingRange& br,
                                      Eigen::VectorXd* translation,
                                      Eigen::MatrixXd* information,
                                      std::string* reason);

// Rotation matrices from an angle (2D) or a quaternion (x, y, z, w; 3D).
Eigen::MatrixXd RotationFromAngle(double theta);
Eigen::MatrixXd RotationFromQuaternion(double x, double y, double z, double w);
// Inverse maps, for writing.
double AngleFromRotation(const Eigen::MatrixXd& r);
Eigen::Vector4d QuaternionFromRotation(const Eigen::MatrixXd& r);  // x,y,z,w

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_SLAM_GRAPH_H_

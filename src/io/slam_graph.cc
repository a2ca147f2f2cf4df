#include "ceres_varpro/io/slam_graph.h"

#include <cmath>

#include "Eigen/Cholesky"
#include "Eigen/Geometry"

namespace ceres_varpro {

const char* SlamGraphFormatName(SlamGraph::Format format) {
  switch (format) {
    case SlamGraph::Format::kG2o:
      return "g2o";
    case SlamGraph::Format::kToro:
      return "toro";
    case SlamGraph::Format::kPyfg:
      return "pyfg";
  }
  return "unknown";
}

bool SymmetricFromUpperTriangle(const double* upper, int n, Eigen::MatrixXd* m,
                                std::string* reason) {
  m->resize(n, n);
  int k = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = i; j < n; ++j) (*m)(i, j) = (*m)(j, i) = upper[k++];
  }
  Eigen::LLT<Eigen::MatrixXd> llt(*m);
  if (llt.info() != Eigen::Success) {
    *reason = "is not positive definite";
    return false;
  }
  // LLT succeeds on matrices that are numerically singular; demand some
  // conditioning.
  const Eigen::VectorXd d = llt.matrixL().toDenseMatrix().diagonal();
  if (!(d.minCoeff() > 1e-12 * d.maxCoeff())) {
    *reason = "is singular";
    return false;
  }
  return true;
}

bool RelativePositionFromBearingRange(const SlamGraph::BearingRange& br,
                                      Eigen::VectorXd* translation,
                                      Eigen::MatrixXd* information,
                                      std::string* reason) {
  if (!(br.range > 0.0)) {
    *reason = "the range must be positive";
    return false;
  }
  if (!(br.bearing_sigma > 0.0) || !(br.range_sigma > 0.0)) {
    *reason = "the bearing and range standard deviations must be positive";
    return false;
  }
  const Eigen::Vector2d u(std::cos(br.bearing), std::sin(br.bearing));
  const Eigen::Vector2d u_perp(-u[1], u[0]);
  const double across = br.range * br.bearing_sigma;
  const double along_information = 1.0 / (br.range_sigma * br.range_sigma);
  const double across_information = 1.0 / (across * across);
  if (!std::isfinite(along_information) || !std::isfinite(across_information)) {
    *reason = "the standard deviations are too small";
    return false;
  }
  *translation = br.range * u;
  *information = along_information * u * u.transpose() +
                 across_information * u_perp * u_perp.transpose();
  return true;
}

Eigen::MatrixXd RotationFromAngle(double theta) {
  Eigen::MatrixXd r(2, 2);
  r << std::cos(theta), -std::sin(theta), std::sin(theta), std::cos(theta);
  return r;
}

Eigen::MatrixXd RotationFromQuaternion(double x, double y, double z, double w) {
  return Eigen::Quaterniond(w, x, y, z).normalized().toRotationMatrix();
}

double AngleFromRotation(const Eigen::MatrixXd& r) {
  return std::atan2(r(1, 0), r(0, 0));
}

Eigen::Vector4d QuaternionFromRotation(const Eigen::MatrixXd& r) {
  const Eigen::Matrix3d m = r;
  Eigen::Quaterniond q(m);
  q.normalize();
  return Eigen::Vector4d(q.x(), q.y(), q.z(), q.w());
}

bool SlamGraph::Validate(std::string* error) const {
  if (dimension != 2 && dimension != 3) {
    *error = "the graph has no dimension (no vertex or edge of a known type)";
    return false;
  }
  const int d = dimension;
  const int np = num_poses(), nl = num_landmarks();
  for (const Pose& p : poses) {
    if (p.rotation.rows() != d || p.rotation.cols() != d ||
        p.translation.size() != d) {
      *error = "pose " + p.name + " has the wrong dimension";
      return false;
    }
  }
  for (const Landmark& l : landmarks) {
    if (l.position.size() != d) {
      *error = "landmark " + l.name + " has the wrong dimension";
      return false;
    }
  }
  const int nt = d == 2 ? 3 : 6;
  for (const PoseEdge& e : pose_edges) {
    if (e.from < 0 || e.from >= np || e.to < 0 || e.to >= np ||
        e.information.rows() != nt || e.translation.size() != d) {
      *error = "invalid pose edge (line " + std::to_string(e.line) + ")";
      return false;
    }
  }
  for (const LandmarkEdge& e : landmark_edges) {
    if (e.pose < 0 || e.pose >= np || e.landmark < 0 || e.landmark >= nl ||
        e.information.rows() != d || e.information.cols() != d ||
        e.translation.size() != d || (e.bearing_range && d != 2)) {
      *error = "invalid landmark edge (line " + std::to_string(e.line) + ")";
      return false;
    }
  }
  for (const RangeEdge& e : range_edges) {
    for (const Endpoint& x : {e.a, e.b}) {
      if (x.index < 0 || x.index >= (x.is_landmark ? nl : np)) {
        *error = "invalid range edge (line " + std::to_string(e.line) + ")";
        return false;
      }
    }
  }
  for (const PosePrior& p : pose_priors) {
    if (p.pose < 0 || p.pose >= np || p.rotation.rows() != d ||
        p.rotation.cols() != d || p.translation.size() != d ||
        p.information.rows() != nt || p.information.cols() != nt) {
      *error = "invalid pose prior (line " + std::to_string(p.line) + ")";
      return false;
    }
  }
  for (const LandmarkPrior& p : landmark_priors) {
    if (p.landmark < 0 || p.landmark >= nl || p.position.size() != d ||
        p.information.rows() != d || p.information.cols() != d) {
      *error = "invalid landmark prior (line " + std::to_string(p.line) + ")";
      return false;
    }
  }
  return true;
}

}  // namespace ceres_varpro

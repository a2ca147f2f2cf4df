#ifndef CERES_VARPRO_IO_G2O_IO_H_
#define CERES_VARPRO_IO_G2O_IO_H_

#include <string>

#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

// g2o pose graphs: VERTEX_SE2, EDGE_SE2, VERTEX_SE3:QUAT, EDGE_SE3:QUAT
// (information = upper triangle, row-major, translation first), files with
// edges only (poses then have no value), and the TORO/GTSAM variants VERTEX2,
// EDGE2 and EQUIV. EDGE2's six numbers are TORO's order I11 I12 I22 I33 I13
// I23 when that gives a positive-definite matrix for the file's first EDGE2,
// and g2o's row-major order otherwise (GTSAM's w20000 uses the latter); the
// choice is recorded in graph->notes. EQUIV lines (data-association
// declarations) are kept for writing but do not merge poses. Information
// matrices need positive-definite translation and rotation blocks; an
// indefinite whole (cross terms, as in cubicle.g2o) is accepted and noted.
// Landmark SLAM: VERTEX_XY / VERTEX_TRACKXYZ (landmark positions),
// EDGE_SE2_XY / EDGE_SE3_XYZ (landmark position in the pose's frame, then its
// information, upper triangle row-major), GTSAM's BR (bearing, range,
// sigma_bearing, sigma_range; converted by RelativePositionFromBearingRange
// and kept in LandmarkEdge::bearing_range) and Victoria Park's ODOMETRY
// (relative pose + 6 covariance entries, read as GTSAM's load2D reads them)
// and LANDMARK (position in the robot frame + covariance c11 c12 c22; GTSAM
// converts these to bearing-range instead, see graph->notes). Poses and
// landmarks share one id space; an id used as both is an error. Landmarks
// need VERTEX lines only in files that declare some.
// Errors name the file and line; malformed input never crashes and nothing
// is allocated from a count in the file.
bool ParseG2o(const std::string& contents, const std::string& name,
              SlamGraph* graph, std::string* error);
bool ReadG2oFile(const std::string& path, SlamGraph* graph, std::string* error);

// Writes the graph in the format it was read from (g2o or TORO): a vertex
// line per pose with its current value, a VERTEX_XY / VERTEX_TRACKXYZ line
// per landmark, then every other line as read.
// Atomic: on failure an existing file is left untouched.
bool WriteG2oFile(const std::string& path, const SlamGraph& graph,
                  std::string* error);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_G2O_IO_H_

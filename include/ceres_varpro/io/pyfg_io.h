#ifndef CERES_VARPRO_IO_PYFG_IO_H_
#define CERES_VARPRO_IO_PYFG_IO_H_

#include <string>

#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

// PyFactorGraph (.pyfg) files as written by CORA: VERTEX_SE2, VERTEX_SE3:QUAT
// (timestamp, name, pose), VERTEX_XY, VERTEX_XYZ (name, position), EDGE_SE2,
// EDGE_SE3:QUAT (timestamp, names, relative pose, COVARIANCE upper triangle,
// translation first), EDGE_SE2_XY, EDGE_SE3_XYZ (landmark position in the
// pose frame, covariance), EDGE_RANGE (timestamp, names, range, variance),
// and the priors VERTEX_SE2:PRIOR, VERTEX_SE3:QUAT:PRIOR (timestamp, pose,
// pose value, covariance) and VERTEX_XY:PRIOR, VERTEX_XYZ:PRIOR (timestamp,
// landmark, position, covariance), also accepted spelled "_PRIOR".
// Covariances are inverted into information matrices. The vertex values are
// reference values, not an initial guess (vertices_are_initial_guess =
// false). Every edge must name declared vertices. Pose names are a robot
// letter and an index ("A12"). Errors name the file and the line.
bool ParsePyfg(const std::string& contents, const std::string& name,
               SlamGraph* graph, std::string* error);
bool ReadPyfgFile(const std::string& path, SlamGraph* graph,
                  std::string* error);

// Vertex lines with the current values (timestamps kept), then every other
// line as read. Atomic.
bool WritePyfgFile(const std::string& path, const SlamGraph& graph,
                   std::string* error);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_PYFG_IO_H_

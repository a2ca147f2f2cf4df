#ifndef CERES_VARPRO_SYNTHETIC_SNL_GENERATOR_H_
#define CERES_VARPRO_SYNTHETIC_SNL_GENERATOR_H_

#include <cstdint>

#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

struct SnlGeneratorOptions {
  int dimension = 2;
  int num_nodes = 1000;  // Including the anchors.
  int num_anchors = 10;
  // Nodes within this distance measure their range. Lengths are in units of
  // the mean node spacing: nodes fill [0, n^(1/d)]^d, one per unit volume.
  double radio_range = 2.5;
  double range_noise = 0.05;    // Standard deviation of each range.
  double anchor_sigma = 0.001;  // Standard deviation of the anchors' priors.
  uint64_t seed = 1;
};

// A sensor-network localization problem: nodes uniform in a square (cube),
// noisy ranges between every pair closer than the radio range (a node with
// fewer than d + 1 such neighbours also ranges to its nearest ones, so that
// none floats free), and `num_anchors` nodes whose positions are known, as
// tight landmark priors. Written as pyfg: every node a VERTEX_XY / VERTEX_XYZ
// "L<k>" with its true position (pyfg's reference values), a
// VERTEX_XY:PRIOR / VERTEX_XYZ:PRIOR per anchor and an EDGE_RANGE per range.
// Deterministic for given options, on every platform. The graph is ready for
// WritePyfgFile.
void GenerateSensorNetwork(const SnlGeneratorOptions& options,
                           SlamGraph* graph);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SYNTHETIC_SNL_GENERATOR_H_

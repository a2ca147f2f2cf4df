#ifndef CERES_VARPRO_SYNTHETIC_POSE_GRAPH_GENERATOR_H_
#define CERES_VARPRO_SYNTHETIC_POSE_GRAPH_GENERATOR_H_

#include <cstdint>

#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

struct PoseGraphGeneratorOptions {
  int dimension = 3;
  int num_poses = 2500;
  int poses_per_ring = 50;  // Rings of a sphere (3D) or a spiral (2D).
  double radius = 100.0;
  double loop_closure_probability = 0.9;  // Per pose, to the ring below.
  double rotation_noise = 0.01;           // Radians, per axis.
  double translation_noise = 0.05;        // Per axis.
  uint64_t seed = 1;
};

// A pose graph in the spirit of sphere2500: a trajectory around rings of a
// sphere (a spiral in 2D) with odometry between consecutive poses and loop
// closures to the pose one ring below, noisy measurements with information
// matrices that match the noise, and vertices chained from the noisy
// odometry (an initial guess with realistic drift). Deterministic: the same
// options give the same graph on every platform (own normal deviates from
// std::mt19937_64's specified output). The graph is ready for WriteG2oFile.
void GeneratePoseGraph(const PoseGraphGeneratorOptions& options,
                       SlamGraph* graph);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SYNTHETIC_POSE_GRAPH_GENERATOR_H_

#ifndef CERES_VARPRO_SYNTHETIC_BAL_GENERATOR_H_
#define CERES_VARPRO_SYNTHETIC_BAL_GENERATOR_H_

#include <cstdint>

#include "ceres_varpro/io/bal_io.h"

namespace ceres_varpro {

struct BalGeneratorOptions {
  int num_cameras = 20;
  int num_points = 2000;
  int max_observations_per_point = 6;  // At least 2; fewer when not visible.
  double focal_length = 800.0;
  double pixel_noise = 0.5;
  double camera_rotation_noise = 0.01;  // Initial guess perturbation, radians.
  double camera_translation_noise = 0.05;
  double point_noise = 0.1;
  uint64_t seed = 1;
};

// A bundle-adjustment scene in the BAL camera model: cameras on an arc
// looking at a cloud of points, each point observed (with pixel noise) by
// 2..max cameras that see it in front of them and inside a 1000 x 1000
// image, and an initial guess perturbed from the truth. Deterministic on
// every platform (own normal deviates from std::mt19937_64's specified
// output). `truth` (optional) receives the noise-free cameras and points.
void GenerateBalProblem(const BalGeneratorOptions& options, BalProblem* problem,
                        BalProblem* truth = nullptr);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SYNTHETIC_BAL_GENERATOR_H_

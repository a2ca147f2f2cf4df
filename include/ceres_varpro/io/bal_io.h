#ifndef CERES_VARPRO_IO_BAL_IO_H_
#define CERES_VARPRO_IO_BAL_IO_H_

#include <string>
#include <vector>

namespace ceres_varpro {

// A "Bundle Adjustment in the Large" problem (Agarwal et al., ECCV 2010):
// cameras of 9 parameters (Rodrigues rotation, translation, f, k1, k2) and
// 3D points, each stored contiguously so each is one Ceres parameter block.
struct BalProblem {
  struct Observation {
    int camera = 0;
    int point = 0;
    double x = 0.0, y = 0.0;  // Pixels, origin at the image centre, y up.
  };
  static constexpr int kCameraSize = 9;
  static constexpr int kPointSize = 3;

  int num_cameras = 0;
  int num_points = 0;
  std::vector<Observation> observations;
  std::vector<double> cameras;  // 9 * num_cameras.
  std::vector<double> points;   // 3 * num_points.

  double* camera(int i) {
    return &cameras[static_cast<size_t>(i) * kCameraSize];
  }
  double* point(int j) { return &points[static_cast<size_t>(j) * kPointSize]; }
  const double* camera(int i) const {
    return &cameras[static_cast<size_t>(i) * kCameraSize];
  }
  const double* point(int j) const {
    return &points[static_cast<size_t>(j) * kPointSize];
  }
};

// Parses the BAL text format: "num_cameras num_points num_observations",
// then one "camera point x y" per observation, then 9 values per camera and
// 3 per point, whitespace-separated in any layout (blank lines allowed).
// The token count must be exactly what the header announces (checked
// before anything is allocated from those counts), indices must be in range
// and every value finite. Errors name the file and the line.
bool ParseBal(const std::string& contents, const std::string& name,
              BalProblem* problem, std::string* error);
bool ReadBalFile(const std::string& path, BalProblem* problem,
                 std::string* error);

// Same format, full precision, atomically.
bool WriteBalFile(const std::string& path, const BalProblem& problem,
                  std::string* error);

// ASCII PLY of the camera centres (c = -Rᵀt, green) and the points (white),
// like Ceres's bundle_adjuster; atomically.
bool WritePlyFile(const std::string& path, const BalProblem& problem,
                  std::string* error);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_BAL_IO_H_

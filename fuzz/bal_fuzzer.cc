// Fuzzes the BAL reader.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ceres_varpro/io/bal_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string contents(reinterpret_cast<const char*>(data), size);
  ceres_varpro::BalProblem problem;
  std::string error;
  if (ceres_varpro::ParseBal(contents, "fuzz.txt", &problem, &error)) {
    // Accepted problems are consistent: sizes and indices.
    if (problem.cameras.size() != 9u * problem.num_cameras ||
        problem.points.size() != 3u * problem.num_points) {
      std::abort();
    }
    for (const auto& o : problem.observations) {
      if (o.camera < 0 || o.camera >= problem.num_cameras || o.point < 0 ||
          o.point >= problem.num_points) {
        std::abort();
      }
    }
  } else if (error.empty()) {
    std::abort();
  }
  return 0;
}

// Fuzzes the pyfg reader.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ceres_varpro/io/pyfg_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string contents(reinterpret_cast<const char*>(data), size);
  ceres_varpro::SlamGraph graph;
  std::string error;
  if (ceres_varpro::ParsePyfg(contents, "fuzz.pyfg", &graph, &error)) {
    // Whatever the reader accepts must be a consistent graph.
    if (!graph.Validate(&error)) std::abort();
  } else if (error.empty()) {
    std::abort();  // Every rejection says why.
  }
  return 0;
}

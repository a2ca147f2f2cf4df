#ifndef CERES_VARPRO_IO_SVG_PLOT_H_
#define CERES_VARPRO_IO_SVG_PLOT_H_

#include <string>

#include "ceres_varpro/io/bal_io.h"
#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

// Pictures of a result to look at, as self-contained SVG (like the plots
// Ceres's pose-graph examples draw with their script), always written
// atomically.

struct SlamPlotOptions {
  bool draw_ranges = false;  // Range edges as faint lines.
};

// Top-down view (x, y; 3D graphs seen from above) of a SLAM graph before and
// after optimisation, on one scale. Elements: per robot, one <polyline> for
// the initial trajectory (grey) and one for the optimised one (blue), poses
// in id order; one faint <path> with every loop closure (a relative pose
// between poses that are not consecutive ids of one robot) at the optimised
// poses, if any; one <path> with every range, if asked and any; per
// landmark a grey <circle> at its initial and a black <circle> at its
// optimised position; and 3 <text> legend lines. `initial` and `optimized`
// must be the same graph with different values.
std::string SlamPlotSvg(const SlamGraph& initial, const SlamGraph& optimized,
                        const SlamPlotOptions& options);
bool WriteSlamPlot(const std::string& path, const SlamGraph& initial,
                   const SlamGraph& optimized, const SlamPlotOptions& options,
                   std::string* error);

// A top view of a bundle-adjustment solution: the camera centres
// (c = -R(ω)ᵀt; red <circle>s) and points (black <circle>s) projected on the
// two principal axes of the points, framed by the central 98% of them (the
// points outside that frame, usually outliers far away, are not drawn), and
// 2 <text> legend lines.
std::string BalPlotSvg(const BalProblem& problem);
bool WriteBalPlot(const std::string& path, const BalProblem& problem,
                  std::string* error);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_SVG_PLOT_H_

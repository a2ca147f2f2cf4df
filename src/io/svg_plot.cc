#include "ceres_varpro/io/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <vector>

#include "Eigen/Eigenvalues"
#include "ceres/rotation.h"
#include "io/atomic_file_writer.h"

namespace ceres_varpro {
namespace {

constexpr double kWidth = 1000.0;
constexpr double kMargin = 20.0;

// World (x, y) to SVG pixels: one scale for both axes, y up.
class Frame {
 public:
  void Include(double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    min_x_ = std::min(min_x_, x);
    max_x_ = std::max(max_x_, x);
    min_y_ = std::min(min_y_, y);
    max_y_ = std::max(max_y_, y);
  }
  void Finish() {
    if (!(max_x_ >= min_x_)) min_x_ = max_x_ = min_y_ = max_y_ = 0.0;
    const double span = std::max({max_x_ - min_x_, max_y_ - min_y_, 1e-9});
    scale_ = (kWidth - 2 * kMargin) / span;
    height_ = (max_y_ - min_y_) * scale_ + 2 * kMargin + 60.0;
  }
  bool Contains(double x, double y) const {
    return x >= min_x_ && x <= max_x_ && y >= min_y_ && y <= max_y_;
  }
  double X(double x) const { return kMargin + (x - min_x_) * scale_; }
  double Y(double y) const { return kMargin + (max_y_ - y) * scale_; }
  double height() const { return height_; }
  std::string Point(double x, double y) const {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.2f,%.2f", X(x), Y(y));
    return buffer;
  }

 private:
  double min_x_ = std::numeric_limits<double>::infinity();
  double max_x_ = -std::numeric_limits<double>::infinity();
  double min_y_ = std::numeric_limits<double>::infinity();
  double max_y_ = -std::numeric_limits<double>::infinity();
  double scale_ = 1.0;
  double height_ = kWidth;
};

std::string Header(const Frame& frame) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer),
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
                "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                kWidth, frame.height(), kWidth, frame.height());
  return buffer;
}

std::string Circle(double x, double y, double radius, const char* fill,
                   double opacity) {
  char buffer[128];
  std::snprintf(buffer, sizeof(buffer),
                "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" fill=\"%s\" "
                "fill-opacity=\"%.2f\"/>\n",
                x, y, radius, fill, opacity);
  return buffer;
}

std::string Text(const Frame& frame, int line, const std::string& text,
                 const char* color) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer),
                "<text x=\"%.0f\" y=\"%.0f\" font-family=\"sans-serif\" "
                "font-size=\"14\" fill=\"%s\">",
                kMargin, frame.height() - 60.0 + 18.0 * (line + 1), color);
  // The text is the program's own; escape anyway.
  std::string escaped;
  for (char c : text) {
    if (c == '<') {
      escaped += "&lt;";
    } else if (c == '>') {
      escaped += "&gt;";
    } else if (c == '&') {
      escaped += "&amp;";
    } else {
      escaped += c;
    }
  }
  return buffer + escaped + "</text>\n";
}

// SlamPlotSvg's stages.

// The frame holding every pose and landmark of both graphs.
Frame SlamFrame(const SlamGraph& initial, const SlamGraph& optimized) {
  Frame frame;
  for (const SlamGraph* g : {&initial, &optimized}) {
    for (const auto& p : g->poses)
      frame.Include(p.translation[0], p.translation[1]);
    for (const auto& l : g->landmarks)
      frame.Include(l.position[0], l.position[1]);
  }
  frame.Finish();
  return frame;
}

// One polyline per robot through its poses in id order, initial (grey)
// then optimised (blue).
std::string Trajectories(const Frame& frame, const SlamGraph& initial,
                         const SlamGraph& optimized) {
  std::string svg;
  std::map<int, std::vector<int>> robots;
  for (int i = 0; i < optimized.num_poses(); ++i)
    robots[optimized.poses[i].robot].push_back(i);
  for (auto& [robot, poses] : robots) {
    std::sort(poses.begin(), poses.end(), [&](int a, int b) {
      return optimized.poses[a].id < optimized.poses[b].id;
    });
  }
  for (const auto& [g, color, width] :
       {std::tuple<const SlamGraph*, const char*, double>{&initial, "#999999",
                                                          1.0},
        {&optimized, "#1f5fbf", 1.5}}) {
    for (const auto& [robot, poses] : robots) {
      svg += "<polyline fill=\"none\" stroke=\"";
      svg += color;
      svg += "\" stroke-width=\"" + std::to_string(width) +
             "\" stroke-linejoin=\"round\" points=\"";
      for (size_t k = 0; k < poses.size(); ++k) {
        const auto& t = g->poses[poses[k]].translation;
        if (k > 0) svg += ' ';
        svg += frame.Point(t[0], t[1]);
      }
      svg += "\"/>\n";
    }
  }
  return svg;
}

// A path segment from a to b.
std::string Segment(const Frame& frame, const Eigen::VectorXd& a,
                    const Eigen::VectorXd& b) {
  return "M" + frame.Point(a[0], a[1]) + "L" + frame.Point(b[0], b[1]);
}

// The path data of the loop closures: the pose edges other than odometry
// (same robot, consecutive ids), optimised.
std::string LoopClosures(const Frame& frame, const SlamGraph& optimized) {
  std::string loops;
  for (const auto& e : optimized.pose_edges) {
    const auto& a = optimized.poses[e.from];
    const auto& b = optimized.poses[e.to];
    if (a.robot == b.robot && std::llabs(a.id - b.id) == 1) continue;
    loops += Segment(frame, a.translation, b.translation);
  }
  return loops;
}

// The path data of the ranges, optimised.
std::string Ranges(const Frame& frame, const SlamGraph& optimized) {
  std::string ranges;
  auto position = [&](const SlamGraph::Endpoint& x) -> const Eigen::VectorXd& {
    return x.is_landmark ? optimized.landmarks[x.index].position
                         : optimized.poses[x.index].translation;
  };
  for (const auto& e : optimized.range_edges)
    ranges += Segment(frame, position(e.a), position(e.b));
  return ranges;
}

// Each landmark initial (grey) and optimised (black); smaller dots for
// large sensor networks.
std::string Landmarks(const Frame& frame, const SlamGraph& initial,
                      const SlamGraph& optimized) {
  std::string svg;
  const double radius = optimized.num_landmarks() > 2000 ? 1.2 : 2.5;
  for (int j = 0; j < optimized.num_landmarks(); ++j) {
    const auto& a = initial.landmarks[j].position;
    svg += Circle(frame.X(a[0]), frame.Y(a[1]), radius, "#999999", 0.6);
    const auto& b = optimized.landmarks[j].position;
    svg += Circle(frame.X(b[0]), frame.Y(b[1]), radius, "black", 0.9);
  }
  return svg;
}

// The three legend lines under the plot.
std::string Legend(const Frame& frame, const SlamGraph& optimized,
                   bool loops_drawn, bool ranges_drawn) {
  std::string svg;
  const bool poses = optimized.num_poses() > 0;
  const char* points = poses ? "landmarks" : "positions";
  svg += Text(frame, 0,
              std::string("grey: initial ") +
                  (poses ? "trajectories and " : "") + points,
              "#777777");
  svg += Text(frame, 1,
              std::string(poses ? "blue: optimised trajectories; " : "") +
                  "black: optimised " + points,
              "#1f5fbf");
  std::string third = loops_drawn ? "faint red: loop closures; " : "";
  if (ranges_drawn) third += "faint green: ranges; ";
  svg += Text(frame, 2, third + "seen from above (x right, y up)", "#d62728");
  return svg;
}

}  // namespace

std::string SlamPlotSvg(const SlamGraph& initial, const SlamGraph& optimized,
                        const SlamPlotOptions& options) {
  const Frame frame = SlamFrame(initial, optimized);
  std::string svg = Header(frame);
  svg += Trajectories(frame, initial, optimized);
  const std::string loops = LoopClosures(frame, optimized);
  if (!loops.empty()) {
    svg +=
        "<path fill=\"none\" stroke=\"#d62728\" stroke-opacity=\"0.25\" "
        "stroke-width=\"0.6\" d=\"" +
        loops + "\"/>\n";
  }
  if (options.draw_ranges) {
    const std::string ranges = Ranges(frame, optimized);
    if (!ranges.empty()) {
      svg +=
          "<path fill=\"none\" stroke=\"#2ca02c\" stroke-opacity=\"0.2\" "
          "stroke-width=\"0.5\" d=\"" +
          ranges + "\"/>\n";
    }
  }
  svg += Landmarks(frame, initial, optimized);
  svg += Legend(frame, optimized, !loops.empty(), options.draw_ranges);
  svg += "</svg>\n";
  return svg;
}

bool WriteSlamPlot(const std::string& path, const SlamGraph& initial,
                   const SlamGraph& optimized, const SlamPlotOptions& options,
                   std::string* error) {
  return WriteFileAtomically(path, SlamPlotSvg(initial, optimized, options),
                             error);
}

std::string BalPlotSvg(const BalProblem& problem) {
  // Principal axes of the points.
  const int np = problem.num_points;
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (int j = 0; j < np; ++j)
    mean += Eigen::Map<const Eigen::Vector3d>(problem.point(j));
  if (np > 0) mean /= np;
  Eigen::Matrix3d scatter = Eigen::Matrix3d::Zero();
  for (int j = 0; j < np; ++j) {
    const Eigen::Vector3d v =
        Eigen::Map<const Eigen::Vector3d>(problem.point(j)) - mean;
    scatter += v * v.transpose();
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(scatter);
  Eigen::Vector3d u = eig.eigenvectors().col(2), v = eig.eigenvectors().col(1);
  if (!u.allFinite() || !v.allFinite()) {
    u = Eigen::Vector3d::UnitX();
    v = Eigen::Vector3d::UnitY();
  }
  auto project = [&](const Eigen::Vector3d& x) {
    return Eigen::Vector2d((x - mean).dot(u), (x - mean).dot(v));
  };
  std::vector<Eigen::Vector2d> points(np), centres(problem.num_cameras);
  for (int j = 0; j < np; ++j)
    points[j] = project(Eigen::Map<const Eigen::Vector3d>(problem.point(j)));
  for (int i = 0; i < problem.num_cameras; ++i) {
    const double* c = problem.camera(i);
    const double minus_w[3] = {-c[0], -c[1], -c[2]};
    const double minus_t[3] = {-c[3], -c[4], -c[5]};
    Eigen::Vector3d centre;
    ceres::AngleAxisRotatePoint(minus_w, minus_t, centre.data());
    centres[i] = project(centre);
  }
  // Frame: the central 98% of the points, and every camera.
  Frame frame;
  if (np > 0) {
    for (int axis = 0; axis < 2; ++axis) {
      std::vector<double> values(np);
      for (int j = 0; j < np; ++j) values[j] = points[j][axis];
      std::sort(values.begin(), values.end());
      const double lo = values[static_cast<size_t>(0.01 * (np - 1))];
      const double hi = values[static_cast<size_t>(0.99 * (np - 1))];
      frame.Include(axis == 0 ? lo : 0.0, axis == 1 ? lo : 0.0);
      frame.Include(axis == 0 ? hi : 0.0, axis == 1 ? hi : 0.0);
    }
  }
  for (const auto& c : centres) frame.Include(c[0], c[1]);
  frame.Finish();
  std::string svg = Header(frame);
  const double radius = np > 20000 ? 0.6 : 1.0;
  int drawn = 0;
  for (const auto& p : points) {
    if (!frame.Contains(p[0], p[1])) continue;
    svg += Circle(frame.X(p[0]), frame.Y(p[1]), radius, "black", 0.5);
    ++drawn;
  }
  for (const auto& c : centres)
    svg += Circle(frame.X(c[0]), frame.Y(c[1]), 4.0, "#d62728", 0.9);
  svg += Text(frame, 0,
              "red: " + std::to_string(problem.num_cameras) +
                  " camera centres; black: " + std::to_string(drawn) + " of " +
                  std::to_string(np) + " points",
              "#333333");
  svg += Text(frame, 1, "top view: the points' two principal axes", "#777777");
  svg += "</svg>\n";
  return svg;
}

bool WriteBalPlot(const std::string& path, const BalProblem& problem,
                  std::string* error) {
  return WriteFileAtomically(path, BalPlotSvg(problem), error);
}

}  // namespace ceres_varpro

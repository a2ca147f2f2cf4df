// ceres_varpro generate: the project's own sample problems.

#include <iostream>

#include "ceres_varpro/io/bal_io.h"
#include "ceres_varpro/io/g2o_io.h"
#include "ceres_varpro/io/pyfg_io.h"
#include "ceres_varpro/synthetic/bal_generator.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "ceres_varpro/synthetic/snl_generator.h"
#include "command.h"
#include "gflags/gflags.h"

DEFINE_string(kind, "pose_graph_3d",
              "What to generate: pose_graph_3d, pose_graph_2d, bal or snl "
              "(sensor-network localization, written as pyfg).");
DEFINE_int32(nodes, 1000, "snl: number of nodes, anchors included.");
DEFINE_int32(anchors, 10, "snl: number of anchors (known positions).");
DEFINE_double(radio_range, 2.5,
              "snl: nodes closer than this measure their range, in units of "
              "the mean node spacing (nodes fill [0, nodes^(1/d)]^d).");
DEFINE_double(range_noise, 0.05, "snl: standard deviation of each range.");
DEFINE_double(anchor_sigma, 0.001,
              "snl: standard deviation of the anchors' position priors.");
DEFINE_int32(dimension, 2, "snl: 2 or 3.");
DEFINE_int32(cameras, 20, "bal: number of cameras.");
DEFINE_int32(points, 2000, "bal: number of points.");
DEFINE_string(out, "",
              "Deprecated spelling of --output (the flag every command uses).");
DEFINE_int32(poses, 2500, "Number of poses.");
DEFINE_int32(poses_per_ring, 50,
             "Poses per ring (loop closures connect rings).");
DEFINE_double(radius, 100.0, "Radius of the sphere (3D) or outer spiral (2D).");
DEFINE_double(rotation_noise, 0.01, "Rotation noise per axis, radians.");
DEFINE_double(translation_noise, 0.05, "Translation noise per axis.");
DEFINE_uint64(seed, 1,
              "Random seed; the same seed gives the same file everywhere.");

DECLARE_string(output);

namespace ceres_varpro::tools {
namespace {

int RunGenerate() {
  const std::string out = !FLAGS_output.empty() ? FLAGS_output : FLAGS_out;
  if (out.empty()) {
    std::cerr << "ceres_varpro generate: --output=FILE is required\n";
    return 2;
  }
  std::string error;
  if (FLAGS_kind == "bal") {
    if (FLAGS_cameras < 2 || FLAGS_points < 1) {
      std::cerr
          << "ceres_varpro generate: need --cameras >= 2 and --points >= 1\n";
      return 2;
    }
    BalGeneratorOptions options;
    options.num_cameras = FLAGS_cameras;
    options.num_points = FLAGS_points;
    options.seed = FLAGS_seed;
    BalProblem bal;
    GenerateBalProblem(options, &bal);
    if (!WriteBalFile(out, bal, &error)) {
      std::cerr << "ceres_varpro generate: " << error << "\n";
      return 1;
    }
    std::cout << "Wrote " << out << ": " << bal.num_cameras << " cameras, "
              << bal.num_points << " points, " << bal.observations.size()
              << " observations\n";
    return 0;
  }
  if (FLAGS_kind == "snl") {
    if (FLAGS_nodes < 2 || FLAGS_anchors < 0 || FLAGS_anchors > FLAGS_nodes ||
        !(FLAGS_radio_range > 0) || !(FLAGS_range_noise > 0) ||
        !(FLAGS_anchor_sigma > 0) ||
        (FLAGS_dimension != 2 && FLAGS_dimension != 3)) {
      std::cerr << "ceres_varpro generate: need --nodes >= 2, 0 <= --anchors "
                   "<= --nodes, positive --radio_range, --range_noise and "
                   "--anchor_sigma, and --dimension 2 or 3\n";
      return 2;
    }
    SnlGeneratorOptions options;
    options.dimension = FLAGS_dimension;
    options.num_nodes = FLAGS_nodes;
    options.num_anchors = FLAGS_anchors;
    options.radio_range = FLAGS_radio_range;
    options.range_noise = FLAGS_range_noise;
    options.anchor_sigma = FLAGS_anchor_sigma;
    options.seed = FLAGS_seed;
    SlamGraph graph;
    GenerateSensorNetwork(options, &graph);
    if (!WritePyfgFile(out, graph, &error)) {
      std::cerr << "ceres_varpro generate: " << error << "\n";
      return 1;
    }
    std::cout << "Wrote " << out << ": " << graph.num_landmarks() << " nodes, "
              << graph.landmark_priors.size() << " anchors, "
              << graph.range_edges.size() << " ranges\n";
    return 0;
  }
  if (FLAGS_kind != "pose_graph_3d" && FLAGS_kind != "pose_graph_2d") {
    std::cerr << "ceres_varpro generate: unknown --kind " << FLAGS_kind << "\n";
    return 2;
  }
  if (FLAGS_poses < 2 || FLAGS_poses_per_ring < 3 ||
      !(FLAGS_rotation_noise > 0) || !(FLAGS_translation_noise > 0)) {
    std::cerr << "ceres_varpro generate: need --poses >= 2, --poses_per_ring "
                 ">= 3 and "
                 "positive noise\n";
    return 2;
  }
  PoseGraphGeneratorOptions options;
  options.dimension = FLAGS_kind == "pose_graph_2d" ? 2 : 3;
  options.num_poses = FLAGS_poses;
  options.poses_per_ring = FLAGS_poses_per_ring;
  options.radius = FLAGS_radius;
  options.rotation_noise = FLAGS_rotation_noise;
  options.translation_noise = FLAGS_translation_noise;
  options.seed = FLAGS_seed;
  SlamGraph graph;
  GeneratePoseGraph(options, &graph);
  if (!WriteG2oFile(out, graph, &error)) {
    std::cerr << "ceres_varpro generate: " << error << "\n";
    return 1;
  }
  std::cout << "Wrote " << out << ": " << graph.num_poses() << " poses, "
            << graph.pose_edges.size() << " edges\n";
  return 0;
}

const CommandRegistrar kRegistrar({
    "generate",
    "write one of the project's synthetic sample problems",
    "--kind=pose_graph_3d|pose_graph_2d|bal|snl --output=FILE [flags]",
    "generate_command.cc",
    &RunGenerate,
    /*uses_common_flags=*/false,
    /*shared_flags=*/{"output"},
});

}  // namespace
}  // namespace ceres_varpro::tools

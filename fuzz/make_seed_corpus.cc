// Writes the fuzzers' seed corpus from the project's own generators:
//   make_seed_corpus <directory>  ->  <directory>/{g2o,pyfg,bal}/seed_*.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "ceres_varpro/io/bal_io.h"
#include "ceres_varpro/io/g2o_io.h"
#include "ceres_varpro/io/pyfg_io.h"
#include "ceres_varpro/synthetic/bal_generator.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "ceres_varpro/synthetic/snl_generator.h"
#include "io/atomic_file_writer.h"

namespace {

bool Write(const std::string& path, const std::string& text) {
  std::string error;
  if (!ceres_varpro::WriteFileAtomically(path, text, &error)) {
    std::cerr << error << "\n";
    return false;
  }
  return true;
}

// A small range-aided problem in pyfg syntax, from a generated 2D graph.
std::string Pyfg(int seed) {
  ceres_varpro::PoseGraphGeneratorOptions o;
  o.dimension = 2;
  o.num_poses = 12;
  o.poses_per_ring = 4;
  o.seed = seed;
  ceres_varpro::SlamGraph g;
  ceres_varpro::GeneratePoseGraph(o, &g);
  std::ostringstream s;
  s.precision(9);
  for (const auto& p : g.poses) {
    s << "VERTEX_SE2 " << p.id << ".0 A" << p.id << " " << p.translation[0]
      << " " << p.translation[1] << " "
      << ceres_varpro::AngleFromRotation(p.rotation) << "\n";
  }
  s << "VERTEX_XY L0 3.5 -2.0\nVERTEX_XY L1 -1.0 4.0\n";
  for (const auto& e : g.pose_edges) {
    s << "EDGE_SE2 0.0 A" << e.from << " A" << e.to << " " << e.translation[0]
      << " " << e.translation[1] << " "
      << ceres_varpro::AngleFromRotation(e.rotation)
      << " 0.01 0 0 0.01 0 0.0004\n";
  }
  for (int i = 0; i < 12; i += 3) {
    s << "EDGE_RANGE 0.0 A" << i << " L" << (i % 2) << " " << 4.0 + i
      << " 0.25\n";
  }
  s << "EDGE_SE2_XY 1.0 A2 L1 1.5 0.5 0.25 0 0.25\n";
  s << "VERTEX_SE2:PRIOR 0.0 A0 0 0 0 0.01 0 0 0.01 0 0.0004\n";
  s << "VERTEX_XY:PRIOR 0.0 L0 3.5 -2.0 0.01 0 0.01\n";
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seed_corpus <directory>\n";
    return 2;
  }
  const std::string dir = argv[1];
  for (const char* sub : {"g2o", "pyfg", "bal"}) {
    if (std::system(("mkdir -p '" + dir + "/" + sub + "'").c_str()) != 0)
      return 1;
  }
  bool ok = true;
  std::string error;
  for (int d : {2, 3}) {
    ceres_varpro::PoseGraphGeneratorOptions o;
    o.dimension = d;
    o.num_poses = 10;
    o.poses_per_ring = 4;
    ceres_varpro::SlamGraph g;
    ceres_varpro::GeneratePoseGraph(o, &g);
    ok = ok && ceres_varpro::WriteG2oFile(
                   dir + "/g2o/seed_" + std::to_string(d) + "d.g2o", g, &error);
  }
  ok = ok && Write(dir + "/g2o/seed_toro.graph",
                   "VERTEX2 0 0 0 0\nVERTEX2 1 1 0 0.1\nEDGE2 1 0 -1 0 -0.1 1 "
                   "0 1 1 0 0\n"
                   "EQUIV 1 0\n");
  ok =
      ok &&
      Write(
          dir + "/g2o/seed_edges_only.g2o",
          "EDGE_SE2 0 1 1 0 0 1 0 0 1 0 1\nEDGE_SE2 1 2 1 0 0.5 1 0 0 1 0 1\n");
  // Landmark SLAM: g2o landmark edges, GTSAM bearing-range, Victoria Park.
  ok = ok && Write(dir + "/g2o/seed_landmarks.g2o",
                   "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0.1\nVERTEX_XY 5 2 1\n"
                   "EDGE_SE2 0 1 1 0 0.1 100 0 0 100 0 400\n"
                   "EDGE_SE2_XY 0 5 2 1 4 0 4\nEDGE_SE2_XY 1 5 1 1 4 0 4\n");
  ok = ok && Write(dir + "/g2o/seed_landmarks_3d.g2o",
                   "VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\n"
                   "VERTEX_TRACKXYZ 4 1 2 3\n"
                   "EDGE_SE3_XYZ 0 4 1 2 3 4 0 0 4 0 4\n");
  ok = ok && Write(dir + "/g2o/seed_bearing_range.graph",
                   "VERTEX2 0 0 0 0\nVERTEX2 1 1 0 0.1\n"
                   "EDGE2 0 1 1 0 0.1 1 0 1 1 0 0\n"
                   "BR 0 144 0.18 9.1 0.0349 0.1\nBR 1 144 -0.01 8.3 0.0349 "
                   "0.1\n");
  ok = ok && Write(dir + "/g2o/seed_victoria.txt",
                   "ODOMETRY 0 1 0.5 0 0.01 0.0001 0 0 4e-06 0 4e-06\n"
                   "LANDMARK 1 2 11.5 -3.2 0.4 0 0.4\n"
                   "ODOMETRY 1 3 0.5 0 0.01 0.0001 0 0 4e-06 0 4e-06\n"
                   "LANDMARK 3 2 11.0 -3.1 0.4 0 0.4\n");
  {
    ceres_varpro::SnlGeneratorOptions o;
    o.num_nodes = 12;
    o.num_anchors = 3;
    ceres_varpro::SlamGraph g;
    ceres_varpro::GenerateSensorNetwork(o, &g);
    ok = ok &&
         ceres_varpro::WritePyfgFile(dir + "/pyfg/seed_snl.pyfg", g, &error);
  }
  for (int seed : {1, 2})
    ok = ok && Write(dir + "/pyfg/seed_" + std::to_string(seed) + ".pyfg",
                     Pyfg(seed));
  ceres_varpro::BalGeneratorOptions b;
  b.num_cameras = 3;
  b.num_points = 8;
  ceres_varpro::BalProblem bal;
  ceres_varpro::GenerateBalProblem(b, &bal);
  ok = ok &&
       ceres_varpro::WriteBalFile(dir + "/bal/seed_small.txt", bal, &error);
  if (!ok) std::cerr << error << "\n";
  return ok ? 0 : 1;
}

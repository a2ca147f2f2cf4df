#include "ceres_varpro/io/g2o_io.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

const char kSe2[] =
    "VERTEX_SE2 0 0 0 0\n"
    "VERTEX_SE2 1 1.0 0.5 0.1\n"
    "VERTEX_SE2 2 2.0 1.0 0.2\n"
    "EDGE_SE2 0 1 1 0.5 0.1 100 0 0 100 0 400\n"
    "EDGE_SE2 1 2 1 0.4 0.1 100 1 0 100 0 400\n"
    "EDGE_SE2 2 0 -2 -1 -0.2 10 0 0 10 0 40\n";

const char kSe3[] =
    "VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\n"
    "VERTEX_SE3:QUAT 1 1 0 0 0 0 0.0998334 0.9950042\n"
    "EDGE_SE3:QUAT 0 1 1 0 0 0 0 0.0998334 0.9950042 "
    "100 0 0 0 0 0 100 0 0 0 0 100 0 0 0 400 0 0 400 0 400\n";

std::string ErrorFor(const std::string& contents) {
  SlamGraph graph;
  std::string error;
  EXPECT_FALSE(ParseG2o(contents, "bad.g2o", &graph, &error)) << contents;
  return error;
}

TEST(G2oIo, ReadsSe2) {
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(kSe2, "a.g2o", &graph, &error)) << error;
  EXPECT_EQ(graph.dimension, 2);
  EXPECT_EQ(graph.num_poses(), 3);
  ASSERT_EQ(graph.pose_edges.size(), 3u);
  EXPECT_NEAR(graph.poses[1].translation[1], 0.5, 0);
  EXPECT_NEAR(
      std::atan2(graph.poses[2].rotation(1, 0), graph.poses[2].rotation(0, 0)),
      0.2, 1e-15);
  const auto& e = graph.pose_edges[1];
  EXPECT_EQ(e.from, 1);
  EXPECT_EQ(e.to, 2);
  EXPECT_EQ(e.information(0, 1), 1.0);  // Upper triangle, row-major.
  EXPECT_EQ(e.information(1, 0), 1.0);
  EXPECT_EQ(e.information(2, 2), 400.0);
  EXPECT_EQ(e.line, 5);
  EXPECT_TRUE(graph.vertices_are_initial_guess);
}

TEST(G2oIo, ReadsSe3) {
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(kSe3, "a.g2o", &graph, &error)) << error;
  EXPECT_EQ(graph.dimension, 3);
  ASSERT_EQ(graph.pose_edges.size(), 1u);
  EXPECT_NEAR(graph.pose_edges[0].rotation(1, 0), std::sin(0.2), 1e-6);
  EXPECT_NEAR((graph.poses[1].rotation.transpose() * graph.poses[1].rotation -
               Eigen::Matrix3d::Identity())
                  .norm(),
              0.0, 1e-12);
  EXPECT_EQ(graph.pose_edges[0].information(3, 3), 400.0);
}

TEST(G2oIo, EdgesOnlyFileHasPosesWithoutValues) {
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(
      "EDGE_SE2 0 1 1 0 0 1 0 0 1 0 1\n\nEDGE_SE2 1 2 1 0 0 1 0 0 1 0 1\n",
      "e.g2o", &graph, &error))
      << error;
  EXPECT_EQ(graph.num_poses(), 3);
  for (const auto& p : graph.poses) EXPECT_FALSE(p.has_value);
}

TEST(G2oIo, ToroOrderIsChosenByPositiveDefiniteness) {
  SlamGraph toro, g2o;
  std::string error;
  // TORO: I11 I12 I22 I33 I13 I23 = identity.
  ASSERT_TRUE(ParseG2o(
      "VERTEX2 0 0 0 0\nVERTEX2 1 1 0 0\nEDGE2 1 0 -1 0 0 1 0 1 1 0 0\n",
      "w.graph", &toro, &error))
      << error;
  EXPECT_EQ(toro.format, SlamGraph::Format::kToro);
  EXPECT_TRUE(
      toro.pose_edges[0].information.isApprox(Eigen::Matrix3d::Identity()));
  // Not positive definite in TORO order: g2o row-major, as in w20000.
  ASSERT_TRUE(ParseG2o("EDGE2 0 1 1 0 0 3 0 0 3 0 5\n", "w.txt", &g2o, &error))
      << error;
  EXPECT_TRUE(g2o.pose_edges[0].information.isApprox(
      Eigen::Vector3d(3, 3, 5).asDiagonal().toDenseMatrix()));
  ASSERT_FALSE(g2o.notes.empty());
  EXPECT_NE(g2o.notes[0].find("g2o row-major"), std::string::npos);
}

TEST(G2oIo, MalformedInputsNameFileAndLine) {
  struct Case {
    std::string contents;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "bad.g2o: no vertices"},
      {"VERTEX_SE2 0 0 0\n", "bad.g2o:1: VERTEX_SE2 needs 4 fields, found 3"},
      {"VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 x 0\n",
       "bad.g2o:2: field 4 'x' is not a number"},
      {"VERTEX_SE2 0 0 nan 0\n",
       "bad.g2o:1: field 4 'nan' is not a finite number"},
      {"VERTEX_SE2 0 0 inf 0\n", "is not a finite number"},
      {"VERTEX_SE2 0 1e999 0 0\n", "is not a finite number"},
      {"VERTEX_SE2 -3 0 0 0\n", "bad.g2o:1: vertex id -3 is negative"},
      {"VERTEX_SE2 0 0 0 0\nVERTEX_SE2 0 1 1 1\n",
       "bad.g2o:2: vertex 0 is declared twice"},
      {"VERTEX_SE2 0 0 0 0\nEDGE_SE2 0 7 1 0 0 1 0 0 1 0 1\n",
       "bad.g2o:2: edge refers to vertex 7, which the file does not declare"},
      {"EDGE_SE2 3 3 1 0 0 1 0 0 1 0 1\n",
       "bad.g2o:1: edge from vertex 3 to itself"},
      {"EDGE_SE2 0 1 1 0 0 1 0 0 -1 0 1\n", "bad.g2o:1: the translation block"},
      {"EDGE_SE2 0 1 1 0 0 1 0 0 1 0 0\n", "bad.g2o:1: the rotation block"},
      {"VERTEX_SE3:QUAT 0 0 0 0 0 0 0 0\n",
       "bad.g2o:1: vertex 0 has a zero quaternion"},
      {"VERTEX_SE2 0 0 0 0\nVERTEX_SE3:QUAT 1 0 0 0 0 0 0 1\n",
       "bad.g2o:2: the file mixes 2D and 3D"},
      {"VERTEX_SE2 0 0 0 0 extra\n", "VERTEX_SE2 needs 4 fields, found 5"},
      {"FOO 1 2 3\n", "bad.g2o:1: unknown or unsupported entry 'FOO'"},
      {std::string("VERTEX_SE2 0 0 0 0\n\x01\x02\xff\xfe garbage\n", 30),
       "bad.g2o:2: unknown or unsupported entry '\\x01\\x02\\xff\\xfe'"},
      {"VERTEX_SE2 99999999999999999999999 0 0 0\n", "is not an integer"},
      {"EDGE_SE3:QUAT 0 1 1 0 0 0 0 0 1 1 0 0 0 0 0 1 0 0 0 0 1 0 0 0 1 0 0 1 "
       "0\n",
       "EDGE_SE3:QUAT needs 30 fields, found 29"},
  };
  for (const Case& c : cases) {
    const std::string error = ErrorFor(c.contents);
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << "input: " << c.contents << "\nerror: " << error
        << "\nexpected: " << c.expected;
  }
}

TEST(G2oIo, ReadsLandmarkEdgesInOneIdSpace) {
  const char text[] =
      "VERTEX_SE2 0 0 0 0\n"
      "VERTEX_SE2 1 1 0 0\n"
      "VERTEX_XY 7 3 4\n"
      "EDGE_SE2 0 1 1 0 0 100 0 0 100 0 400\n"
      "EDGE_SE2_XY 0 7 3 4 4 0 1\n"
      "EDGE_SE2_XY 1 7 2 4 4 0 1\n";
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(text, "l.g2o", &graph, &error)) << error;
  ASSERT_EQ(graph.num_landmarks(), 1);
  EXPECT_EQ(graph.landmarks[0].name, "7");
  EXPECT_TRUE(graph.landmarks[0].has_value);
  EXPECT_EQ(graph.landmarks[0].position, Eigen::Vector2d(3, 4));
  ASSERT_EQ(graph.landmark_edges.size(), 2u);
  EXPECT_EQ(graph.landmark_edges[1].pose, 1);
  EXPECT_EQ(graph.landmark_edges[1].translation, Eigen::Vector2d(2, 4));
  EXPECT_EQ(graph.landmark_edges[1].information(0, 0), 4.0);
  EXPECT_EQ(graph.landmark_edges[1].line, 6);

  const char text3[] =
      "VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\n"
      "EDGE_SE3_XYZ 0 5 1 2 3 1 0 0 2 0 3\n";
  ASSERT_TRUE(ParseG2o(text3, "l3.g2o", &graph, &error)) << error;
  ASSERT_EQ(graph.num_landmarks(), 1);
  EXPECT_FALSE(graph.landmarks[0].has_value);  // Declared nowhere: fine.
  EXPECT_EQ(graph.landmark_edges[0].information(2, 2), 3.0);

  // Written back with VERTEX_TRACKXYZ lines and read again.
  graph.landmarks[0].position << 1, 2, 3;
  const std::string path = ::testing::TempDir() + "/landmarks.g2o";
  ASSERT_TRUE(WriteG2oFile(path, graph, &error)) << error;
  SlamGraph back;
  ASSERT_TRUE(ReadG2oFile(path, &back, &error)) << error;
  ASSERT_EQ(back.num_landmarks(), 1);
  EXPECT_TRUE(back.landmarks[0].has_value);
  EXPECT_EQ(back.landmarks[0].position, Eigen::Vector3d(1, 2, 3));
  EXPECT_EQ(back.landmark_edges.size(), 1u);
}

TEST(G2oIo, ReadsBearingRangeAsAPropagatedRelativePosition) {
  const char text[] =
      "VERTEX2 0 0 0 0\n"
      "VERTEX2 1 1 0 0\n"
      "EDGE2 0 1 1 0 0 1 0 1 1 0 0\n"
      "BR 0 44 0.5 10 0.02 0.1\n";
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(text, "e.graph", &graph, &error)) << error;
  EXPECT_EQ(graph.format, SlamGraph::Format::kToro);
  ASSERT_EQ(graph.landmark_edges.size(), 1u);
  const SlamGraph::LandmarkEdge& e = graph.landmark_edges[0];
  ASSERT_TRUE(e.bearing_range.has_value());
  EXPECT_EQ(e.bearing_range->range, 10.0);
  EXPECT_NEAR(e.translation[0], 10 * std::cos(0.5), 1e-12);
  EXPECT_NEAR(e.translation[1], 10 * std::sin(0.5), 1e-12);
  // Σ = J diag(σ_ρ², σ_β²) Jᵀ with J = ∂(ρ cos β, ρ sin β)/∂(ρ, β).
  Eigen::Matrix2d j;
  j << std::cos(0.5), -10 * std::sin(0.5), std::sin(0.5), 10 * std::cos(0.5);
  const Eigen::Matrix2d covariance =
      j * Eigen::Vector2d(0.1 * 0.1, 0.02 * 0.02).asDiagonal() * j.transpose();
  EXPECT_LT((Eigen::Matrix2d(e.information) * covariance -
             Eigen::Matrix2d::Identity())
                .norm(),
            1e-9);
}

TEST(G2oIo, ReadsVictoriaParkOdometryAndLandmarks) {
  const char text[] =
      "ODOMETRY 0 1 1 0 0.1 0.0001 0 0 4e-06 0 4e-06\n"
      "LANDMARK 1 2 11.5 -3.2 0.4 0 0.4\n"
      "ODOMETRY 1 3 1 0 0.1 0.0001 0 0 4e-06 0 4e-06\n"
      "LANDMARK 3 2 10.5 -3.0 0.4 0.1 0.5\n";
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(text, "vp.txt", &graph, &error)) << error;
  EXPECT_EQ(graph.num_poses(), 3);  // Ids 0, 1, 3; 2 is a landmark.
  ASSERT_EQ(graph.num_landmarks(), 1);
  EXPECT_EQ(graph.landmarks[0].name, "2");
  ASSERT_EQ(graph.pose_edges.size(), 2u);
  // Covariance diag(1e-4, 4e-6, 4e-6) in g2o row-major order.
  EXPECT_NEAR(graph.pose_edges[0].information(0, 0), 1e4, 1e-6);
  EXPECT_NEAR(graph.pose_edges[0].information(1, 1), 2.5e5, 1e-4);
  EXPECT_NEAR(graph.pose_edges[0].information(2, 2), 2.5e5, 1e-4);
  ASSERT_EQ(graph.landmark_edges.size(), 2u);
  const Eigen::Matrix2d covariance =
      (Eigen::Matrix2d() << 0.4, 0.1, 0.1, 0.5).finished();
  EXPECT_LT((Eigen::Matrix2d(graph.landmark_edges[1].information) * covariance -
             Eigen::Matrix2d::Identity())
                .norm(),
            1e-12);
  EXPECT_FALSE(graph.landmark_edges[1].bearing_range.has_value());
  EXPECT_FALSE(graph.notes.empty());
  for (const auto& p : graph.poses) EXPECT_FALSE(p.has_value);
}

TEST(G2oIo, MalformedLandmarkInputsNameFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"VERTEX_SE2 0 0 0 0\nEDGE_SE2_XY 0 0 1 1 1 0 1\n",
       "bad.g2o:2: id 0 is a pose, a landmark is expected"},
      {"VERTEX_XY 3 0 0\nEDGE_SE2 3 1 1 0 0 1 0 0 1 0 1\n",
       "bad.g2o:2: id 3 is a landmark, a pose is expected"},
      {"VERTEX_SE2 0 0 0 0\nVERTEX_XY 5 0 0\nEDGE_SE2_XY 0 6 1 1 1 0 1\n",
       "bad.g2o:3: edge refers to landmark 6, which the file does not declare"},
      {"VERTEX_XY 5 0 0\nVERTEX_XY 5 1 1\n",
       "bad.g2o:2: landmark 5 is declared twice"},
      {"EDGE_SE2_XY 0 5 1 1 1 0\n", "EDGE_SE2_XY needs 7 fields, found 6"},
      {"EDGE_SE2_XY 0 5 1 1 1 2 1\n",
       "bad.g2o:1: the information matrix is not positive definite"},
      {"VERTEX2 0 0 0 0\nBR 0 9 0.1 0 0.02 0.1\n",
       "bad.g2o:2: bearing-range measurement: the range must be positive"},
      {"VERTEX2 0 0 0 0\nBR 0 9 0.1 4 0 0.1\n",
       "bad.g2o:2: bearing-range measurement: the bearing and range standard"},
      {"BR 0 9 0.1 4\n", "bad.g2o:1: BR needs 6 fields, found 4"},
      {"BR 0 9 0.1 4 x 0.1\n", "bad.g2o:1: field 6 'x' is not a number"},
      {"ODOMETRY 0 1 1 0 0 0 0 0 0 0 0\n",
       "bad.g2o:1: the covariance matrix is not positive definite"},
      {"ODOMETRY 0 0 1 0 0 1 0 0 1 0 1\n", "bad.g2o:1: edge from vertex 0 to"},
      {"LANDMARK 0 1 1 1 0.4 0 -0.4\n",
       "bad.g2o:1: the covariance matrix is not positive definite"},
      {"LANDMARK 0 1 1 1 0.4 0\n", "bad.g2o:1: LANDMARK needs 7 fields"},
      {"VERTEX_SE3:QUAT 0 0 0 0 0 0 0 1\nBR 0 9 0.1 4 0.1 0.1\n",
       "bad.g2o:2: the file mixes 2D and 3D"},
  };
  for (const auto& [contents, expected] : cases) {
    const std::string error = ErrorFor(contents);
    EXPECT_NE(error.find(expected), std::string::npos)
        << "input: " << contents << "\nerror: " << error
        << "\nexpected: " << expected;
  }
}

TEST(G2oIo, ReadsTheSharedLandmarkFiles) {
  const std::string root = CERES_VARPRO_SHARED_DATASETS_DIR;
  std::ifstream probe(root + "/README.md");
  if (!probe) GTEST_SKIP() << "shared datasets not present at " << root;
  SlamGraph graph;
  std::string error;
  // Counts from the datasets' README.
  ASSERT_TRUE(
      ReadG2oFile(root + "/landmark_slam_2d/victoria_park.txt", &graph, &error))
      << error;
  EXPECT_EQ(graph.num_poses(), 6969);
  EXPECT_EQ(graph.num_landmarks(), 151);
  EXPECT_EQ(graph.pose_edges.size(), 6968u);
  EXPECT_EQ(graph.landmark_edges.size(), 3640u);
  ASSERT_TRUE(
      ReadG2oFile(root + "/landmark_slam_2d/example.graph", &graph, &error))
      << error;
  EXPECT_EQ(graph.num_poses(), 95);
  EXPECT_EQ(graph.num_landmarks(), 24);
  EXPECT_EQ(graph.pose_edges.size(), 94u);
  EXPECT_EQ(graph.landmark_edges.size(), 422u);
  for (const auto& e : graph.landmark_edges)
    ASSERT_TRUE(e.bearing_range.has_value());
}

TEST(G2oIo, WriteReadRoundTripKeepsValuesAndEdges) {
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParseG2o(kSe3, "a.g2o", &graph, &error)) << error;
  graph.poses[1].translation << 4.25, -1.0 / 3.0, 1e-9;
  const std::string path = ::testing::TempDir() + "/roundtrip.g2o";
  ASSERT_TRUE(WriteG2oFile(path, graph, &error)) << error;
  SlamGraph back;
  ASSERT_TRUE(ReadG2oFile(path, &back, &error)) << error;
  ASSERT_EQ(back.num_poses(), 2);
  EXPECT_EQ(back.poses[1].translation,
            graph.poses[1].translation);  // %.17g is exact.
  EXPECT_LT((back.poses[1].rotation - graph.poses[1].rotation).norm(), 1e-15);
  ASSERT_EQ(back.pose_edges.size(), 1u);
  EXPECT_EQ(back.pose_edges[0].information, graph.pose_edges[0].information);
}

TEST(G2oIo, MissingFileIsAnError) {
  SlamGraph graph;
  std::string error;
  EXPECT_FALSE(ReadG2oFile("/nonexistent/x.g2o", &graph, &error));
  EXPECT_NE(error.find("/nonexistent/x.g2o"), std::string::npos);
}

struct RealFile {
  const char* path;
  int dimension, poses, edges;
  bool has_vertices;
};

TEST(G2oIo, ReadsEverySharedPoseGraph) {
  const std::string root = CERES_VARPRO_SHARED_DATASETS_DIR;
  std::ifstream probe(root + "/README.md");
  if (!probe) GTEST_SKIP() << "shared datasets not present at " << root;
  // Counts from the datasets' README.
  const std::vector<RealFile> files = {
      {"pose_graph_2d/intel.g2o", 2, 1728, 2512, true},
      {"pose_graph_2d/MIT.g2o", 2, 808, 827, true},
      {"pose_graph_2d/CSAIL.g2o", 2, 1045, 1172, false},
      {"pose_graph_2d/manhattan.g2o", 2, 3500, 5453, false},
      {"pose_graph_2d/city10000.g2o", 2, 10000, 20687, true},
      {"pose_graph_2d/ais2klinik.g2o", 2, 15115, 16727, true},
      {"pose_graph_2d/kitti_00.g2o", 2, 4541, 4677, false},
      {"pose_graph_2d/kitti_02.g2o", 2, 4661, 4703, false},
      {"pose_graph_2d/kitti_05.g2o", 2, 2761, 2826, false},
      {"pose_graph_2d/w100.graph", 2, 100, 300, true},
      {"pose_graph_2d/w20000.txt", 2, 20061, 26831, false},
      {"pose_graph_3d/tinyGrid3D.g2o", 3, 9, 11, true},
      {"pose_graph_3d/smallGrid3D.g2o", 3, 125, 297, true},
      {"pose_graph_3d/parking-garage.g2o", 3, 1661, 6275, true},
      {"pose_graph_3d/sphere2500.g2o", 3, 2500, 4949, true},
      {"pose_graph_3d/sphere_bignoise_vertex3.g2o", 3, 2200, 8647, true},
      {"pose_graph_3d/torus3D.g2o", 3, 5000, 9048, true},
      {"pose_graph_3d/cubicle.g2o", 3, 5750, 16869, true},
  };
  for (const RealFile& f : files) {
    SlamGraph graph;
    std::string error;
    ASSERT_TRUE(ReadG2oFile(root + "/" + f.path, &graph, &error)) << error;
    EXPECT_EQ(graph.dimension, f.dimension) << f.path;
    EXPECT_EQ(graph.num_poses(), f.poses) << f.path;
    EXPECT_EQ(static_cast<int>(graph.pose_edges.size()), f.edges) << f.path;
    for (const auto& p : graph.poses)
      ASSERT_EQ(p.has_value, f.has_vertices) << f.path;
  }
}

}  // namespace
}  // namespace ceres_varpro

#include "ceres_varpro/io/pyfg_io.h"

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

const char kSmall[] =
    "VERTEX_SE2 0.0 A0 0 0 0\n"
    "VERTEX_SE2 1.0 A1 1 0 0\n"
    "VERTEX_SE2 0.0 B0 5 5 1.57\n"
    "VERTEX_XY L0 11 19\n"
    "EDGE_SE2 0.0 A0 A1 1 0 0 0.01 0 0 0.04 0 0.0025\n"
    "EDGE_RANGE 0.0 A1 L0 21.47 4.0\n"
    "EDGE_RANGE 0.0 A0 B0 7.07 1.0\n"
    "EDGE_SE2_XY 1.0 B0 L0 3 2 0.25 0 0.25\n";

std::string ErrorFor(const std::string& contents) {
  SlamGraph graph;
  std::string error;
  EXPECT_FALSE(ParsePyfg(contents, "bad.pyfg", &graph, &error)) << contents;
  return error;
}

TEST(PyfgIo, ReadsPosesLandmarksAndAllEdgeKinds) {
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParsePyfg(kSmall, "s.pyfg", &graph, &error)) << error;
  EXPECT_EQ(graph.format, SlamGraph::Format::kPyfg);
  EXPECT_FALSE(graph.vertices_are_initial_guess);
  EXPECT_EQ(graph.num_poses(), 3);
  EXPECT_EQ(graph.poses[2].robot, 1);  // 'B'.
  EXPECT_EQ(graph.poses[1].id, 1);
  EXPECT_EQ(graph.num_landmarks(), 1);
  ASSERT_EQ(graph.pose_edges.size(), 1u);
  // Covariance diag(0.01, 0.04, 0.0025) -> information diag(100, 25, 400).
  EXPECT_NEAR(graph.pose_edges[0].information(0, 0), 100.0, 1e-9);
  EXPECT_NEAR(graph.pose_edges[0].information(1, 1), 25.0, 1e-9);
  EXPECT_NEAR(graph.pose_edges[0].information(2, 2), 400.0, 1e-9);
  ASSERT_EQ(graph.range_edges.size(), 2u);
  EXPECT_TRUE(graph.range_edges[0].b.is_landmark);
  EXPECT_FALSE(graph.range_edges[1].b.is_landmark);
  EXPECT_EQ(graph.range_edges[0].variance, 4.0);
  ASSERT_EQ(graph.landmark_edges.size(), 1u);
  EXPECT_NEAR(graph.landmark_edges[0].information(1, 1), 4.0, 1e-12);
}

TEST(PyfgIo, ReadsPosePriorsAndLandmarkPriors) {
  const std::string text = std::string(kSmall) +
                           "VERTEX_SE2:PRIOR 0.0 A0 0.5 -1 0.25 0.01 0 0 "
                           "0.04 0 0.0025\n"
                           "VERTEX_XY:PRIOR 0.0 L0 11 19 0.25 0 1\n"
                           "VERTEX_SE2_PRIOR 0.0 B0 5 5 1.57 1 0 0 1 0 1\n";
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParsePyfg(text, "p.pyfg", &graph, &error)) << error;
  ASSERT_EQ(graph.pose_priors.size(), 2u);
  const SlamGraph::PosePrior& p = graph.pose_priors[0];
  EXPECT_EQ(p.pose, 0);
  EXPECT_EQ(p.line, 9);
  EXPECT_EQ(p.translation, Eigen::Vector2d(0.5, -1));
  EXPECT_NEAR(AngleFromRotation(p.rotation), 0.25, 1e-15);
  EXPECT_NEAR(p.information(0, 0), 100.0, 1e-9);  // Covariance inverted.
  EXPECT_NEAR(p.information(1, 1), 25.0, 1e-9);
  EXPECT_NEAR(p.information(2, 2), 400.0, 1e-9);
  EXPECT_EQ(graph.pose_priors[1].pose, 2);  // B0.
  ASSERT_EQ(graph.landmark_priors.size(), 1u);
  EXPECT_EQ(graph.landmark_priors[0].landmark, 0);
  EXPECT_EQ(graph.landmark_priors[0].position, Eigen::Vector2d(11, 19));
  EXPECT_NEAR(graph.landmark_priors[0].information(0, 0), 4.0, 1e-12);
  EXPECT_NEAR(graph.landmark_priors[0].information(1, 1), 1.0, 1e-12);

  // 3D priors, and the lines survive a write.
  const std::string text3 =
      "VERTEX_SE3:QUAT 0.0 A0 0 0 0 0 0 0 1\n"
      "VERTEX_XYZ L0 1 2 3\n"
      "VERTEX_SE3:QUAT:PRIOR 0.0 A0 1 2 3 0 0 0 1 1 0 0 0 0 0 1 0 0 0 0 1 0 0 "
      "0 1 0 0 1 0 1\n"
      "VERTEX_XYZ:PRIOR 0.0 L0 1 2 3 1 0 0 1 0 1\n"
      "EDGE_SE3_XYZ 0.0 A0 L0 1 2 3 1 0 0 1 0 1\n";
  ASSERT_TRUE(ParsePyfg(text3, "p3.pyfg", &graph, &error)) << error;
  EXPECT_EQ(graph.pose_priors.size(), 1u);
  EXPECT_EQ(graph.landmark_priors.size(), 1u);
  EXPECT_EQ(graph.pose_priors[0].information.rows(), 6);
  const std::string path = ::testing::TempDir() + "/priors.pyfg";
  ASSERT_TRUE(WritePyfgFile(path, graph, &error)) << error;
  SlamGraph back;
  ASSERT_TRUE(ReadPyfgFile(path, &back, &error)) << error;
  EXPECT_EQ(back.pose_priors.size(), 1u);
  EXPECT_EQ(back.landmark_priors.size(), 1u);
  EXPECT_EQ(back.landmark_edges.size(), 1u);
}

TEST(PyfgIo, MalformedInputsNameFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "bad.pyfg: no vertices"},
      {"VERTEX_SE2 0.0 A0 0 0\n",
       "bad.pyfg:1: VERTEX_SE2 needs 5 fields, found 4"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_SE2 0.0 A0 1 0 0\n",
       "bad.pyfg:2: vertex 'A0' is declared twice"},
      {"VERTEX_SE2 0.0 17 0 0 0\n",
       "is not a robot letter followed by an index"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nEDGE_RANGE 0.0 A0 L9 1.0 1.0\n",
       "bad.pyfg:2: edge refers to 'L9', which the file does not declare"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_XY L0 1 1\nEDGE_RANGE 0.0 A0 L0 -1.0 "
       "1.0\n",
       "bad.pyfg:3: the range is negative"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_XY L0 1 1\nEDGE_RANGE 0.0 A0 L0 1.0 "
       "0.0\n",
       "bad.pyfg:3: the range variance must be positive"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_SE2 0.0 A1 0 0 0\n"
       "EDGE_SE2 0.0 A0 A1 1 0 0 1 2 0 1 0 1\n",
       "bad.pyfg:3: the covariance matrix is not positive definite"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_XY L0 1 1\nEDGE_SE2_XY 0.0 L0 A0 1 1 1 "
       "0 1\n",
       "bad.pyfg:3: 'L0' is a landmark, a pose is expected"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_XYZ L0 1 1 1\n",
       "bad.pyfg:2: the file mixes 2D and 3D"},
      {"VERTEX_SE3:QUAT 0.0 A0 0 0 0 0 0 0 0\n",
       "bad.pyfg:1: vertex A0 has a zero quaternion"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_SE2:PRIOR 0.0 A0 0 0 0\n",
       "bad.pyfg:2: VERTEX_SE2:PRIOR needs 11 fields, found 5"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_SE2:PRIOR 0.0 A7 0 0 0 1 0 0 1 0 1\n",
       "bad.pyfg:2: edge refers to 'A7', which the file does not declare"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_SE2:PRIOR 0.0 A0 0 0 0 1 0 0 1 0 0\n",
       "bad.pyfg:2: the covariance matrix is not positive definite"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_XY:PRIOR 0.0 A0 1 1 1 0 1\n",
       "bad.pyfg:2: 'A0' is a pose, a landmark is expected"},
      {"VERTEX_XY L0 0 0\nVERTEX_XYZ:PRIOR 0.0 L0 1 1 1 1 0 0 1 0 1\n",
       "bad.pyfg:2: the file mixes 2D and 3D"},
      {"VERTEX_SE3:QUAT 0.0 A0 0 0 0 0 0 0 1\nVERTEX_SE3:QUAT:PRIOR 0.0 A0 0 0 "
       "0 0 0 0 0 1 0 0 0 0 0 1 0 0 0 0 1 0 0 0 1 0 0 1 0 1\n",
       "bad.pyfg:2: the prior has a zero quaternion"},
      {"VERTEX_SE2 0.0 A0 0 0 0\nVERTEX_SE2_PRIOR 0.0 A0 0 0 0\n",
       "bad.pyfg:2: VERTEX_SE2_PRIOR needs 11 fields, found 5"},
      {"VERTEX_SE2 0.0 A0 0 NaN 0\n", "is not a finite number"},
  };
  for (const auto& [contents, expected] : cases) {
    const std::string error = ErrorFor(contents);
    EXPECT_NE(error.find(expected), std::string::npos)
        << "input: " << contents << "\nerror: " << error
        << "\nexpected: " << expected;
  }
}

TEST(PyfgIo, WriteReadRoundTrip) {
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(ParsePyfg(kSmall, "s.pyfg", &graph, &error)) << error;
  graph.landmarks[0].position << 10.5, 18.25;
  const std::string path = ::testing::TempDir() + "/roundtrip.pyfg";
  ASSERT_TRUE(WritePyfgFile(path, graph, &error)) << error;
  SlamGraph back;
  ASSERT_TRUE(ReadPyfgFile(path, &back, &error)) << error;
  EXPECT_EQ(back.num_poses(), 3);
  EXPECT_EQ(back.landmarks[0].position, graph.landmarks[0].position);
  EXPECT_EQ(back.poses[2].stamp, "0.0");
  EXPECT_EQ(back.range_edges.size(), 2u);
  EXPECT_EQ(back.landmark_edges.size(), 1u);
}

TEST(PyfgIo, ReadsEverySharedRangeAidedProblem) {
  const std::string root = CERES_VARPRO_SHARED_DATASETS_DIR;
  std::ifstream probe(root + "/README.md");
  if (!probe) GTEST_SKIP() << "shared datasets not present at " << root;
  struct File {
    const char* name;
    int dimension, poses, landmarks, odometry, ranges, relative;
  };
  // Counts from the datasets' README.
  const std::vector<File> files = {
      {"small_ra_slam_problem", 2, 6, 1, 5, 5, 0},
      {"plaza1", 2, 9658, 4, 9657, 3326, 0},
      {"plaza2", 2, 4091, 4, 4090, 1807, 0},
      {"tiers", 2, 9768, 1, 9764, 7789, 0},
      {"single_drone", 3, 1754, 1, 1753, 1754, 0},
      {"mrclam3b", 2, 6271, 15, 6266, 1276, 7574},
      {"mrclam5a", 2, 1080, 15, 1075, 316, 1127},
      {"mrclam6", 2, 11274, 15, 11269, 3537, 13121},
  };
  for (const File& f : files) {
    SlamGraph graph;
    std::string error;
    ASSERT_TRUE(
        ReadPyfgFile(root + "/ra_slam/" + f.name + ".pyfg", &graph, &error))
        << error;
    EXPECT_EQ(graph.dimension, f.dimension) << f.name;
    EXPECT_EQ(graph.num_poses(), f.poses) << f.name;
    EXPECT_EQ(graph.num_landmarks(), f.landmarks) << f.name;
    EXPECT_EQ(static_cast<int>(graph.pose_edges.size()), f.odometry) << f.name;
    EXPECT_EQ(static_cast<int>(graph.range_edges.size()), f.ranges) << f.name;
    EXPECT_EQ(static_cast<int>(graph.landmark_edges.size()), f.relative)
        << f.name;
  }
}

}  // namespace
}  // namespace ceres_varpro

#include "ceres_varpro/synthetic/snl_generator.h"

#include <string>
#include <vector>

#include "ceres_varpro/io/pyfg_io.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

TEST(SnlGenerator, SeededNetworkWithAnchorsAndEveryNodeRanged) {
  for (int d : {2, 3}) {
    SnlGeneratorOptions o;
    o.dimension = d;
    o.num_nodes = 300;
    o.num_anchors = 7;
    o.seed = 4;
    SlamGraph a, b;
    GenerateSensorNetwork(o, &a);
    GenerateSensorNetwork(o, &b);
    EXPECT_EQ(a.other_lines, b.other_lines);  // Deterministic.
    std::string error;
    ASSERT_TRUE(a.Validate(&error)) << error;
    EXPECT_EQ(a.dimension, d);
    EXPECT_EQ(a.num_poses(), 0);
    EXPECT_EQ(a.num_landmarks(), 300);
    ASSERT_EQ(a.landmark_priors.size(), 7u);
    EXPECT_EQ(a.landmark_priors[2].position, a.landmarks[2].position);
    std::vector<int> degree(300, 0);
    for (const auto& e : a.range_edges) {
      ++degree[e.a.index];
      ++degree[e.b.index];
      const double truth =
          (a.landmarks[e.a.index].position - a.landmarks[e.b.index].position)
              .norm();
      EXPECT_LT(std::abs(e.range - truth), 6 * o.range_noise);
    }
    for (int k = 0; k < 300; ++k) EXPECT_GE(degree[k], d + 1) << k;
    o.seed = 5;
    GenerateSensorNetwork(o, &b);
    EXPECT_NE(a.other_lines, b.other_lines);

    // As pyfg, read back the same.
    const std::string path =
        ::testing::TempDir() + "/snl" + std::to_string(d) + ".pyfg";
    ASSERT_TRUE(WritePyfgFile(path, a, &error)) << error;
    SlamGraph back;
    ASSERT_TRUE(ReadPyfgFile(path, &back, &error)) << error;
    EXPECT_EQ(back.num_landmarks(), 300);
    EXPECT_EQ(back.landmark_priors.size(), 7u);
    ASSERT_EQ(back.range_edges.size(), a.range_edges.size());
    EXPECT_EQ(back.range_edges[10].range, a.range_edges[10].range);
    EXPECT_EQ(back.landmarks[9].position, a.landmarks[9].position);
  }
}

}  // namespace
}  // namespace ceres_varpro

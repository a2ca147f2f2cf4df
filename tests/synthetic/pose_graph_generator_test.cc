#include "ceres_varpro/synthetic/pose_graph_generator.h"

#include <fstream>
#include <sstream>

#include "ceres_varpro/io/g2o_io.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PoseGraphGenerator, DeterministicAndReadableBackExactly) {
  PoseGraphGeneratorOptions o;
  o.num_poses = 300;
  o.poses_per_ring = 30;
  SlamGraph a, b;
  GeneratePoseGraph(o, &a);
  GeneratePoseGraph(o, &b);
  const std::string pa = ::testing::TempDir() + "/gen_a.g2o";
  const std::string pb = ::testing::TempDir() + "/gen_b.g2o";
  std::string error;
  ASSERT_TRUE(WriteG2oFile(pa, a, &error)) << error;
  ASSERT_TRUE(WriteG2oFile(pb, b, &error)) << error;
  EXPECT_EQ(Slurp(pa), Slurp(pb));
  o.seed = 2;
  SlamGraph c;
  GeneratePoseGraph(o, &c);
  EXPECT_NE(c.pose_edges[5].translation, a.pose_edges[5].translation);

  // What is written is what was generated (no truncated numbers).
  SlamGraph back;
  ASSERT_TRUE(ReadG2oFile(pa, &back, &error)) << error;
  ASSERT_EQ(back.num_poses(), a.num_poses());
  ASSERT_EQ(back.pose_edges.size(), a.pose_edges.size());
  for (size_t k = 0; k < a.pose_edges.size(); ++k) {
    EXPECT_LT((back.pose_edges[k].rotation - a.pose_edges[k].rotation).norm(),
              1e-14)
        << k;
    EXPECT_EQ(back.pose_edges[k].translation, a.pose_edges[k].translation) << k;
  }
  for (int i = 0; i < a.num_poses(); ++i) {
    EXPECT_LT((back.poses[i].translation - a.poses[i].translation).norm(), 1e-9)
        << i;
  }
}

TEST(PoseGraphGenerator, HasOdometryAndLoopClosures) {
  PoseGraphGeneratorOptions o;
  o.num_poses = 200;
  o.poses_per_ring = 20;
  SlamGraph g;
  GeneratePoseGraph(o, &g);
  EXPECT_EQ(g.num_poses(), 200);
  int loops = 0;
  for (const auto& e : g.pose_edges) loops += (e.to - e.from) != 1;
  EXPECT_GT(loops, 100);  // ~90% of the 180 poses above the first ring.
  EXPECT_LT(loops, 181);
  std::string error;
  EXPECT_TRUE(g.Validate(&error)) << error;
  o.dimension = 2;
  SlamGraph g2;
  GeneratePoseGraph(o, &g2);
  EXPECT_EQ(g2.dimension, 2);
  EXPECT_TRUE(g2.Validate(&error)) << error;
}

}  // namespace
}  // namespace ceres_varpro

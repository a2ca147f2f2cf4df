#include "ceres_varpro/io/bal_io.h"

#include <fstream>
#include <sstream>

#include "ceres_varpro/synthetic/bal_generator.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

// 2 cameras, 2 points, 3 observations; values laid out one per line as in
// the real files, with a blank separator line as in dubrovnik-3-7.
std::string Small() {
  std::ostringstream s;
  s << "2 2 3\n0 0 -1.5 2.5\n1 0 3 4\n1 1 -2 -1\n\n";
  for (int i = 0; i < 18; ++i) s << 0.01 * (i + 1) << "\n";
  s << "\n";
  for (int i = 0; i < 6; ++i) s << -1.0 - i << "\n";
  return s.str();
}

std::string ErrorFor(const std::string& contents) {
  BalProblem problem;
  std::string error;
  EXPECT_FALSE(ParseBal(contents, "bad.txt", &problem, &error)) << contents;
  return error;
}

TEST(BalIo, ParsesAValidFile) {
  BalProblem p;
  std::string error;
  ASSERT_TRUE(ParseBal(Small(), "s.txt", &p, &error)) << error;
  EXPECT_EQ(p.num_cameras, 2);
  EXPECT_EQ(p.num_points, 2);
  ASSERT_EQ(p.observations.size(), 3u);
  EXPECT_EQ(p.observations[1].camera, 1);
  EXPECT_EQ(p.observations[1].x, 3.0);
  EXPECT_DOUBLE_EQ(p.camera(1)[0], 0.10);
  EXPECT_DOUBLE_EQ(p.point(1)[2], -6.0);
}

TEST(BalIo, MalformedInputsNameFileAndLine) {
  const std::string good = Small();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "bad.txt: the file is empty"},
      {"2 2", "bad.txt: the file ends early"},
      {"-1 2 3\n",
       "bad.txt:1: the number of cameras -1 is negative or too large"},
      {"1000000 1000000 1000000\n0 0 1 1\n",
       "announces 1000000 cameras, 1000000 points and 1000000 observations"},
      {good.substr(0, good.size() - 3),
       "i.e. 39 numbers, but the file has 38 (truncated?)"},
      {good + "7\n", "(extra data?)"},
      {"1 1 1\n0 3 1 1\n" +
           std::string(12, '1').replace(0, 12, "1 1 1 1 1 1 1 1 1 1 1 1"),
       "bad.txt:2: point index 3 is out of range [0, 1)"},
      {"1 1 1\n-1 0 1 1\n1 1 1 1 1 1 1 1 1 1 1 1",
       "bad.txt:2: camera index -1 is out of range"},
      {"1 1 1\n0 0 x 1\n1 1 1 1 1 1 1 1 1 1 1 1",
       "bad.txt:2: field 3 'x' is not a number"},
      {"1 1 1\n0 0 1 1\n1 1 1 nan 1 1 1 1 1 1 1 1",
       "bad.txt:3: field 4 'nan' is not a finite"},
      {"1 1 1\n0 0 1 1\n1 1 1 1 1 1 1 1 1\n1 1 inf",
       "bad.txt:4: field 3 'inf' is not a finite"},
      {std::string("\x7f\x45\x4c\x46\x02\x01 binary", 13),
       "bad.txt:1: field 1"},
  };
  for (const auto& [contents, expected] : cases) {
    const std::string error = ErrorFor(contents);
    EXPECT_NE(error.find(expected), std::string::npos)
        << "error: " << error << "\nexpected: " << expected;
  }
}

TEST(BalIo, WriteReadRoundTripAndPly) {
  BalGeneratorOptions o;
  o.num_cameras = 4;
  o.num_points = 50;
  BalProblem p;
  GenerateBalProblem(o, &p);
  const std::string path = ::testing::TempDir() + "/rt_bal.txt";
  std::string error;
  ASSERT_TRUE(WriteBalFile(path, p, &error)) << error;
  BalProblem back;
  ASSERT_TRUE(ReadBalFile(path, &back, &error)) << error;
  EXPECT_EQ(back.cameras, p.cameras);
  EXPECT_EQ(back.points, p.points);
  ASSERT_EQ(back.observations.size(), p.observations.size());
  EXPECT_EQ(back.observations.back().x, p.observations.back().x);

  const std::string ply = ::testing::TempDir() + "/rt.ply";
  ASSERT_TRUE(WritePlyFile(ply, p, &error)) << error;
  std::ifstream in(ply);
  std::string line;
  int lines = 0, vertices = -1;
  while (std::getline(in, line)) {
    ++lines;
    if (line.rfind("element vertex ", 0) == 0)
      vertices = std::stoi(line.substr(15));
  }
  EXPECT_EQ(vertices, p.num_cameras + p.num_points);
  EXPECT_EQ(lines, 10 + vertices);  // 10 header lines.
}

TEST(BalGenerator, DeterministicAndConsistent) {
  BalGeneratorOptions o;
  o.num_cameras = 6;
  o.num_points = 200;
  BalProblem a, b, truth;
  GenerateBalProblem(o, &a, &truth);
  GenerateBalProblem(o, &b);
  EXPECT_EQ(a.points, b.points);
  EXPECT_EQ(a.cameras, b.cameras);
  EXPECT_GT(a.num_points, 100);
  std::vector<int> seen(a.num_points, 0);
  for (const auto& obs : a.observations) {
    ASSERT_GE(obs.point, 0);
    ASSERT_LT(obs.point, a.num_points);
    ++seen[obs.point];
  }
  for (int s : seen) EXPECT_GE(s, 2);
  EXPECT_EQ(truth.observations.size(), a.observations.size());
}

TEST(BalIo, ReadsEverySharedBalFile) {
  const std::string root = CERES_VARPRO_SHARED_DATASETS_DIR;
  if (!std::ifstream(root + "/README.md"))
    GTEST_SKIP() << "shared datasets not present";
  struct File {
    const char* name;
    int cameras, points, observations;
  };
  for (const File& f : {File{"problem-49-7776-pre", 49, 7776, 31843},
                        File{"problem-21-11315-pre", 21, 11315, 36455},
                        File{"problem-39-18060-pre", 39, 18060, 63551},
                        File{"problem-16-22106-pre", 16, 22106, 83718},
                        File{"dubrovnik-3-7-pre", 3, 7, 19}}) {
    BalProblem p;
    std::string error;
    ASSERT_TRUE(ReadBalFile(root + "/bal/" + f.name + ".txt", &p, &error))
        << error;
    EXPECT_EQ(p.num_cameras, f.cameras);
    EXPECT_EQ(p.num_points, f.points);
    EXPECT_EQ(static_cast<int>(p.observations.size()), f.observations);
  }
}

}  // namespace
}  // namespace ceres_varpro

// The ceres_varpro command-line tool as a user runs it.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace {

const std::string kTool =
    std::string(CERES_VARPRO_BINARY_DIR) + "/ceres_varpro/ceres_varpro";

struct Result {
  int status;
  std::string output;
};

Result RunTool(const std::string& arguments) {
  const std::string command = kTool + " " + arguments + " 2>&1";
  Result r{0, ""};
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    r.output.append(buffer, n);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Temp(const std::string& name) {
  return ::testing::TempDir() + "/cli_" + name;
}

TEST(Cli, HelpListsCommandsAndFlags) {
  Result r = RunTool("--help");
  EXPECT_EQ(r.status, 0);
  for (const char* c : {"slam", "ba", "generate"}) {
    EXPECT_NE(r.output.find(c), std::string::npos) << r.output;
  }
  r = RunTool("slam --help");
  EXPECT_EQ(r.status, 0);
  for (const char* flag :
       {"--input", "--solver", "--model", "--init", "--num_threads",
        "--max_num_iterations", "--output", "--json", "odometry", "chordal",
        "--certify", "--max_rank"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << "\n"
                                                      << r.output;
  }
  r = RunTool("ba --help");
  for (const char* flag :
       {"--linear_solver", "--preconditioner", "--num_iterations",
        "--robustify", "--inner_iterations", "--initial_ply", "--final_ply"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(RunTool("nonsense").status, 2);
  EXPECT_EQ(RunTool("slam --input=x --bogus_flag=1").status,
            1);  // gflags' own exit.
}

TEST(Cli, SlamBothSolversWritesJsonAndOutput) {
  const std::string graph = Temp("graph.g2o"), out = Temp("out.g2o"),
                    json = Temp("s.json");
  ASSERT_EQ(RunTool("generate --kind=pose_graph_3d --poses=120 "
                    "--poses_per_ring=12 --out=" +
                    graph)
                .status,
            0);
  const Result r =
      RunTool("slam --input=" + graph + " --solver=both --output=" + out +
              " --json=" + json + " --function_tolerance=1e-10");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("iter      cost"),
            std::string::npos);  // Progress lines.
  EXPECT_NE(r.output.find("final costs agree"), std::string::npos) << r.output;
  const std::string j = Slurp(json);
  for (const char* key :
       {"\"solver\": \"varpro\"", "\"solver\": \"ceres\"", "\"final_cost\"",
        "\"iterations\"", "\"wall_time_seconds\"", "\"termination\"",
        "\"same_minimum\": true", "\"ratio\"", "COUPLED_CONSTANT_GRAM"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << "\n" << j;
  }
  const std::string written = Slurp(out);
  EXPECT_NE(written.find("VERTEX_SE3:QUAT 119 "), std::string::npos);
  EXPECT_NE(written.find("EDGE_SE3:QUAT"), std::string::npos);
}

TEST(Cli, SlamCertifyPrintsAVerdictAndWritesTheCertificate) {
  const std::string graph = Temp("certify.g2o"), json = Temp("certify.json");
  ASSERT_EQ(RunTool("generate --kind=pose_graph_2d --poses=60 "
                    "--poses_per_ring=12 --out=" +
                    graph)
                .status,
            0);
  Result r =
      RunTool("slam --input=" + graph +
              " --certify --solver=both --progress=false --json=" + json);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Verdict: certified globally optimal (λ_min = "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("start chordal"), std::string::npos) << r.output;
  const std::string j = Slurp(json);
  for (const char* key :
       {"\"certificate\"", "\"globally_optimal\": true", "\"lambda_min\"",
        "\"lower_bound\"", "\"final_rank\": 3", "\"stages\"",
        "\"solver\": \"certifiable\"", "\"solver\": \"ceres\""}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << "\n" << j;
  }
  r = RunTool("slam --input=" + graph + " --certify --solver=ceres");
  EXPECT_EQ(r.status, 2);
  r = RunTool("slam --input=" + graph + " --certify --model=full");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("isotropic"), std::string::npos) << r.output;
}

TEST(Cli, ErrorsLeaveExistingOutputsUntouched) {
  const std::string bad = Temp("bad.g2o"), out = Temp("keep.g2o"),
                    json = Temp("keep.json");
  {
    std::ofstream(bad)
        << "VERTEX_SE2 0 0 0 0\nEDGE_SE2 0 5 1 0 0 1 0 0 1 0 1\n";
    std::ofstream(out) << "keep me";
    std::ofstream(json) << "keep me too";
  }
  const Result r =
      RunTool("slam --input=" + bad + " --output=" + out + " --json=" + json);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find(bad + ":2: edge refers to vertex 5"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(Slurp(out), "keep me");
  EXPECT_EQ(Slurp(json), "keep me too");
  const Result missing =
      RunTool("ba --input=/nonexistent/problem.txt --output=" + out);
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("/nonexistent/problem.txt"), std::string::npos);
  EXPECT_EQ(Slurp(out), "keep me");
}

TEST(Cli, BundleAdjustmentModesAndPly) {
  const std::string bal = Temp("scene.txt"), ply = Temp("final.ply"),
                    json = Temp("ba.json");
  ASSERT_EQ(RunTool("generate --kind=bal --cameras=6 --points=150 --out=" + bal)
                .status,
            0);
  Result r = RunTool("ba --input=" + bal +
                     " --solver=varpro_ceres --final_ply=" + ply +
                     " --json=" + json + " --linear_solver=dense_schur");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(Slurp(json).find("\"solver\": \"varpro_ceres\""),
            std::string::npos);
  EXPECT_EQ(Slurp(ply).rfind("ply\nformat ascii 1.0\n", 0), 0u);
  r = RunTool("ba --input=" + bal +
              " --solver=both --robustify --num_iterations=50");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Huber"), std::string::npos);
  EXPECT_NE(r.output.find("SPARSE_SCHUR"), std::string::npos);
}

}  // namespace

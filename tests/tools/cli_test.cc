// The ceres_varpro command-line tool as a user runs it.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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

TEST(Cli, SolverFlagsAreTheSameForSlamAndBa) {
  const std::string graph = Temp("flags.g2o"), bal = Temp("flags.bal");
  ASSERT_EQ(
      RunTool("generate --kind=pose_graph_2d --poses=40 --output=" + graph)
          .status,
      0);
  ASSERT_EQ(
      RunTool("generate --kind=bal --cameras=3 --points=30 --output=" + bal)
          .status,
      0);
  // The generator lists the one shared flag it uses.
  EXPECT_NE(RunTool("generate --help").output.find("--output"),
            std::string::npos);
  // One name per idea: both commands take --linear_solver/--preconditioner
  // for stock Ceres and name the flag in the error.
  for (const std::string& command :
       {"slam --input=" + graph, "ba --input=" + bal}) {
    Result r = RunTool(command + " --solver=ceres --linear_solver=bogus");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("unknown --linear_solver bogus"), std::string::npos)
        << r.output;
    r = RunTool(command + " --solver=ceres --preconditioner=bogus");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("unknown --preconditioner bogus"),
              std::string::npos)
        << r.output;
    r = RunTool(command + " --solver=ceres --linear_solver=dense_qr");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("DENSE_QR"), std::string::npos) << r.output;
  }
  // slam's old names still work.
  const Result old = RunTool("slam --input=" + graph +
                             " --solver=ceres --ceres_linear_solver=dense_qr");
  EXPECT_EQ(old.status, 0) << old.output;
  EXPECT_NE(old.output.find("DENSE_QR"), std::string::npos) << old.output;
}

TEST(Cli, SlamBothSolversWritesJsonAndOutput) {
  const std::string graph = Temp("graph.g2o"), out = Temp("out.g2o"),
                    json = Temp("s.json");
  ASSERT_EQ(RunTool("generate --kind=pose_graph_3d --poses=120 "
                    "--poses_per_ring=12 --output=" +
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

// Well-formed XML as far as an SVG needs: one root <svg>, every element
// closed in order, and the number of elements of each name.
bool WellFormedSvg(const std::string& text, std::map<std::string, int>* count,
                   std::string* why) {
  std::vector<std::string> open;
  size_t i = text.find("<svg");
  if (text.rfind("<?xml", 0) != 0 || i == std::string::npos) {
    *why = "no XML declaration or <svg> root";
    return false;
  }
  bool closed_root = false;
  while ((i = text.find('<', i)) != std::string::npos) {
    const size_t end = text.find('>', i);
    if (end == std::string::npos) {
      *why = "unterminated tag";
      return false;
    }
    const std::string tag = text.substr(i + 1, end - i - 1);
    i = end + 1;
    if (closed_root) {
      *why = "content after </svg>";
      return false;
    }
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) {
        *why = "mismatched </" + tag.substr(1) + ">";
        return false;
      }
      open.pop_back();
      closed_root = open.empty();
      continue;
    }
    const std::string name = tag.substr(0, tag.find_first_of(" /"));
    ++(*count)[name];
    if (tag.back() != '/') open.push_back(name);
  }
  if (!closed_root) *why = "root not closed";
  return closed_root;
}

TEST(Cli, SlamAndBaPlotsAreWellFormedSvg) {
  const std::string snl = Temp("snl.pyfg"), svg = Temp("snl.svg");
  Result r = RunTool(
      "generate --kind=snl --nodes=120 --anchors=5 --seed=3 "
      "--output=" +
      snl);
  ASSERT_EQ(r.status, 0) << r.output;
  r = RunTool("slam --input=" + snl + " --solver=both --plot=" + svg +
              " --plot_ranges --report=none --progress=false");
  ASSERT_EQ(r.status, 0) << r.output;
  std::map<std::string, int> count;
  std::string why;
  ASSERT_TRUE(WellFormedSvg(Slurp(svg), &count, &why)) << why;
  EXPECT_EQ(count["svg"], 1);
  EXPECT_EQ(count["circle"], 240);  // Each node before and after.
  EXPECT_EQ(count["polyline"], 0);
  EXPECT_EQ(count["path"], 1);  // The ranges.
  EXPECT_EQ(count["text"], 3);

  const std::string graph = Temp("plot.g2o"), svg2 = Temp("graph.svg");
  ASSERT_EQ(RunTool("generate --kind=pose_graph_2d --poses=60 "
                    "--poses_per_ring=12 --output=" +
                    graph)
                .status,
            0);
  r = RunTool("slam --input=" + graph + " --plot=" + svg2 +
              " --report=none --progress=false");
  ASSERT_EQ(r.status, 0) << r.output;
  count.clear();
  ASSERT_TRUE(WellFormedSvg(Slurp(svg2), &count, &why)) << why;
  EXPECT_EQ(count["polyline"], 2);  // Initial and optimised trajectory.
  EXPECT_EQ(count["path"], 1);      // The loop closures.
  EXPECT_EQ(count["circle"], 0);

  const std::string bal = Temp("plot_bal.txt"), svg3 = Temp("ba.svg");
  ASSERT_EQ(
      RunTool("generate --kind=bal --cameras=5 --points=100 --output=" + bal)
          .status,
      0);
  r = RunTool("ba --input=" + bal + " --solver=varpro --plot=" + svg3 +
              " --report=none --progress=false");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string text = Slurp(svg3);
  count.clear();
  ASSERT_TRUE(WellFormedSvg(text, &count, &why)) << why;
  int drawn = 0, total = 0;
  const size_t at = text.find("camera centres; black: ");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(std::sscanf(text.c_str() + at, "camera centres; black: %d of %d",
                        &drawn, &total),
            2);
  EXPECT_EQ(total, 100);
  EXPECT_GE(drawn, 90);
  EXPECT_EQ(count["circle"], 5 + drawn);
  EXPECT_EQ(count["text"], 2);
}

TEST(Cli, BundleAdjustmentModesAndPly) {
  const std::string bal = Temp("scene.txt"), ply = Temp("final.ply"),
                    json = Temp("ba.json");
  ASSERT_EQ(
      RunTool("generate --kind=bal --cameras=6 --points=150 --output=" + bal)
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

namespace {

// Stopped by a limit, two solvers end at different costs: the comparison
// says who ended lower and why, not "different local minima".
TEST(Cli, ComparisonSaysWhatHappened) {
  const std::string scene = Temp("verdict_scene.txt");
  const std::string json = Temp("verdict.json");
  ASSERT_EQ(
      RunTool("generate --kind=bal --cameras=4 --points=60 --output=" + scene)
          .status,
      0);
  Result r = RunTool("ba --input=" + scene +
                     " --solver=both --max_num_iterations=1 --report=none "
                     "--progress=false --json=" +
                     json);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("stopped by"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("iteration limit"), std::string::npos) << r.output;
  const std::string j = Slurp(json);
  EXPECT_NE(j.find("\"different_local_minima\": false"), std::string::npos)
      << j;
  EXPECT_NE(j.find("\"verdict\""), std::string::npos) << j;
  if (j.find("\"same_minimum\": false") != std::string::npos) {
    EXPECT_NE(r.output.find("ended lowest"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("may differ only because one stopped earlier"),
              std::string::npos)
        << r.output;
  }
}

}  // namespace

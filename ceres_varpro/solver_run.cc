#include "solver_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "common_flags.h"
#include "io/atomic_file_writer.h"

namespace ceres_varpro::tools {

int Iterations(const ceres::Solver::Summary& summary) {
  return summary.iterations.empty() ? 0 : summary.iterations.back().iteration;
}

int Iterations(const SolverRun& run) {
  return run.iterations >= 0 ? run.iterations : Iterations(run.summary);
}

std::string CeresConfiguration(const ceres::Solver::Options& options) {
  std::string name =
      ceres::LinearSolverTypeToString(options.linear_solver_type);
  if (options.linear_solver_type == ceres::ITERATIVE_SCHUR ||
      options.linear_solver_type == ceres::CGNR) {
    name += std::string("+") +
            ceres::PreconditionerTypeToString(options.preconditioner_type);
  }
  return name;
}

void PrintRunHeader(const SolverRun& run) {
  std::cout << "\n=== " << run.solver << " (" << run.configuration << ") ===\n";
  std::cout.flush();
}

void PrintRunReport(const SolverRun& run) {
  // Stock Ceres runs get Ceres's own reports, VarPro runs add their section.
  const ceres::Solver::Summary& ceres_summary = run.summary;
  if (ReportKind() == "full") {
    std::cout << (run.is_varpro ? run.summary.FullReport()
                                : ceres_summary.FullReport())
              << "\n";
  } else if (ReportKind() == "brief") {
    std::cout << (run.is_varpro ? run.summary.BriefReport()
                                : ceres_summary.BriefReport())
              << "\n";
    std::printf("Wall time: %.3f s\n", run.wall_time_seconds);
  }
  std::cout.flush();
}

void WriteRunJson(const SolverRun& run, JsonWriter* json) {
  const Solver::Summary& s = run.summary;
  json->BeginObject()
      .String("solver", run.solver)
      .String("configuration", run.configuration)
      .Number("initial_cost", s.initial_cost)
      .Number("final_cost", s.final_cost)
      .Int("iterations", Iterations(run))
      .Int("successful_steps", s.num_successful_steps)
      .Int("unsuccessful_steps", s.num_unsuccessful_steps)
      .Number("wall_time_seconds", run.wall_time_seconds)
      .Number("solver_time_seconds", s.total_time_in_seconds)
      .String("termination", ceres::TerminationTypeToString(s.termination_type))
      .String("message", s.message)
      .Bool("solution_usable", s.IsSolutionUsable())
      .Int("num_threads", s.num_threads_used);
  json->BeginArray("trace");
  for (const auto& it : s.iterations) {
    json->BeginObject()
        .Int("iteration", it.iteration)
        .Number("cost", it.cost)
        .Number("cumulative_time_seconds", it.cumulative_time_in_seconds)
        .Bool("successful", it.step_is_successful)
        .Int("linear_solver_iterations", it.linear_solver_iterations)
        .EndObject();
  }
  json->EndArray();
  if (run.is_varpro) {
    const VarProStatistics& v = s.varpro;
    json->BeginObject("varpro")
        .String("regime", EliminationRegimeToString(v.regime))
        .String("linear_solver",
                ReducedLinearSolverTypeToString(v.linear_solver_used))
        .String("preconditioner",
                ReducedPreconditionerTypeToString(v.preconditioner_used))
        .Int("eliminated_blocks", v.num_eliminated_blocks)
        .Int("eliminated_parameters", v.num_eliminated_parameters)
        .Int("components", v.num_components)
        .Int("gauge_pins", v.num_gauge_pins)
        .Int("gram_factorizations", v.num_gram_factorizations)
        .Int("preconditioner_factorizations",
             v.num_preconditioner_factorizations)
        .Int("cg_iterations", v.num_cg_iterations)
        .Int("inner_iterations", v.num_inner_iterations)
        .Int("degenerate_blocks", v.num_degenerate_blocks)
        .Int("safeguard_rejections", v.num_safeguard_rejections)
        .Number("analysis_seconds", v.analysis_time_in_seconds)
        .Number("factorization_seconds", v.factorization_time_in_seconds)
        .Number("evaluation_seconds", v.evaluation_time_in_seconds)
        .Number("elimination_seconds", v.elimination_time_in_seconds)
        .Number("linear_solver_seconds", v.linear_solver_time_in_seconds)
        .EndObject();
  }
  json->EndObject();
}

namespace {

// Equal to 1e-6 relative, or both negligible next to the starting cost (a
// problem fitted exactly: 1e-15 against 1e-25 is not a different minimum).
// The floor is also capped in absolute terms: from a very bad start 1e-12 of
// the initial cost can be a large number.
bool SameMinimum(double a, double b, double initial) {
  const double floor = std::min(1e-12 * std::abs(initial), 1e-9);
  if (std::max(std::abs(a), std::abs(b)) <= floor) return true;
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
}

// Stopped because the gradient or the step vanished: at a minimum, not
// merely where the cost stopped decreasing fast enough.
bool StoppedAtStationaryPoint(const SolverRun& run) {
  const std::string& m = run.summary.message;
  return run.summary.termination_type == ceres::CONVERGENCE &&
         (m.rfind("Gradient tolerance", 0) == 0 ||
          m.rfind("Parameter tolerance", 0) == 0);
}

// The test that ended a solve, in a few words.
std::string StopReason(const std::string& message) {
  static const std::pair<const char*, const char*> kReasons[] = {
      {"Function tolerance", "function tolerance"},
      {"Gradient tolerance", "gradient tolerance"},
      {"Parameter tolerance", "parameter tolerance"},
      {"Maximum number of iterations", "iteration limit"},
      {"Maximum solver time", "time limit"},
      {"Minimum trust region radius", "trust region radius"},
  };
  for (const auto& [prefix, reason] : kReasons) {
    if (message.rfind(prefix, 0) == 0) return reason;
  }
  return message.substr(0, 24);
}

struct Verdict {
  bool same = true;
  // Both stopped at stationary points with different costs.
  bool different_minima = false;
  int lowest = 0;  // Index of the run with the lowest final cost.
  std::string text;
};

Verdict Compare(const std::vector<SolverRun>& runs) {
  Verdict v;
  const SolverRun& first = runs[0];
  bool all_stationary = true;
  for (size_t i = 0; i < runs.size(); ++i) {
    v.same = v.same &&
             SameMinimum(first.summary.final_cost, runs[i].summary.final_cost,
                         first.summary.initial_cost);
    all_stationary = all_stationary && StoppedAtStationaryPoint(runs[i]);
    if (runs[i].summary.final_cost < runs[v.lowest].summary.final_cost) {
      v.lowest = static_cast<int>(i);
    }
  }
  if (v.same) {
    v.text = "final costs agree to 1e-6 relative";
    return v;
  }
  v.different_minima = all_stationary;
  const SolverRun& low = runs[v.lowest];
  double highest = low.summary.final_cost;
  for (const SolverRun& r : runs) {
    highest = std::max(highest, r.summary.final_cost);
  }
  char buffer[256];
  std::snprintf(
      buffer, sizeof(buffer),
      "%s ended lowest, %.3g relative below the highest final cost",
      low.solver.c_str(),
      (highest - low.summary.final_cost) / std::max(std::abs(highest), 1e-300));
  v.text = buffer;
  v.text += v.different_minima
                ? "; every solver stopped at a stationary point (gradient or "
                  "parameter tolerance): different local minima"
                : "; not every solver stopped at a stationary point (see the "
                  "terminations): the costs may differ only because one "
                  "stopped earlier";
  return v;
}

}  // namespace

std::string SideBySideTable(const std::vector<SolverRun>& runs) {
  std::string out;
  char line[256];
  auto row = [&](const char* name, auto value) {
    std::snprintf(line, sizeof(line), "%-22s", name);
    out += line;
    for (const SolverRun& r : runs) {
      out += value(r);
    }
    out += "\n";
  };
  auto cell = [](const std::string& s) {
    char b[64];
    std::snprintf(b, sizeof(b), " %24s", s.c_str());
    return std::string(b);
  };
  auto num = [&](const char* fmt, double v) {
    char b[64];
    std::snprintf(b, sizeof(b), fmt, v);
    return cell(b);
  };
  row("", [&](const SolverRun& r) { return cell(r.solver); });
  row("configuration",
      [&](const SolverRun& r) { return cell(r.configuration); });
  row("initial cost",
      [&](const SolverRun& r) { return num("%.10e", r.summary.initial_cost); });
  row("final cost",
      [&](const SolverRun& r) { return num("%.10e", r.summary.final_cost); });
  row("iterations",
      [&](const SolverRun& r) { return num("%.0f", Iterations(r)); });
  row("wall time (s)",
      [&](const SolverRun& r) { return num("%.3f", r.wall_time_seconds); });
  row("termination", [&](const SolverRun& r) {
    return cell(ceres::TerminationTypeToString(r.summary.termination_type));
  });
  if (runs.size() > 1) {
    row("time / first", [&](const SolverRun& r) {
      return num("%.2f", r.wall_time_seconds / runs[0].wall_time_seconds);
    });
    row("stopped by", [&](const SolverRun& r) {
      return cell(StopReason(r.summary.message));
    });
    out += Compare(runs).text + "\n";
  }
  return out;
}

void WriteComparisonJson(const std::vector<SolverRun>& runs, JsonWriter* json) {
  if (runs.size() < 2) return;
  const SolverRun& first = runs[0];
  json->BeginObject("comparison");
  const Verdict verdict = Compare(runs);
  json->Bool("same_minimum", verdict.same)
      .Bool("different_local_minima", verdict.different_minima)
      .Number("best_final_cost", runs[verdict.lowest].summary.final_cost)
      .String("lowest", runs[verdict.lowest].solver)
      .String("verdict", verdict.text);
  json->BeginArray("time_ratio_vs_first");
  for (const SolverRun& r : runs) {
    json->BeginObject()
        .String("solver", r.solver)
        .String("configuration", r.configuration)
        .Number("ratio", r.wall_time_seconds / first.wall_time_seconds)
        .Number("final_cost", r.summary.final_cost)
        .EndObject();
  }
  json->EndArray();
  json->EndObject();
}

}  // namespace ceres_varpro::tools

namespace ceres_varpro::tools {

void TimedRun(SolverRun* run,
              const std::function<void(Solver::Summary*)>& solve) {
  PrintRunHeader(*run);
  const auto start = std::chrono::steady_clock::now();
  solve(&run->summary);
  run->wall_time_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  PrintRunReport(*run);
}

int FinishRuns(const std::string& command, const std::vector<SolverRun>& runs,
               const std::vector<RunnerOutput>& outputs,
               const std::function<void(JsonWriter*)>& describe_problem) {
  if (runs.size() > 1) std::cout << "\n" << SideBySideTable(runs);
  int status = 0;
  for (const SolverRun& r : runs) {
    if (!r.summary.IsSolutionUsable()) status = 1;
  }
  std::string error;
  const bool usable = !runs.empty() && runs[0].summary.IsSolutionUsable();
  for (const RunnerOutput& output : outputs) {
    if (output.path.empty()) continue;
    if (!usable) {
      std::cerr << "ceres_varpro " << command << ": the solve failed; "
                << output.path << " was not written\n";
      status = 1;
    } else if (!output.write(output.path, &error)) {
      std::cerr << "ceres_varpro " << command << ": " << error << "\n";
      status = 1;
    } else {
      std::cout << "Wrote " << output.path << "\n";
    }
  }
  if (!JsonPath().empty()) {
    JsonWriter json;
    json.BeginObject().String("command", command);
    describe_problem(&json);
    json.BeginArray("runs");
    for (const SolverRun& r : runs) WriteRunJson(r, &json);
    json.EndArray();
    WriteComparisonJson(runs, &json);
    json.EndObject();
    if (!WriteFileAtomically(JsonPath(), json.str(), &error)) {
      std::cerr << "ceres_varpro " << command << ": " << error << "\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace ceres_varpro::tools

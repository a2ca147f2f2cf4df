#!/usr/bin/env python3
"""Benchmarks ceres_varpro against stock Ceres on the same problems.

Every (dataset, solver configuration, repetition) is one run of the
ceres_varpro command-line tool in its own process (so that peak memory is
that solver's alone), from the same start with the same tolerances. Results:

  bench/results/runs.csv          one row per run
  bench/RESULTS.md                medians, ratios against the best stock
                                  Ceres configuration, machine and date
  bench/results/plots/<name>.png  cost - best cost against wall time

Regression mode (--regress) solves the small datasets with VarPro only, one
thread (deterministic), and compares final cost and iteration count with
bench/baseline.json; it exits non-zero on a regression. Wall time is not
compared: the machines are shared and noisy.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The public datasets beside the checkout; --shared points elsewhere.
SHARED_DIR = [os.path.normpath(os.path.join(ROOT, "..", "shared", "datasets"))]
GENERATED = os.path.join(ROOT, "datasets", "generated")

# name -> (family, path relative to the shared datasets, or a generator spec)
DATASETS = {
    # 3D pose graphs
    "tinyGrid3D": ("pose3d", "pose_graph_3d/tinyGrid3D.g2o"),
    "smallGrid3D": ("pose3d", "pose_graph_3d/smallGrid3D.g2o"),
    "parking-garage": ("pose3d", "pose_graph_3d/parking-garage.g2o"),
    "sphere2500": ("pose3d", "pose_graph_3d/sphere2500.g2o"),
    "sphere_bignoise_vertex3": ("pose3d", "pose_graph_3d/sphere_bignoise_vertex3.g2o"),
    "torus3D": ("pose3d", "pose_graph_3d/torus3D.g2o"),
    "cubicle": ("pose3d", "pose_graph_3d/cubicle.g2o"),
    # 2D pose graphs
    "intel": ("pose2d", "pose_graph_2d/intel.g2o"),
    "MIT": ("pose2d", "pose_graph_2d/MIT.g2o"),
    "CSAIL": ("pose2d", "pose_graph_2d/CSAIL.g2o"),
    "manhattan": ("pose2d", "pose_graph_2d/manhattan.g2o"),
    "city10000": ("pose2d", "pose_graph_2d/city10000.g2o"),
    "ais2klinik": ("pose2d", "pose_graph_2d/ais2klinik.g2o"),
    "kitti_00": ("pose2d", "pose_graph_2d/kitti_00.g2o"),
    "kitti_02": ("pose2d", "pose_graph_2d/kitti_02.g2o"),
    "kitti_05": ("pose2d", "pose_graph_2d/kitti_05.g2o"),
    "w100": ("pose2d", "pose_graph_2d/w100.graph"),
    "w20000": ("pose2d", "pose_graph_2d/w20000.txt"),
    # range-aided SLAM
    "small_ra_slam_problem": ("ra", "ra_slam/small_ra_slam_problem.pyfg"),
    "plaza1": ("ra", "ra_slam/plaza1.pyfg"),
    "plaza2": ("ra", "ra_slam/plaza2.pyfg"),
    "tiers": ("ra", "ra_slam/tiers.pyfg"),
    "single_drone": ("ra", "ra_slam/single_drone.pyfg"),
    "mrclam3b": ("ra", "ra_slam/mrclam3b.pyfg"),
    "mrclam5a": ("ra", "ra_slam/mrclam5a.pyfg"),
    "mrclam6": ("ra", "ra_slam/mrclam6.pyfg"),
    # bundle adjustment
    "dubrovnik-3-7": ("bal", "bal/dubrovnik-3-7-pre.txt"),
    "ba-49-7776": ("bal", "bal/problem-49-7776-pre.txt"),
    "ba-21-11315": ("bal", "bal/problem-21-11315-pre.txt"),
    "ba-39-18060": ("bal", "bal/problem-39-18060-pre.txt"),
    "ba-16-22106": ("bal", "bal/problem-16-22106-pre.txt"),
    # the project's own, always available
    "synthetic_sphere": ("pose3d", ("generate", ["--kind=pose_graph_3d", "--poses=2500"],
                                    "synthetic_sphere.g2o")),
    "synthetic_sphere_small": ("pose3d", ("generate", ["--kind=pose_graph_3d", "--poses=300",
                                                       "--poses_per_ring=30"],
                                          "synthetic_sphere_small.g2o")),
    "synthetic_ba": ("bal", ("generate", ["--kind=bal", "--cameras=20", "--points=2000"],
                             "synthetic_ba.txt")),
    "synthetic_ba_small": ("bal", ("generate", ["--kind=bal", "--cameras=8", "--points=300"],
                                   "synthetic_ba_small.txt")),
}

GROUPS = {
    "pose3d": [n for n, (f, _) in DATASETS.items() if f == "pose3d"],
    "pose2d": [n for n, (f, _) in DATASETS.items() if f == "pose2d"],
    "ra": [n for n, (f, _) in DATASETS.items() if f == "ra"],
    "bal": [n for n, (f, _) in DATASETS.items() if f == "bal"],
    # Small and fast: the regression set.
    "small": ["synthetic_sphere_small", "synthetic_ba_small", "tinyGrid3D", "smallGrid3D",
              "intel", "small_ra_slam_problem", "dubrovnik-3-7", "mrclam5a"],
}
GROUPS["all"] = list(DATASETS)

# Solver configurations per family: (label, command-line flags).
SLAM_CONFIGS = [
    ("varpro", ["--solver=varpro"]),
    ("ceres SPARSE_NORMAL_CHOLESKY", ["--solver=ceres",
                                      "--ceres_linear_solver=sparse_normal_cholesky"]),
    ("ceres CGNR+JACOBI", ["--solver=ceres", "--ceres_linear_solver=cgnr",
                           "--ceres_preconditioner=jacobi"]),
]
BAL_CONFIGS = [
    ("varpro", ["--solver=varpro"]),
    ("ceres SPARSE_SCHUR", ["--solver=ceres", "--linear_solver=sparse_schur"]),
    ("ceres SPARSE_SCHUR+inner", ["--solver=ceres", "--linear_solver=sparse_schur",
                                  "--inner_iterations"]),
    ("ceres ITERATIVE_SCHUR+SCHUR_JACOBI", ["--solver=ceres", "--linear_solver=iterative_schur",
                                            "--preconditioner=schur_jacobi"]),
    ("ceres ITERATIVE_SCHUR+SCHUR_JACOBI+inner", ["--solver=ceres",
                                                  "--linear_solver=iterative_schur",
                                                  "--preconditioner=schur_jacobi",
                                                  "--inner_iterations"]),
]


def dataset_path(name, tool):
    family, where = DATASETS[name]
    if isinstance(where, tuple):
        _, flags, filename = where
        os.makedirs(GENERATED, exist_ok=True)
        path = os.path.join(GENERATED, filename)
        if not os.path.exists(path):
            subprocess.run([tool, "generate", "--out=" + path] + flags, check=True,
                           stdout=subprocess.DEVNULL)
        return path
    path = os.path.join(SHARED_DIR[0], where)
    return path if os.path.exists(path) else None


def run_once(tool, name, family, config_flags, args, threads):
    """Runs one solve; returns the parsed JSON run plus peak memory."""
    path = dataset_path(name, tool)
    command = "ba" if family == "bal" else "slam"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        json_path = f.name
    argv = [tool, command, "--input=" + path, "--json=" + json_path, "--progress=false",
            "--report=none", "--num_threads=%d" % threads,
            "--max_num_iterations=%d" % args.max_iterations,
            "--function_tolerance=%g" % args.function_tolerance,
            "--gradient_tolerance=%g" % args.gradient_tolerance,
            "--parameter_tolerance=%g" % args.parameter_tolerance,
            "--max_solver_time=%g" % args.max_seconds] + config_flags
    # stderr goes to a file, not a pipe: a chatty run must not fill the pipe
    # and block while we wait for it.
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except KeyboardInterrupt:
            process.kill()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")[-4000:]
    try:
        with open(json_path) as f:
            result = json.load(f)
    except (OSError, ValueError):
        result = None
    finally:
        if os.path.exists(json_path):
            os.unlink(json_path)
    if result is None or not result.get("runs"):
        print("  FAILED (exit %d): %s" % (process.returncode, stderr.strip()),
              file=sys.stderr)
        return None
    run = result["runs"][0]
    run["peak_rss_mb"] = usage.ru_maxrss / 1024.0
    return run


def reached(cost, target, floor):
    """Within 1e-6 relative of target, or within floor (costs near zero)."""
    return cost <= target + max(abs(target) * 1e-6, floor)


def time_to_target(run, target, floor):
    for point in run["trace"]:
        if reached(point["cost"], target, floor):
            return point["cumulative_time_seconds"]
    return None


def breakdown(run):
    v = run.get("varpro")
    if not v:
        return {}
    parts = {
        "analysis": v["analysis_seconds"],
        "factorization": v["factorization_seconds"],
        "evaluation": v["evaluation_seconds"],
        "elimination": v["elimination_seconds"],
        "linear_solver": v["linear_solver_seconds"],
    }
    parts["other"] = max(0.0, run["solver_time_seconds"] - sum(parts.values()))
    return parts


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def load_raw(path):
    """Rows saved by an earlier (possibly interrupted) run, one JSON per line."""
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
    return rows


SETTINGS = ("reps", "threads", "max_iterations", "max_seconds", "function_tolerance",
            "gradient_tolerance", "parameter_tolerance")


def run_benchmarks(args, tool, names):
    # Every finished run is appended to runs.jsonl at once, so an interrupted
    # benchmark keeps what it measured (--resume continues it, --report-only
    # rebuilds the reports from it).
    raw_path = os.path.join(args.results, "runs.jsonl")
    os.makedirs(args.results, exist_ok=True)
    rows = load_raw(raw_path) if args.resume else []
    done = {(r["dataset"], r["solver"], r["repetition"]) for r in rows}
    if not args.resume:
        open(raw_path, "w").close()
        # The settings, so that --report-only describes the run it reports.
        with open(os.path.join(args.results, "settings.json"), "w") as f:
            json.dump({k: getattr(args, k) for k in SETTINGS} |
                      {"date": datetime.date.today().isoformat(),
                       "machine": machine_description()}, f, indent=2)
    for name in names:
        family = DATASETS[name][0]
        if dataset_path(name, tool) is None:
            print("skip %s (not present)" % name)
            continue
        configs = BAL_CONFIGS if family == "bal" else SLAM_CONFIGS
        if args.varpro_only:
            configs = configs[:1]
        for label, flags in configs:
            for rep in range(args.reps):
                if (name, label, rep + 1) in done:
                    continue
                print("%-26s %-42s rep %d" % (name, label, rep + 1), flush=True)
                run = run_once(tool, name, family, flags, args, args.threads)
                if run is None:
                    continue
                row = {"dataset": name, "family": family, "solver": label,
                       "repetition": rep + 1, "run": run}
                rows.append(row)
                with open(raw_path, "a") as f:
                    f.write(json.dumps(row) + "\n")
    return with_targets(rows)


def with_targets(rows):
    """Per dataset: the best final cost any solver reached and each run's time
    to it; an absolute floor (1e-12 of the largest initial cost) keeps the
    relative test meaningful when the optimum is ~0 (noise-free problems)."""
    best, floor = {}, {}
    for r in rows:
        run = r["run"]
        floor[r["dataset"]] = max(floor.get(r["dataset"], 0.0),
                                  abs(run["initial_cost"] or 0.0) * 1e-12)
        c = run["final_cost"]
        if run["solution_usable"] and c is not None:
            best[r["dataset"]] = min(best.get(r["dataset"], float("inf")), c)
    for r in rows:
        r["best_cost"] = best.get(r["dataset"])
        r["floor"] = floor[r["dataset"]]
        r["time_to_target"] = (time_to_target(r["run"], r["best_cost"], r["floor"])
                               if r["best_cost"] is not None else None)
    return rows


def write_csv(rows, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fields = ["dataset", "family", "solver", "repetition", "initial_cost", "final_cost",
              "iterations", "wall_time_seconds", "time_to_target_seconds", "peak_rss_mb",
              "termination", "analysis_s", "factorization_s", "evaluation_s", "elimination_s",
              "linear_solver_s", "other_s"]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for r in rows:
            run = r["run"]
            b = breakdown(run)
            writer.writerow([r["dataset"], r["family"], r["solver"], r["repetition"],
                             run["initial_cost"], run["final_cost"], run["iterations"],
                             "%.4f" % run["wall_time_seconds"],
                             "" if r["time_to_target"] is None else "%.4f" % r["time_to_target"],
                             "%.1f" % run["peak_rss_mb"], run["termination"]] +
                            ["%.4f" % b[k] if b else "" for k in
                             ("analysis", "factorization", "evaluation", "elimination",
                              "linear_solver", "other")])


def summarize(rows):
    """Per dataset and solver: medians; per dataset: ratio against best Ceres."""
    table = {}
    for r in rows:
        table.setdefault(r["dataset"], {}).setdefault(r["solver"], []).append(r)
    summary = []
    for dataset, solvers in table.items():
        entry = {"dataset": dataset, "family": next(iter(solvers.values()))[0]["family"],
                 "best_cost": next(iter(solvers.values()))[0]["best_cost"], "solvers": {}}
        for solver, runs in solvers.items():
            entry["solvers"][solver] = {
                "final_cost": median([x["run"]["final_cost"] for x in runs]),
                "iterations": median([x["run"]["iterations"] for x in runs]),
                "wall": median([x["run"]["wall_time_seconds"] for x in runs]),
                "ttt": median([x["time_to_target"] for x in runs])
                if all(x["time_to_target"] is not None for x in runs) else None,
                "rss": median([x["run"]["peak_rss_mb"] for x in runs]),
                "breakdown": breakdown(runs[0]["run"]),
            }
        # Ratio at equal final cost: the target is the lowest final cost of any
        # stock Ceres configuration; the best Ceres configuration is the one
        # that reaches it first. Defined only when VarPro reaches it too (when
        # VarPro ends higher, it is a different local minimum or a stall, and
        # the table says so instead of a ratio).
        v = entry["solvers"].get("varpro")
        ceres = {k: s for k, s in entry["solvers"].items() if k.startswith("ceres")}
        entry["best_ceres"], entry["ratio"], entry["verdict"] = None, None, ""
        if v and ceres:
            floor = next(iter(solvers.values()))[0]["floor"]
            target = min(s["final_cost"] for s in ceres.values())
            times = {}
            for k, runs in solvers.items():
                t = [time_to_target(x["run"], target, floor) for x in runs]
                if all(x is not None for x in t):
                    times[k] = median(t)
            reached_ceres = {k: t for k, t in times.items() if k.startswith("ceres")}
            entry["best_ceres"] = (min(reached_ceres, key=reached_ceres.get)
                                   if reached_ceres else None)
            # No best_ceres only when a trace lacks its final point: no verdict.
            if entry["best_ceres"] and "varpro" in times:
                entry["ratio"] = reached_ceres[entry["best_ceres"]] / max(times["varpro"], 1e-9)
                entry["verdict"] = ("lower" if not reached(target, v["final_cost"], floor)
                                    else "equal")
            elif entry["best_ceres"]:
                entry["verdict"] = "higher"
            entry["memory_ratio"] = v["rss"] / min(s["rss"] for s in ceres.values())
        summary.append(entry)
    return summary


def machine_description():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s" % (cpu, os.cpu_count() or 0, platform.platform())


def write_markdown(summary, args, path):
    lines = ["# Benchmark results", "",
             "Generated by `scripts/run_benchmarks.sh` (bench/run_benchmarks.py); runs of %s." %
             getattr(args, "date", datetime.date.today().isoformat()), "",
             "Machine: %s. Threads per solve: %d. Repetitions: %d (medians shown)." %
             (getattr(args, "machine", machine_description()), args.threads, args.reps), "",
             "Same problem, same start, same tolerances for every solver "
             "(function %g, gradient %g, parameter %g, at most %d iterations and %g s). "
             "*Time to target* is the wall time until the cost is within 1e-6 (relative) of the "
             "best final cost any solver reached on that dataset. *Ratio* is taken at equal "
             "final cost: the target is the lowest final cost of the stock Ceres "
             "configurations, the best Ceres configuration is the one that reaches it first, "
             "and the ratio divides its time by VarPro's time to the same cost (higher is "
             "better for VarPro). When VarPro ends above that cost (a different local minimum "
             "or a stall within the limits) there is no ratio and the row says *VarPro "
             "higher*; *VarPro lower* marks datasets where VarPro ended below every Ceres "
             "configuration. *Memory* is VarPro's peak RSS over the smallest of the Ceres "
             "configurations'." %
             (args.function_tolerance, args.gradient_tolerance, args.parameter_tolerance,
              args.max_iterations, args.max_seconds), ""]
    for family, title in (("pose3d", "3D pose graphs"), ("pose2d", "2D pose graphs"),
                          ("ra", "Range-aided SLAM"), ("bal", "Bundle adjustment (BAL)")):
        entries = [e for e in summary if e["family"] == family]
        if not entries:
            continue
        lines += ["## " + title, "",
                  "| dataset | solver | final cost | iterations | wall (s) | time to target (s) "
                  "| peak MB | ratio | memory |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for e in entries:
            for solver, s in e["solvers"].items():
                ratio = memory = ""
                if solver == "varpro":
                    if e["ratio"]:
                        ratio = "%.2f×" % e["ratio"]
                    if e["verdict"] == "lower":
                        ratio += " (VarPro lower)"
                    elif e["verdict"] == "higher":
                        ratio = "— (VarPro higher)"
                    if e.get("memory_ratio"):
                        memory = "%.2f×" % e["memory_ratio"]
                best = " (best Ceres)" if solver == e["best_ceres"] else ""
                lines.append("| %s | %s%s | %.10g | %d | %.3f | %s | %.0f | %s | %s |" % (
                    e["dataset"], solver, best, s["final_cost"], s["iterations"], s["wall"],
                    "—" if s["ttt"] is None else "%.3f" % s["ttt"], s["rss"], ratio, memory))
        ratios = [e["ratio"] for e in entries if e["ratio"]]
        higher = [e["dataset"] for e in entries if e["verdict"] == "higher"]
        lower = [e["dataset"] for e in entries if e["verdict"] == "lower"]
        lines.append("")
        if ratios:
            lines.append("Ratio over the %d datasets where VarPro reaches the best Ceres cost: "
                         "median %.2f×, best %.2f×, worst %.2f×." %
                         (len(ratios), statistics.median(ratios), max(ratios), min(ratios)))
        if lower:
            lines.append("VarPro ended lower than every Ceres configuration on: %s." %
                         ", ".join(lower))
        if higher:
            lines.append("VarPro ended higher than the best Ceres configuration on: %s." %
                         ", ".join(higher))
        memories = [e["memory_ratio"] for e in entries if e.get("memory_ratio")]
        if memories:
            lines.append("Peak memory VarPro / leanest Ceres: median %.2f×, max %.2f×." %
                         (statistics.median(memories), max(memories)))
        lines.append("")
    lines += ["## VarPro time breakdown (first repetition, seconds)", "",
              "| dataset | analysis | factorization | evaluation | elimination | linear solver | other |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for e in summary:
        b = e["solvers"].get("varpro", {}).get("breakdown")
        if b:
            lines.append("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |" % (
                e["dataset"], b["analysis"], b["factorization"], b["evaluation"],
                b["elimination"], b["linear_solver"], b["other"]))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(rows, directory):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plots (apt-get install python3-matplotlib)")
        return
    os.makedirs(directory, exist_ok=True)
    by_dataset = {}
    for r in rows:
        if r["repetition"] == 1:
            by_dataset.setdefault(r["dataset"], []).append(r)
    for dataset, runs in by_dataset.items():
        best = runs[0]["best_cost"]
        if best is None:
            continue
        fig, ax = plt.subplots(figsize=(7, 4.5))
        floor = max(abs(best) * 1e-12, 1e-300)
        for r in runs:
            times = [p["cumulative_time_seconds"] for p in r["run"]["trace"]
                     if p["successful"] or p["iteration"] == 0]
            costs = [max(p["cost"] - best, floor) for p in r["run"]["trace"]
                     if p["successful"] or p["iteration"] == 0]
            ax.plot(times, costs, marker=".", label=r["solver"],
                    linewidth=2.2 if r["solver"] == "varpro" else 1.2)
        ax.axhline(max(abs(best) * 1e-6, floor), color="gray", linestyle=":", linewidth=1,
                   label="1e-6 of best cost")
        ax.set_yscale("log")
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("cost − best final cost")
        ax.set_title("%s (best cost %.6g)" % (dataset, best))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(directory, dataset + ".png"), dpi=110)
        plt.close(fig)


def regress(args, tool):
    with open(args.baseline) as f:
        baseline = json.load(f)
    failures = []
    compared = 0
    for name, expected in sorted(baseline["datasets"].items()):
        if name not in DATASETS or dataset_path(name, tool) is None:
            print("skip %s (not present)" % name)
            continue
        family = DATASETS[name][0]
        run = run_once(tool, name, family, ["--solver=varpro"], args, threads=1)
        compared += 1
        if run is None:
            failures.append("%s: the solve failed" % name)
            continue
        cost_ok = run["final_cost"] <= expected["final_cost"] * (1 + args.cost_tolerance) + 1e-12
        iterations_allowed = int(expected["iterations"] * (1 + args.iteration_tolerance)) + 1
        iterations_ok = run["iterations"] <= iterations_allowed
        print("%-24s cost %.12g (baseline %.12g) %s, iterations %d (baseline %d, allowed %d) %s" %
              (name, run["final_cost"], expected["final_cost"], "ok" if cost_ok else "REGRESSED",
               run["iterations"], expected["iterations"], iterations_allowed,
               "ok" if iterations_ok else "REGRESSED"))
        if not cost_ok:
            failures.append("%s: final cost %.12g > baseline %.12g (tolerance %g relative)" %
                            (name, run["final_cost"], expected["final_cost"], args.cost_tolerance))
        if not iterations_ok:
            failures.append("%s: %d iterations > %d allowed (baseline %d)" %
                            (name, run["iterations"], iterations_allowed, expected["iterations"]))
    if compared == 0:
        print("regression: no dataset to compare", file=sys.stderr)
        return 1
    for failure in failures:
        print("REGRESSION: " + failure, file=sys.stderr)
    print("regression check: %d datasets, %d regressions" % (compared, len(failures)))
    return 1 if failures else 0


def write_baseline(args, tool, names):
    datasets = {}
    for name in names:
        if dataset_path(name, tool) is None:
            continue
        run = run_once(tool, name, DATASETS[name][0], ["--solver=varpro"], args, threads=1)
        if run is not None:
            datasets[name] = {"final_cost": run["final_cost"], "iterations": run["iterations"]}
            print("%-24s %.12g %d" % (name, run["final_cost"], run["iterations"]))
    with open(args.baseline, "w") as f:
        json.dump({"note": "VarPro, one thread, tolerances of bench/run_benchmarks.py; "
                           "regenerate with --write-baseline",
                   "datasets": datasets}, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="all",
                        help="comma-separated names or groups (%s)" % ", ".join(GROUPS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-iterations", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=300.0,
                        help="wall-time limit per solve (a capped run reports NO_CONVERGENCE)")
    parser.add_argument("--function-tolerance", type=float, default=1e-10)
    parser.add_argument("--gradient-tolerance", type=float, default=1e-10)
    parser.add_argument("--parameter-tolerance", type=float, default=1e-10)
    parser.add_argument("--tool", default=os.path.join(ROOT, "build", "ceres_varpro",
                                                       "ceres_varpro"))
    parser.add_argument("--shared", default=SHARED_DIR[0],
                        help="folder of the public datasets (default: ../shared/datasets)")
    parser.add_argument("--results", default=os.path.join(ROOT, "bench", "results"))
    parser.add_argument("--markdown", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    parser.add_argument("--varpro-only", action="store_true")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in <results>/runs.jsonl, run the rest")
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild CSV, markdown and plots from <results>/runs.jsonl")
    parser.add_argument("--regress", action="store_true",
                        help="compare VarPro on the baseline's datasets with the baseline")
    parser.add_argument("--write-baseline", action="store_true")
    parser.add_argument("--baseline", default=os.path.join(ROOT, "bench", "baseline.json"))
    parser.add_argument("--cost-tolerance", type=float, default=1e-6,
                        help="regression: allowed relative increase of the final cost")
    parser.add_argument("--iteration-tolerance", type=float, default=0.10,
                        help="regression: allowed relative increase of iterations (+1)")
    args = parser.parse_args()
    SHARED_DIR[0] = os.path.abspath(args.shared)
    tool = os.path.abspath(args.tool)
    if not os.access(tool, os.X_OK):
        sys.exit("no ceres_varpro tool at %s (build first: scripts/setup.sh)" % tool)
    names = []
    for item in args.datasets.split(","):
        names += GROUPS.get(item, [item])
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        sys.exit("unknown datasets: %s" % ", ".join(unknown))
    if args.regress:
        sys.exit(regress(args, tool))
    if args.write_baseline:
        write_baseline(args, tool, GROUPS["small"] if args.datasets == "all" else names)
        return
    if args.report_only:
        rows = with_targets(load_raw(os.path.join(args.results, "runs.jsonl")))
        settings_path = os.path.join(args.results, "settings.json")
        if os.path.exists(settings_path):
            with open(settings_path) as f:
                for k, v in json.load(f).items():
                    setattr(args, k, v)
    else:
        rows = run_benchmarks(args, tool, list(dict.fromkeys(names)))
    write_csv(rows, os.path.join(args.results, "runs.csv"))
    summary = summarize(rows)
    write_markdown(summary, args, args.markdown)
    plot(rows, os.path.join(args.results, "plots"))
    print("wrote %s, %s and plots in %s" % (os.path.join(args.results, "runs.csv"),
                                             args.markdown,
                                             os.path.join(args.results, "plots")))


if __name__ == "__main__":
    main()

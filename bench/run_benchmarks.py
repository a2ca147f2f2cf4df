#!/usr/bin/env python3
"""Benchmarks ceres_varpro against stock Ceres on the same problems.

Every (case, view, load, solver configuration, repetition) is one solve in
its own process, so that peak memory (wait4) is that solver's alone. Two kinds
of case:

  * the command-line runner's families (pose3d, pose2d, ra, landmark, snl,
    bal): the `ceres_varpro slam|ba --json=FILE` runner, the project's own
    problem builders (slam: isotropic model);
  * the swap-in family (group `swapin`, cases named swapin:<dataset>): the
    problems built the way Ceres's own examples build them (pose_graph_2d/3d,
    bundle_adjuster) by build/bench/swap_in/swap_in_bench, solved by
    ceres::Solve or by ceres_varpro::Solve with only the call changed. This is
    the headline table of bench/RESULTS.md.

Stock Ceres runs in each of its good configurations (pose graphs:
SPARSE_NORMAL_CHOLESKY, SPARSE_SCHUR, ITERATIVE_SCHUR+SCHUR_JACOBI; BAL:
DENSE_SCHUR, SPARSE_SCHUR, ITERATIVE_SCHUR+SCHUR_JACOBI, the runner also with
inner iterations); VarPro is compared with the best of them per dataset.
CGNR+JACOBI is not in the default set (it hits the caps on most pose graphs);
--with-cgnr adds it to the runner's SLAM families.

Two views, from the same run (--views):

  default  Ceres's default tolerances (function 1e-6, gradient 1e-10,
           parameter 1e-8). What a user sees: the wall time of each solver to
           its own termination and both final costs. The compared Ceres
           configuration is the fastest of those that end within 1e-5
           (relative) of the lowest Ceres final cost; ratio = its wall time /
           VarPro's. A ratio is flagged when VarPro ends more than 1e-5
           (relative) above that configuration's final cost.
  tight    Tolerances 1e-10. Time to equal cost: the target is the lowest
           final cost of the stock Ceres configurations; the compared Ceres
           configuration is the one that reaches it (within 1e-6 relative)
           first; ratio = its time to the target / VarPro's time to the same
           target. Times come from the traces, accepted iterations only.

A ratio enters a median only when both VarPro and the compared Ceres
configuration reached the target and neither stopped at an iteration or
time cap (termination NO_CONVERGENCE); the other rows are listed apart.

Busy machine (swap-in family, default view): VarPro and the compared Ceres
configuration are solved again while one CPU-bound process competes (started
before the solve, killed right after); slowdown = busy wall / quiet wall.
VarPro and the compared Ceres configuration are also solved on one thread on
the quiet machine (load "1 thread"): a solver that keeps its threads busy
loses about its parallel speed-up when a core is taken, so its busy slowdown
is set beside its one-thread slowdown (one-thread wall / quiet wall). Busy
ratio = Ceres's busy wall / VarPro's busy wall: what a user on the busy
machine sees. Stock Ceres can be faster on one thread than on several (its
evaluations of a small pose graph took 2-3.5x longer on two): "ratio,
Ceres's faster thread count" divides the faster of Ceres's two quiet walls by
VarPro's, VarPro keeping the run's thread count.

Certified solutions (pose3d, pose2d and ra families): configuration
`varpro certify`, `slam --solver=varpro --certify` (Riemannian staircase on
the lifted problem, certificate, rounding, refinement), default view and
quiet machine only, --certify-reps repetitions (1 by default: it is slow),
capped by --max-seconds like every solve (--max_solver_time). Its record in
runs.jsonl keeps the runner's `certificate` object (verdict, certified,
globally_optimal, ranks, lambda_min and its verified lower bound, costs,
gaps, stages, times). It has its own section of bench/RESULTS.md,
"Certified solutions (slam --certify)", beside the compared stock Ceres
configuration, plain VarPro and published reference optima; it never enters
the ratios, medians, targets, busy runs or plots. --no-certify skips it,
--certify-only runs nothing else (and, like --resume, keeps the runs already
recorded); --regress and --update-baseline never run it.

Medians over --reps repetitions (3 by default) everywhere else. Outputs:

  bench/results/runs.jsonl        every finished run, appended as it ends
                                  (--resume continues, --report-only rebuilds)
  bench/results/runs.csv          one row per run
  bench/results/settings.json     settings, machine, BLAS, command of the run
  bench/RESULTS.md                the tables, machine, BLAS, date, command
  bench/results/plots/<case>.png  cost - best cost against time (tight view)

Regression mode (--regress) solves the baseline's datasets (the `small`
group) with VarPro only, one thread, the baseline's tolerances and iteration
cap, and fails (exit 1, one REGRESSION line per problem) when:
  * the tool exits non-zero, writes no result, reports an unusable solution
    or termination FAILURE;
  * a baseline dataset is missing while the shared datasets folder exists
    (without that folder, the public datasets are skipped, the generated ones
    still run), or a `small` dataset has no baseline entry;
  * the final cost rose by more than 1e-6 relative (--cost-tolerance);
  * the iterations exceed the baseline's by more than 10% + 1
    (--iteration-tolerance);
  * the solve stopped at the iteration or time cap while the baseline did not
    stop at the same cap.
Wall time is not compared: the machines are shared and noisy.

Regenerating the baseline (after an intended change of the engine) is one
command, with the binary of the checkout's build:

  python3 bench/run_benchmarks.py --update-baseline

Typical commands (run them under `nice -n 19` on a shared machine):

  python3 bench/run_benchmarks.py                        # everything, 3 reps
  python3 bench/run_benchmarks.py --datasets=swapin      # swap-in family only
  python3 bench/run_benchmarks.py --datasets=intel,swapin:intel --reps=1
  python3 bench/run_benchmarks.py --resume --certify-only \
      --datasets=pose3d,pose2d,ra --max-seconds=120     # certified section only
  python3 bench/run_benchmarks.py --regress              # CI's check
"""

import argparse
import collections
import contextlib
import csv
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The public datasets beside the checkout; --shared points elsewhere.
SHARED_DIR = [os.path.normpath(os.path.join(ROOT, "..", "shared", "datasets"))]
GENERATED = os.path.join(ROOT, "datasets", "generated")
DEFAULT_TOOL = os.path.join(ROOT, "build", "ceres_varpro", "ceres_varpro")
DEFAULT_SWAPIN = os.path.join(ROOT, "build", "bench", "swap_in", "swap_in_bench")

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
    # landmark SLAM
    "victoria_park": ("landmark", "landmark_slam_2d/victoria_park.txt"),
    "example.graph": ("landmark", "landmark_slam_2d/example.graph"),
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
    # sensor-network localization (generate --kind=snl: 1% anchors, seeded)
    "synthetic_snl_1k": ("snl", ("generate", ["--kind=snl", "--nodes=1000", "--anchors=10"],
                                 "synthetic_snl_1k.pyfg")),
    "synthetic_snl_10k": ("snl", ("generate", ["--kind=snl", "--nodes=10000",
                                               "--anchors=100"],
                                  "synthetic_snl_10k.pyfg")),
}

# The swap-in family: swap_in_bench on the same files (Ceres's examples' models).
SWAPIN_POSE = ["sphere2500", "parking-garage", "smallGrid3D", "torus3D",
               "intel", "manhattan", "city10000", "kitti_00"]
SWAPIN_BAL = ["ba-49-7776", "ba-21-11315", "ba-16-22106", "ba-39-18060"]
for _name in SWAPIN_POSE:
    DATASETS["swapin:" + _name] = ("swapin-pose", DATASETS[_name][1])
for _name in SWAPIN_BAL:
    DATASETS["swapin:" + _name] = ("swapin-bal", DATASETS[_name][1])

GROUPS = {
    "pose3d": [n for n, (f, _) in DATASETS.items() if f == "pose3d"],
    "pose2d": [n for n, (f, _) in DATASETS.items() if f == "pose2d"],
    "ra": [n for n, (f, _) in DATASETS.items() if f == "ra"],
    "landmark": [n for n, (f, _) in DATASETS.items() if f == "landmark"],
    "snl": [n for n, (f, _) in DATASETS.items() if f == "snl"],
    "bal": [n for n, (f, _) in DATASETS.items() if f == "bal"],
    "swapin": [n for n, (f, _) in DATASETS.items() if f.startswith("swapin")],
    # Small and fast: the regression set.
    "small": ["synthetic_sphere_small", "synthetic_ba_small", "tinyGrid3D", "smallGrid3D",
              "intel", "small_ra_slam_problem", "dubrovnik-3-7", "mrclam5a"],
}
GROUPS["all"] = [n for n in GROUPS["swapin"]] + [n for n in DATASETS
                                                  if not DATASETS[n][0].startswith("swapin")]

# Report sections, in order: (family, title).
FAMILIES = [
    ("swapin-pose", "Swap-in: pose graphs (Ceres's pose_graph_2d/3d examples)"),
    ("swapin-bal", "Swap-in: bundle adjustment (Ceres's bundle_adjuster)"),
    ("pose3d", "Runner: 3D pose graphs"),
    ("pose2d", "Runner: 2D pose graphs"),
    ("ra", "Runner: range-aided SLAM"),
    ("landmark", "Runner: landmark SLAM"),
    ("snl", "Runner: sensor-network localization"),
    ("bal", "Runner: bundle adjustment (BAL)"),
]

# Solver configurations per family: (label, command-line flags). The first is
# VarPro; labels of stock Ceres start with "ceres".
VARPRO = "varpro"
SLAM_CONFIGS = [
    (VARPRO, ["--solver=varpro"]),
    ("ceres SPARSE_NORMAL_CHOLESKY", ["--solver=ceres",
                                      "--linear_solver=sparse_normal_cholesky"]),
    ("ceres SPARSE_SCHUR", ["--solver=ceres", "--linear_solver=sparse_schur"]),
    ("ceres ITERATIVE_SCHUR+SCHUR_JACOBI", ["--solver=ceres",
                                            "--linear_solver=iterative_schur",
                                            "--preconditioner=schur_jacobi"]),
]
CGNR_CONFIG = ("ceres CGNR+JACOBI", ["--solver=ceres", "--linear_solver=cgnr",
                                     "--preconditioner=jacobi"])
BAL_CONFIGS = [
    (VARPRO, ["--solver=varpro"]),
    # The Ceres-native mode: ceres::Solve (DENSE_SCHUR) on the reduced
    # problem, the points eliminated by the callback. Shown beside the
    # others, not compared as a stock configuration.
    ("varpro_ceres DENSE_SCHUR", ["--solver=varpro_ceres",
                                  "--linear_solver=dense_schur"]),
    ("ceres DENSE_SCHUR", ["--solver=ceres", "--linear_solver=dense_schur"]),
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
SWAPIN_POSE_CONFIGS = [
    (VARPRO, ["--solver=varpro"]),
    ("ceres SPARSE_NORMAL_CHOLESKY", ["--solver=ceres",
                                      "--linear_solver=sparse_normal_cholesky"]),
    ("ceres SPARSE_SCHUR", ["--solver=ceres", "--linear_solver=sparse_schur"]),
    ("ceres ITERATIVE_SCHUR+SCHUR_JACOBI", ["--solver=ceres", "--linear_solver=iterative_schur",
                                            "--preconditioner=schur_jacobi"]),
]
SWAPIN_BAL_CONFIGS = [
    (VARPRO, ["--solver=varpro"]),
    # The Ceres-native mode: ceres::Solve (DENSE_SCHUR) on the reduced
    # problem, the points eliminated by the callback. Shown beside the
    # others, not compared as a stock configuration.
    ("varpro_ceres DENSE_SCHUR", ["--solver=varpro_ceres",
                                  "--linear_solver=dense_schur"]),
    ("ceres DENSE_SCHUR", ["--solver=ceres", "--linear_solver=dense_schur"]),
    ("ceres SPARSE_SCHUR", ["--solver=ceres", "--linear_solver=sparse_schur"]),
    ("ceres ITERATIVE_SCHUR+SCHUR_JACOBI", ["--solver=ceres", "--linear_solver=iterative_schur",
                                            "--preconditioner=schur_jacobi"]),
]

# The certifiable solver (`slam --certify`: Riemannian staircase on the lifted
# problem, certificate, rounding, refinement) on the pose-graph and
# range-aided families: default view, quiet machine, --certify-reps
# repetitions (1 by default: it is slow). Reported in its own section, never
# in the VarPro-vs-Ceres comparisons.
CERTIFY = "varpro certify"
CERTIFY_CONFIG = (CERTIFY, ["--solver=varpro", "--certify"])
CERTIFY_FAMILIES = ("pose3d", "pose2d", "ra")
# Reference values beside the certified costs, in Ceres's 1/2 convention:
# name -> (bound sign, value, source). SE-Sync's published global optima
# (halved); for range-aided SLAM the authors' rank-5 relaxation values
# (lower bounds / reference values, not certified optima of this model).
REFERENCE_COSTS = {
    "sphere2500": ("", 843.5029, "SE-Sync optimum"),
    "torus3D": ("", 12113.52, "SE-Sync optimum"),
    "parking-garage": ("", 0.6312622, "SE-Sync optimum"),
    "city10000": ("", 319.3123, "SE-Sync optimum"),
    "tiers": ("≤ ", 1918.9, "rank-5 relaxation"),
    "plaza1": ("≤ ", 1280.0, "rank-5 relaxation"),
    "single_drone": ("", 7.2333, "rank-5 relaxation"),
    "plaza2": ("≤ ", 724.0, "rank-5 relaxation"),
}

# Ceres's default tolerances (ceres::Solver::Options).
DEFAULT_TOLERANCES = {"function": 1e-6, "gradient": 1e-10, "parameter": 1e-8}
VIEWS = ("default", "tight")
QUIET, BUSY, ONE_THREAD = "quiet", "busy", "1 thread"
# Relative agreement: time to target (tight view) and final costs (default view).
TARGET_TOLERANCE = 1e-6
FINAL_COST_TOLERANCE = 1e-5
# Costs this small next to the initial cost count as equal (exact fits).
FLOOR_FACTOR = 1e-12
CAPPED = "NO_CONVERGENCE"

# Regression-mode settings when neither the command line nor the baseline
# gives them.
REGRESS_DEFAULTS = {"max_iterations": 1000, "max_seconds": 300.0,
                    "function_tolerance": 1e-10, "gradient_tolerance": 1e-10,
                    "parameter_tolerance": 1e-10}


# ---------------------------------------------------------------------------
# Datasets and configurations

def is_swapin(name):
    """True for the swap-in family's cases (solved by swap_in_bench)."""
    return DATASETS[name][0].startswith("swapin")


def shared_available():
    """True when the public datasets folder exists (then none may be missing)."""
    return os.path.isdir(SHARED_DIR[0])


def dataset_path(name, tool):
    """Path of the dataset's file (generated on first use), None if absent."""
    where = DATASETS[name][1]
    if isinstance(where, tuple):
        _, flags, filename = where
        os.makedirs(GENERATED, exist_ok=True)
        path = os.path.join(GENERATED, filename)
        if not os.path.exists(path):
            subprocess.run([tool, "generate", "--output=" + path] + flags, check=True,
                           stdout=subprocess.DEVNULL)
        return path
    path = os.path.join(SHARED_DIR[0], where)
    return path if os.path.exists(path) else None


def configurations(name, args):
    """The (label, flags) solver configurations run on a case."""
    family = DATASETS[name][0]
    if family == "swapin-pose":
        configs = SWAPIN_POSE_CONFIGS
    elif family == "swapin-bal":
        configs = SWAPIN_BAL_CONFIGS
    elif family == "bal":
        configs = BAL_CONFIGS
    else:
        configs = SLAM_CONFIGS + ([CGNR_CONFIG] if args.with_cgnr else [])
    return configs[:1] if args.varpro_only else configs


def certify_config(name, args):
    """The certifiable configuration (label, flags) of a case, or None: only
    the runner's pose-graph and range-aided families, unless --no-certify."""
    if not args.certify or DATASETS[name][0] not in CERTIFY_FAMILIES:
        return None
    return CERTIFY_CONFIG


# ---------------------------------------------------------------------------
# Running one solve

@contextlib.contextmanager
def competing_load(enabled):
    """While active (if enabled), one CPU-bound process competes for the CPUs."""
    if not enabled:
        yield None
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.2)  # Let it start spinning before the solve starts.
        yield hog.pid
    finally:
        hog.kill()
        hog.wait()


def run_process(argv, busy=False):
    """Runs argv to completion; returns (exit status, stdout, stderr tail,
    peak RSS in MB). stdout and stderr go to files, not pipes: a chatty run
    must not fill a pipe and block while we wait for it."""
    with competing_load(busy), tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")[-4000:]
    return process.returncode, stdout, stderr, usage.ru_maxrss / 1024.0


def failed_run(exit_status, stderr, rss, max_iterations):
    """The record of a solve that produced no result."""
    if exit_status is None:
        exit_status = -1
    return {"initial_cost": None, "final_cost": None, "iterations": 0,
            "max_iterations": max_iterations, "wall_time": None, "termination": "NO_RESULT",
            "usable": False, "message": stderr.strip()[-500:], "exit_status": exit_status,
            "peak_rss_mb": rss, "trace": [], "breakdown": {}, "configuration": ""}


def breakdown_of(varpro, total):
    """VarPro's time breakdown (seconds), 'other' being the rest of total."""
    if not varpro:
        return {}
    parts = {k: varpro.get(k) or 0.0 for k in
             ("analysis", "factorization", "evaluation", "elimination", "linear_solver")}
    parts["other"] = max(0.0, (total or 0.0) - sum(parts.values()))
    return parts


def cli_argv(tool, name, path, flags, settings, threads):
    """The command line of the slam|ba runner; returns (argv, json path)."""
    command = "ba" if DATASETS[name][0] == "bal" else "slam"
    fd, json_path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(json_path)  # The runner writes it only after a solve.
    argv = [tool, command, "--input=" + path, "--json=" + json_path, "--progress=false",
            "--report=none", "--num_threads=%d" % threads,
            "--max_num_iterations=%d" % settings["max_iterations"],
            "--function_tolerance=%g" % settings["function"],
            "--gradient_tolerance=%g" % settings["gradient"],
            "--parameter_tolerance=%g" % settings["parameter"],
            "--max_solver_time=%g" % settings["max_seconds"]] + flags
    return argv, json_path


def run_cli(tool, name, path, flags, settings, threads, busy=False):
    """One solve by the ceres_varpro runner; returns the normalized run."""
    argv, json_path = cli_argv(tool, name, path, flags, settings, threads)
    status, stderr, rss = None, "", 0.0
    try:
        status, _, stderr, rss = run_process(argv, busy)
        with open(json_path) as f:
            result = json.load(f)
        run = result["runs"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return dict(failed_run(status, stderr, rss, settings["max_iterations"]),
                    max_seconds=settings["max_seconds"])
    finally:
        if os.path.exists(json_path):
            os.unlink(json_path)
    # Accepted iterations only (and the start): a rejected step's cost is not
    # a point the solver reached.
    trace = [[p["cumulative_time_seconds"], p["cost"]] for p in run["trace"]
             if p["iteration"] == 0 or p["successful"]]
    varpro = run.get("varpro")
    if varpro:
        varpro = {k: varpro[k + "_seconds"] for k in
                  ("analysis", "factorization", "evaluation", "elimination", "linear_solver")}
    normalized = {"initial_cost": run["initial_cost"], "final_cost": run["final_cost"],
                  "iterations": run["iterations"], "max_iterations": settings["max_iterations"],
                  "max_seconds": settings["max_seconds"],
                  "wall_time": run["wall_time_seconds"], "termination": run["termination"],
                  "usable": run["solution_usable"], "message": run["message"],
                  "exit_status": status, "peak_rss_mb": rss, "trace": trace,
                  "breakdown": breakdown_of(varpro, run["solver_time_seconds"]),
                  "configuration": run["configuration"]}
    # slam --certify: the certificate as the runner writes it (verdict,
    # certified, globally_optimal, ranks, lambda_min and its verified lower
    # bound, costs, gaps, stages, times). The run's trace is the refinement's
    # only, and its wall time the whole certifiable solve.
    if "certificate" in result:
        normalized["certificate"] = result["certificate"]
    return normalized


def run_swapin(swapin, path, flags, view, settings, threads, busy=False):
    """One solve by swap_in_bench; returns the normalized run. The default
    view keeps the examples' own iteration limits (200 for pose graphs,
    Ceres's 50 for BAL): what a user of those examples sees."""
    argv = [swapin, "--input=" + path, "--num_threads=%d" % threads,
            "--max_solver_time=%g" % settings["max_seconds"]] + flags
    if view == "tight":
        argv += ["--tight", "--max_num_iterations=%d" % settings["max_iterations"]]
    status, stdout, stderr, rss = run_process(argv, busy)
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        return failed_run(status, stderr, rss, None)
    # swap_in_bench's trace holds accepted iterations only; the start is t=0.
    trace = [[0.0, result["initial_cost"]]] + [list(p) for p in result["trace"]]
    return {"initial_cost": result["initial_cost"], "final_cost": result["final_cost"],
            "iterations": result["iterations"], "max_iterations": result["max_num_iterations"],
            "wall_time": result["wall_time"], "termination": result["termination"],
            "usable": result["usable"], "message": result["message"], "exit_status": status,
            "peak_rss_mb": rss, "trace": trace,
            "breakdown": breakdown_of(result.get("varpro"), result["wall_time"]),
            "configuration": result["configuration"]}


def view_settings(view, args):
    """Tolerances and caps of a view."""
    tolerances = DEFAULT_TOLERANCES if view == "default" else {
        "function": args.function_tolerance, "gradient": args.gradient_tolerance,
        "parameter": args.parameter_tolerance}
    return dict(tolerances, max_iterations=args.max_iterations, max_seconds=args.max_seconds)


def solve(tools, name, flags, view, args, threads, busy=False):
    """One solve of a case by one configuration in one view."""
    path = dataset_path(name, tools["cli"])
    settings = view_settings(view, args)
    if is_swapin(name):
        return run_swapin(tools["swapin"], path, flags, view, settings, threads, busy)
    return run_cli(tools["cli"], name, path, flags, settings, threads, busy)


def is_failed(run):
    """A solve that failed: no result, non-zero exit, unusable, FAILURE."""
    return (run["final_cost"] is None or run["exit_status"] != 0 or not run["usable"]
            or run["termination"] in ("FAILURE", "NO_RESULT"))


def is_capped(run):
    """A solve stopped by the iteration or time cap."""
    return run["termination"] == CAPPED


def failure_reason(run):
    """Why is_failed(run) holds, in words."""
    if run["termination"] == "NO_RESULT":
        return "no result (exit status %d): %s" % (run["exit_status"], run["message"])
    reasons = []
    if run["exit_status"] != 0:
        reasons.append("exit status %d" % run["exit_status"])
    if not run["usable"]:
        reasons.append("solution not usable")
    if run["termination"] == "FAILURE":
        reasons.append("termination FAILURE")
    if run["final_cost"] is None:
        reasons.append("no final cost")
    return ", ".join(reasons) + (" (%s)" % run["message"] if run["message"] else "")


# ---------------------------------------------------------------------------
# The benchmark loop

def load_raw(path):
    """Rows saved by an earlier (possibly interrupted) run, one JSON per line."""
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    if "view" in row:  # Rows of the older harness are not comparable.
                        rows.append(row)
    return rows


SETTINGS = ("reps", "threads", "max_iterations", "max_seconds", "function_tolerance",
            "gradient_tolerance", "parameter_tolerance", "views", "busy", "with_cgnr",
            "certify", "certify_reps")


def run_description(args, tools):
    """What the report says about the run: settings, machine, BLAS, command."""
    settings = {k: getattr(args, k) for k in SETTINGS}
    settings.update(date=datetime.date.today().isoformat(), machine=machine_description(),
                    blas=blas_description(tools["cli"]),
                    command=" ".join(shlex.quote(a) for a in ["python3"] + sys.argv))
    return settings


class Recorder:
    """Appends every finished run to runs.jsonl at once, so that an
    interrupted benchmark keeps what it measured."""

    def __init__(self, results, resume):
        """Starts runs.jsonl afresh, or (resume) reads what it holds."""
        self.path = os.path.join(results, "runs.jsonl")
        os.makedirs(results, exist_ok=True)
        self.rows = load_raw(self.path) if resume else []
        if not resume:
            open(self.path, "w").close()
        self.done = {row_key(r) for r in self.rows}

    def has(self, key):
        """True when the run with this key is already recorded."""
        return key in self.done

    def add(self, row):
        """Records one run."""
        self.rows.append(row)
        self.done.add(row_key(row))
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


def row_key(row):
    """Identity of a run: case, view, load, solver, repetition."""
    return (row["dataset"], row["view"], row["load"], row["solver"], row["repetition"])


def measure(recorder, tools, name, label, flags, view, load, rep, args):
    """Runs one solve unless already recorded, and records it."""
    key = (name, view, load, label, rep)
    if recorder.has(key):
        return
    print("%-24s %-7s %-5s %-40s rep %d" % (name, view, load, label, rep), flush=True)
    threads = 1 if load == ONE_THREAD else args.threads
    run = solve(tools, name, flags, view, args, threads, busy=(load == BUSY))
    if is_failed(run):
        print("  FAILED: %s" % failure_reason(run), file=sys.stderr)
    elif is_capped(run):
        print("  capped (%s) after %d iterations" % (run["termination"], run["iterations"]))
    recorder.add({"dataset": name, "family": DATASETS[name][0], "view": view, "load": load,
                  "solver": label, "repetition": rep, "run": run})


def run_case(recorder, tools, name, args):
    """All views, configurations and repetitions of one case; repetitions
    are interleaved across configurations (drift on a shared machine hits
    them alike). Then the certifiable solve (pose graphs and range-aided
    SLAM: default view, quiet, --certify-reps repetitions), and the
    busy-machine runs of swap-in cases."""
    configs = [] if args.certify_only else configurations(name, args)
    for view in args.views:
        for rep in range(1, args.reps + 1):
            for label, flags in configs:
                measure(recorder, tools, name, label, flags, view, QUIET, rep, args)
    certify = certify_config(name, args)
    if certify and ("default" in args.views or args.certify_only):
        for rep in range(1, args.certify_reps + 1):
            measure(recorder, tools, name, certify[0], certify[1], "default", QUIET, rep, args)
    if args.certify_only or not (args.busy and is_swapin(name) and "default" in args.views):
        return
    # Busy runs: VarPro and the Ceres configuration it is compared with.
    entry = compare_default(solver_runs(recorder.rows, name, "default", QUIET))
    compared = {VARPRO} | ({entry["best"]} if entry and entry["best"] else set())
    for rep in range(1, args.reps + 1):
        for label, flags in configs:
            if label in compared:
                measure(recorder, tools, name, label, flags, "default", BUSY, rep, args)
            # Both on one thread: VarPro's parallel speed-up, and whether stock
            # Ceres is faster on one thread than on args.threads (its best
            # configuration is the faster of the two).
            if label in compared and args.threads > 1:
                measure(recorder, tools, name, label, flags, "default", ONE_THREAD, rep,
                        args)


def run_benchmarks(args, tools, names):
    """Runs every selected case; returns all recorded rows."""
    recorder = Recorder(args.results, args.resume)
    # The settings, so that --report-only describes the run it reports.
    settings_path = os.path.join(args.results, "settings.json")
    settings = run_description(args, tools)
    if args.resume and os.path.exists(settings_path):
        with open(settings_path) as f:
            previous = json.load(f)
        previous["views"] = [v for v in VIEWS if v in previous.get("views", []) + args.views]
        previous["resumed"] = previous.get("resumed", []) + [settings["command"]]
        settings = previous
    with open(settings_path, "w") as f:
        json.dump(settings, f, indent=2)
    missing = []
    for name in names:
        if dataset_path(name, tools["cli"]) is None:
            print("skip %s (not present in %s)" % (name, SHARED_DIR[0]), file=sys.stderr)
            missing.append(name)
            continue
        run_case(recorder, tools, name, args)
    if missing:
        print("missing datasets (not measured): %s" % ", ".join(missing), file=sys.stderr)
    with open(settings_path) as f:
        settings = json.load(f)
    settings["missing"] = sorted(set(settings.get("missing", [])) | set(missing))
    with open(settings_path, "w") as f:
        json.dump(settings, f, indent=2)
    return recorder.rows


# ---------------------------------------------------------------------------
# Analysis

def median(values):
    """Median of the values that are not None; None when there are none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def reached(cost, target, relative, floor):
    """cost within `relative` of target, or within floor (costs near zero)."""
    return cost is not None and cost <= target + max(abs(target) * relative, floor)


def time_to_target(run, target, floor):
    """Time of the first accepted iteration within 1e-6 of target, or None."""
    for t, cost in run["trace"]:
        if reached(cost, target, TARGET_TOLERANCE, floor):
            return t
    return None


def solver_runs(rows, name, view, load):
    """{solver label: [run, ...]} of one case, view and load, in run order."""
    runs = {}
    for r in rows:
        if r["dataset"] == name and r["view"] == view and r["load"] == load:
            runs.setdefault(r["solver"], []).append(r["run"])
    return runs


def comparable(solvers):
    """The solvers of the VarPro-vs-Ceres comparisons: all but the
    certifiable solve (its own section; never a ratio, median or target)."""
    return {k: v for k, v in solvers.items() if k != CERTIFY}


def floor_of(solvers):
    """Absolute tolerance for exact fits: 1e-12 of the largest initial cost."""
    costs = [abs(r["initial_cost"]) for runs in solvers.values() for r in runs
             if r["initial_cost"] is not None]
    return FLOOR_FACTOR * max(costs, default=0.0)


def solver_stats(runs):
    """Medians over the repetitions of one solver configuration."""
    good = [r for r in runs if not is_failed(r)]
    return {"n": len(runs), "failed": len(runs) - len(good),
            "final_cost": median([r["final_cost"] for r in good]),
            "iterations": median([r["iterations"] for r in good]),
            "max_iterations": runs[0]["max_iterations"],
            "wall": median([r["wall_time"] for r in good]),
            "rss": median([r["peak_rss_mb"] for r in runs]),
            "capped": any(is_capped(r) for r in runs),
            "termination": collections.Counter(r["termination"] for r in runs)
            .most_common(1)[0][0]}


def split(solvers):
    """(VarPro's stats or None, {Ceres label: stats} of usable runs)."""
    stats = {k: solver_stats(v) for k, v in solvers.items()}
    varpro = stats.get(VARPRO)
    ceres = {k: s for k, s in stats.items()
             if k.startswith("ceres") and s["final_cost"] is not None}
    return varpro, ceres


def apart_notes(varpro, ceres_best, varpro_reached):
    """Why a comparison stays out of the median (empty list: it enters)."""
    notes = []
    if varpro["final_cost"] is None:
        return ["VarPro failed"]
    if not varpro_reached:
        notes.append("VarPro higher")
    if ceres_best["capped"]:
        notes.append("Ceres capped")
    if varpro["capped"]:
        notes.append("VarPro capped")
    return notes


def default_ceres_choice(solvers):
    """Default view's compared Ceres configuration: the fastest of those
    ending within 1e-5 of the lowest Ceres final cost; (label, stats), or
    None without a usable Ceres run."""
    solvers = comparable(solvers)
    _, ceres = split(solvers)
    if not ceres:
        return None
    floor = floor_of(solvers)
    lowest = min(s["final_cost"] for s in ceres.values())
    near = {k: s for k, s in ceres.items()
            if reached(s["final_cost"], lowest, FINAL_COST_TOLERANCE, floor)}
    best = min(near, key=lambda k: near[k]["wall"])
    return best, ceres[best]


def compare_default(solvers):
    """Default view: the fastest Ceres configuration among those ending within
    1e-5 of the lowest Ceres final cost; ratio of wall times to termination."""
    solvers = comparable(solvers)
    varpro, ceres = split(solvers)
    if varpro is None or not ceres:
        return None
    floor = floor_of(solvers)
    best, c = default_ceres_choice(solvers)
    varpro_reached = reached(varpro["final_cost"], c["final_cost"], FINAL_COST_TOLERANCE, floor)
    notes = apart_notes(varpro, c, varpro_reached)
    ratio = c["wall"] / max(varpro["wall"], 1e-9) if varpro["wall"] is not None else None
    lower = (varpro["final_cost"] is not None and
             not reached(c["final_cost"], varpro["final_cost"], FINAL_COST_TOLERANCE, floor))
    return {"best": best, "ceres": c, "varpro": varpro, "ratio": ratio,
            "time_ceres": c["wall"], "time_varpro": varpro["wall"], "target": c["final_cost"],
            "memory": varpro["rss"] / c["rss"] if c["rss"] else None,
            "notes": notes, "in_median": not notes and ratio is not None,
            "varpro_lower": lower}


def compare_tight(solvers):
    """Tight view: target = lowest Ceres final cost; the Ceres configuration
    reaching it first; ratio of times to the target (accepted iterations)."""
    solvers = comparable(solvers)
    varpro, ceres = split(solvers)
    if varpro is None or not ceres:
        return None
    floor = floor_of(solvers)
    target = min(s["final_cost"] for s in ceres.values())
    times = {}
    for label, runs in solvers.items():
        t = [time_to_target(r, target, floor) if not is_failed(r) else None for r in runs]
        if all(x is not None for x in t):
            times[label] = median(t)
    reached_ceres = {k: t for k, t in times.items() if k in ceres}
    if reached_ceres:
        best = min(reached_ceres, key=reached_ceres.get)
        time_ceres = reached_ceres[best]
    else:
        # No Ceres configuration reached the lowest median cost in every
        # repetition (repetitions capped short of it): the row stays, apart,
        # without a Ceres time or a ratio.
        best = min(ceres, key=lambda k: ceres[k]["final_cost"])
        time_ceres = None
    c = ceres[best]
    notes = apart_notes(varpro, c, VARPRO in times)
    if time_ceres is None:
        notes.append("Ceres short of its target in some repetitions")
    ratio = (time_ceres / max(times[VARPRO], 1e-9)
             if VARPRO in times and time_ceres is not None else None)
    lower = (varpro["final_cost"] is not None and
             not reached(target, varpro["final_cost"], TARGET_TOLERANCE, floor))
    return {"best": best, "ceres": c, "varpro": varpro, "ratio": ratio,
            "time_ceres": time_ceres, "time_varpro": times.get(VARPRO),
            "target": target, "memory": varpro["rss"] / c["rss"] if c["rss"] else None,
            "notes": notes, "in_median": not notes and ratio is not None,
            "varpro_lower": lower}


def compare_busy(rows, name, default_entry):
    """Slowdowns (busy wall / quiet wall) of VarPro and of the compared Ceres
    configuration, when both were run on a busy machine; their busy walls and
    ratio; each one's one-thread slowdown when it was run on one thread, and
    the ratio against Ceres's faster thread count."""
    if not default_entry:
        return None
    busy = solver_runs(rows, name, "default", BUSY)
    one_thread = solver_runs(rows, name, "default", ONE_THREAD)
    result = {}
    for key, label, quiet in (("varpro", VARPRO, default_entry["varpro"]),
                              ("ceres", default_entry["best"], default_entry["ceres"])):
        if label not in busy or not quiet["wall"]:
            return None
        busy_wall = solver_stats(busy[label])["wall"]
        if busy_wall is None:
            return None
        result[key] = busy_wall / quiet["wall"]
        result[key + "_wall"] = busy_wall
        one = one_thread.get(label)
        one_wall = solver_stats(one)["wall"] if one else None
        result[key + "_one_thread"] = (one_wall / quiet["wall"]
                                       if one_wall is not None else None)
        result[key + "_one_thread_wall"] = one_wall
    # Both quiet walls are non-zero (checked above).
    result["ratio"] = result["ceres_wall"] / result["varpro_wall"]
    # Against stock Ceres's faster thread count (VarPro keeps the user's).
    ceres_best = min(w for w in (default_entry["ceres"]["wall"],
                                 result["ceres_one_thread_wall"]) if w is not None)
    result["ratio_best_threads"] = ceres_best / default_entry["varpro"]["wall"]
    return result


def summarize(rows):
    """Per case: the statistics of every (view, load, solver) and the
    comparisons of both views and the busy machine."""
    summary = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        default_runs = solver_runs(rows, name, "default", QUIET)
        entry = {"dataset": name, "family": DATASETS[name][0],
                 "default": compare_default(default_runs) if default_runs else None,
                 "tight": None, "stats": {}}
        tight_runs = solver_runs(rows, name, "tight", QUIET)
        if tight_runs:
            entry["tight"] = compare_tight(tight_runs)
        entry["busy"] = compare_busy(rows, name, entry["default"])
        for view in VIEWS:
            for load in (QUIET, BUSY, ONE_THREAD):
                for label, runs in solver_runs(rows, name, view, load).items():
                    entry["stats"][(view, load, label)] = solver_stats(runs)
        summary.append(entry)
    return summary


def with_times_to_target(rows):
    """Adds to every row its time to its (case, view) Ceres target (the
    lowest Ceres final cost), for the CSV."""
    targets = {}
    for r in rows:
        if r["load"] != QUIET or r["solver"] == CERTIFY:
            continue
        key = (r["dataset"], r["view"])
        run = r["run"]
        t = targets.setdefault(key, {"target": None, "floor": 0.0})
        if run["initial_cost"] is not None:
            t["floor"] = max(t["floor"], FLOOR_FACTOR * abs(run["initial_cost"]))
        if r["solver"].startswith("ceres") and not is_failed(run):
            t["target"] = min(c for c in (run["final_cost"], t["target"]) if c is not None)
    for r in rows:
        t = targets.get((r["dataset"], r["view"]))
        # The certifiable run's trace is its refinement's only: no time to target.
        r["time_to_target"] = (time_to_target(r["run"], t["target"], t["floor"])
                               if t and t["target"] is not None and r["solver"] != CERTIFY
                               else None)
    return rows


# ---------------------------------------------------------------------------
# Machine description

def machine_description():
    """CPU model, cores, platform."""
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


def blas_kind(path):
    """ATLAS, OpenBLAS, BLIS, MKL or the reference implementation, from the
    path of a resolved libblas/liblapack."""
    lower = path.lower()
    for key, kind in (("openblas", "OpenBLAS"), ("atlas", "ATLAS"), ("blis", "BLIS"),
                      ("mkl", "MKL")):
        if key in lower:
            return kind
    return "reference (netlib)" if "/blas/" in lower or "/lapack/" in lower else "unknown"


def blas_description(tool):
    """The BLAS and LAPACK the tool loads: its libblas.so.3 and liblapack.so.3
    (from ldd, else the system's) resolved through the symlinks that
    update-alternatives maintains, e.g. 'BLAS: ATLAS (/usr/lib/.../atlas/...)'."""
    found = {}
    try:
        out = subprocess.run(["ldd", tool], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        parts = line.split("=>")
        if len(parts) != 2:
            continue
        soname = parts[0].strip()
        for kind in ("blas", "lapack"):
            if soname.startswith(("lib%s.so" % kind, "libopen%s.so" % kind)):
                found.setdefault(kind, parts[1].split("(")[0].strip())
    described = []
    for kind in ("blas", "lapack"):
        path = found.get(kind, "/usr/lib/x86_64-linux-gnu/lib%s.so.3" % kind)
        if os.path.exists(path):
            real = os.path.realpath(path)
            described.append("%s: %s (%s)" % (kind.upper(), blas_kind(real), real))
    return "; ".join(described) or "unknown"


# ---------------------------------------------------------------------------
# Reports

def fmt_cost(c):
    """A cost with 10 significant digits, or a dash."""
    return "—" if c is None else "%.10g" % c


def fmt_time(t):
    """Seconds with 3 decimals, or a dash."""
    return "—" if t is None else "%.3f" % t


def fmt_ratio(r):
    """A ratio as 1.23×, or a dash."""
    return "—" if r is None else "%.2f×" % r


def fmt_iterations(s):
    """Median iterations, marked when the cap stopped the solve."""
    if s is None or s["iterations"] is None:
        return "—"
    return "%d%s" % (s["iterations"], " (cap)" if s["capped"] else "")


def write_csv(rows, path):
    """One row per run."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    parts = ("analysis", "factorization", "evaluation", "elimination", "linear_solver", "other")
    fields = ["dataset", "family", "view", "load", "solver", "repetition", "configuration",
              "initial_cost", "final_cost", "iterations", "max_iterations",
              "wall_time_seconds", "time_to_target_seconds", "peak_rss_mb", "termination",
              "usable", "exit_status"] + [p + "_s" for p in parts] + list(CERTIFICATE_COLUMNS)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for r in rows:
            run = r["run"]
            b = run["breakdown"]
            writer.writerow([r["dataset"], r["family"], r["view"], r["load"], r["solver"],
                             r["repetition"], run["configuration"], run["initial_cost"],
                             run["final_cost"], run["iterations"], run["max_iterations"],
                             "" if run["wall_time"] is None else "%.4f" % run["wall_time"],
                             "" if r.get("time_to_target") is None
                             else "%.4f" % r["time_to_target"],
                             "%.1f" % run["peak_rss_mb"], run["termination"], run["usable"],
                             run["exit_status"]] +
                            ["%.4f" % b[k] if b else "" for k in parts] +
                            certificate_cells(run))


CERTIFICATE_COLUMNS = ("certified", "globally_optimal", "final_rank", "lambda_min",
                       "lambda_min_lower_bound", "absolute_gap", "relative_gap")


def certificate_cells(run):
    """The CSV's certificate columns (empty but for slam --certify runs)."""
    c = run.get("certificate") or {}
    return ["" if c.get(k) is None else c[k] for k in CERTIFICATE_COLUMNS]


def busy_cells(entry):
    """The busy-machine cells of a default-view row: slowdowns, verdict,
    one-thread slowdowns, the busy ratio and the ratio against Ceres's faster
    thread count."""
    b = entry.get("busy")
    if not b:
        return "—", "—", "—", "—", "—"
    return ("%.2f× / %.2f×" % (b["ceres"], b["varpro"]),
            "yes" if b["varpro"] <= b["ceres"] else "no",
            "%s / %s" % (fmt_ratio(b.get("ceres_one_thread")),
                         fmt_ratio(b.get("varpro_one_thread"))),
            fmt_ratio(b.get("ratio")),
            fmt_ratio(b.get("ratio_best_threads")))


def default_table(entries, with_busy):
    """Default view, one row per dataset."""
    head = ("| dataset | compared Ceres | Ceres wall (s) | VarPro wall (s) | ratio "
            "| Ceres final cost | VarPro final cost | iterations C / V | memory V/C |")
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    if with_busy:
        head += (" busy slowdown C / V | V ≤ C | 1-thread slowdown C / V "
                 "| busy ratio | ratio, Ceres's faster thread count |")
        rule += "---:|:---:|---:|---:|---:|"
    head += " note |"
    rule += "---|"
    lines = [head, rule]
    for e in entries:
        d = e["default"]
        if not d:
            continue
        cells = [e["dataset"], d["best"], fmt_time(d["time_ceres"]), fmt_time(d["time_varpro"]),
                 fmt_ratio(d["ratio"]) + ("" if d["in_median"] else " ⚑"),
                 fmt_cost(d["ceres"]["final_cost"]), fmt_cost(d["varpro"]["final_cost"]),
                 "%s / %s" % (fmt_iterations(d["ceres"]), fmt_iterations(d["varpro"])),
                 fmt_ratio(d["memory"])]
        if with_busy:
            cells += list(busy_cells(e))
        cells.append(", ".join(d["notes"] + (["VarPro lower"] if d["varpro_lower"] else [])))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def tight_table(entries):
    """Tight view (time to equal cost), one row per dataset."""
    lines = ["| dataset | compared Ceres | target cost | Ceres time to target (s) "
             "| VarPro time to target (s) | ratio | Ceres final cost | VarPro final cost "
             "| iterations C / V | memory V/C | note |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for e in entries:
        t = e["tight"]
        if not t:
            continue
        notes = list(t["notes"]) + (["VarPro lower"] if t.get("varpro_lower") else [])
        lines.append("| " + " | ".join([
            e["dataset"], t["best"], fmt_cost(t["target"]), fmt_time(t["time_ceres"]),
            fmt_time(t["time_varpro"]),
            fmt_ratio(t["ratio"]) + ("" if t["in_median"] else " ⚑"),
            fmt_cost(t["ceres"]["final_cost"]), fmt_cost(t["varpro"]["final_cost"]),
            "%s / %s" % (fmt_iterations(t["ceres"]), fmt_iterations(t["varpro"])),
            fmt_ratio(t["memory"]), ", ".join(notes)]) + " |")
    return lines


def line_breaks(lines):
    """Consecutive summary lines, each but the last ending in a Markdown
    line break (two spaces) so that they render as one paragraph of lines."""
    return [line + "  " for line in lines[:-1]] + lines[-1:]


def median_lines(entries, view, label):
    """The median ratio over the clean rows, and the rows listed apart."""
    comparisons = [(e["dataset"], e[view]) for e in entries if e[view]]
    if not comparisons:
        return []
    clean = [c["ratio"] for _, c in comparisons if c["in_median"]]
    lines = []
    if clean:
        lines.append("%s: median ratio %.2f× over %d datasets (best %.2f×, worst %.2f×)." %
                     (label, statistics.median(clean), len(clean), max(clean), min(clean)))
    else:
        lines.append("%s: no dataset where both reached the target uncapped." % label)
    apart = ["%s (%s; ratio %s)" % (name, ", ".join(c["notes"]), fmt_ratio(c["ratio"]))
             for name, c in comparisons if not c["in_median"]]
    if apart:
        lines.append("Not in the median: %s." % ", ".join(apart))
    memories = [c["memory"] for _, c in comparisons if c["memory"]]
    if memories:
        lines.append("Peak memory VarPro / compared Ceres: median %.2f×, max %.2f×." %
                     (statistics.median(memories), max(memories)))
    return line_breaks(lines)


def busy_lines(entries, label):
    """Median slowdowns on a busy machine, and how often VarPro's is lower."""
    busy = [e["busy"] for e in entries if e.get("busy")]
    if not busy:
        return []
    ceres = statistics.median(b["ceres"] for b in busy)
    varpro = statistics.median(b["varpro"] for b in busy)
    better = sum(1 for b in busy if b["varpro"] <= b["ceres"])
    lines = ["%s, busy machine (one competing CPU-bound process): median slowdown "
             "Ceres %.2f×, VarPro %.2f×; VarPro's slowdown ≤ Ceres's on %d of %d datasets." %
             (label, ceres, varpro, better, len(busy))]
    one = [b["varpro_one_thread"] for b in busy if b.get("varpro_one_thread") is not None]
    if one:
        lines.append("VarPro on one thread of the quiet machine: median slowdown %.2f× "
                     "(its parallel speed-up, which a taken core removes)." %
                     statistics.median(one))
    ceres_one = [b["ceres_one_thread"] for b in busy
                 if b.get("ceres_one_thread") is not None]
    if ceres_one:
        lines.append("Stock Ceres on one thread of the quiet machine: median slowdown "
                     "%.2f×; faster on one thread than on the run's thread count on "
                     "%d of %d datasets." %
                     (statistics.median(ceres_one), sum(1 for c in ceres_one if c < 1.0),
                      len(ceres_one)))
    best = [(e["dataset"], e["busy"]["ratio_best_threads"]) for e in entries
            if e.get("busy") and e["busy"].get("ratio_best_threads") is not None
            and e["default"] and e["default"]["in_median"]]
    if best:
        lines.append("Against stock Ceres at its faster thread count (VarPro on the "
                     "run's): median ratio %.2f× over the %d datasets in the median "
                     "(%s)." % (statistics.median(r for _, r in best), len(best),
                                ", ".join("%s %.2f×" % (n, r) for n, r in best)))
    ratios = [b["ratio"] for b in busy if b.get("ratio") is not None]
    if ratios:
        faster = sum(1 for r in ratios if r >= 1.0)
        lines.append("On the busy machine VarPro's wall time is below Ceres's on %d of %d "
                     "datasets (busy ratio median %.2f×, worst %.2f×)." %
                     (faster, len(ratios), statistics.median(ratios), min(ratios)))
    return line_breaks(lines)


def details_table(entries):
    """Every configuration, view and load: medians over the repetitions."""
    lines = ["| dataset | view | load | solver | final cost | iterations | wall (s) "
             "| peak MB | termination | failed runs |",
             "|---|---|---|---|---:|---:|---:|---:|---|---:|"]
    for e in entries:
        for (view, load, label), s in e["stats"].items():
            compared = bool(e[view]) and e[view]["best"] == label
            lines.append("| %s | %s | %s | %s%s | %s | %s | %s | %.0f | %s | %s |" % (
                e["dataset"], view, load, label, " (compared)" if compared else "",
                fmt_cost(s["final_cost"]), fmt_iterations(s), fmt_time(s["wall"]),
                s["rss"] or 0, s["termination"], s["failed"] or ""))
    return lines


def breakdown_table(rows):
    """VarPro's time breakdown, first quiet repetition of each case and view."""
    parts = ("analysis", "factorization", "evaluation", "elimination", "linear_solver", "other")
    lines = ["| dataset | view | " + " | ".join(p.replace("_", " ") for p in parts) + " |",
             "|---|---|" + "---:|" * len(parts)]
    for r in rows:
        b = r["run"]["breakdown"]
        if r["solver"] == VARPRO and r["load"] == QUIET and r["repetition"] == 1 and b:
            lines.append("| %s | %s | " % (r["dataset"], r["view"]) +
                         " | ".join("%.3f" % b[p] for p in parts) + " |")
    return lines


def header_lines(settings):
    """Title, machine, BLAS, date, command and the rules of the tables."""
    get = settings.get
    cgnr = ("CGNR+JACOBI is included (--with-cgnr)." if get("with_cgnr") else
            "CGNR+JACOBI is not in the set (it hit the iteration or time cap on most pose "
            "graphs in earlier runs); `--with-cgnr` adds it to the runner's SLAM families.")
    return [
        "# Benchmark results", "",
        "Generated by bench/run_benchmarks.py on %s." % get("date", "?"), "",
        "* Command: `%s`" % get("command", "?"),
    ] + ["* Resumed with: `%s`" % c for c in get("resumed", [])] + (
        # Hand-written in settings.json when rows come from different engines.
        ["* Engines: %s" % get("engines")] if get("engines") else []) + [
        "* Machine: %s" % get("machine", "?"),
        "* Linear algebra: %s" % get("blas", "?"),
        "* Threads per solve: %s; repetitions: %s (medians shown); caps: %s iterations "
        "(the swap-in default view keeps the examples' own: 200 for pose graphs, 50 for BAL), "
        "%s s per solve." % (get("threads"), get("reps"), get("max_iterations"),
                             get("max_seconds")),
        "* Datasets missing from the shared folder (not measured): %s" %
        (", ".join(get("missing", [])) or "none"),
        "",
        "Stock Ceres configurations: pose graphs SPARSE_NORMAL_CHOLESKY, SPARSE_SCHUR, "
        "ITERATIVE_SCHUR+SCHUR_JACOBI; BAL DENSE_SCHUR, SPARSE_SCHUR, "
        "ITERATIVE_SCHUR+SCHUR_JACOBI (the runner also with inner iterations). " + cgnr, "",
        "**Two views.** *Default tolerances* (Ceres's: function 1e-6, gradient 1e-10, "
        "parameter 1e-8): wall time of each solver to its own termination; the compared "
        "Ceres configuration is the fastest of those ending within 1e-5 (relative) of the "
        "lowest Ceres final cost; ratio = its wall time / VarPro's. *Tight tolerances* "
        "(function %g, gradient %g, parameter %g): time to equal cost; the target is the "
        "lowest Ceres final cost, the compared configuration is the one reaching it (within "
        "1e-6 relative, accepted iterations only) first; ratio = its time / VarPro's time to "
        "the same cost. Higher is better for VarPro." %
        (get("function_tolerance"), get("gradient_tolerance"), get("parameter_tolerance")), "",
        "A ratio enters a median only when VarPro and the compared Ceres configuration both "
        "reached the target and neither stopped at a cap (termination NO_CONVERGENCE, "
        "*(cap)* in the tables); ⚑ marks the rows kept apart, the note says why (*VarPro "
        "higher*: VarPro ended more than 1e-5 above Ceres in the default view, or never "
        "reached the target in the tight view). *Memory* is VarPro's peak RSS over the "
        "compared Ceres configuration's. *Busy slowdown* is the wall time with one competing "
        "CPU-bound process over the quiet wall time; *1-thread slowdown* the wall time on one "
        "thread of the quiet machine over the quiet wall time (below 1: faster on one "
        "thread); *ratio, Ceres's faster thread count* divides the faster of the compared "
        "Ceres configuration's two quiet walls (the run's thread count, one thread) by "
        "VarPro's quiet wall on the run's thread count.", ""]


def family_section(title, entries, busy):
    """The two views' tables and medians of one family, then the details."""
    lines = ["## " + title, ""]
    if any(e["default"] for e in entries):
        lines += ["### Default tolerances: wall time to each solver's termination", ""]
        lines += default_table(entries, busy) + [""]
        lines += median_lines(entries, "default", "Default tolerances") + [""]
        lines += busy_lines(entries, "Default tolerances") + ([""] if busy else [])
    if any(e["tight"] for e in entries):
        lines += ["### Tight tolerances: time to equal cost", ""]
        lines += tight_table(entries) + [""]
        lines += median_lines(entries, "tight", "Time to equal cost") + [""]
    lines += ["<details><summary>Every configuration (medians)</summary>", ""]
    lines += details_table(entries) + ["", "</details>", ""]
    return lines


def fmt_small(x):
    """A signed small number (lambda_min, gaps) as -1.234e-10, or a dash."""
    return "—" if x is None else "%.3e" % x


def certificate_short(c):
    """Certified yes/no and the verdict's short form."""
    if c.get("globally_optimal"):
        return "yes: globally optimal"
    if c.get("certified"):
        return "yes: relaxation certified, not exact"
    if c.get("time_limit_reached"):
        return "no: time limit"
    if c.get("max_rank_reached"):
        return "no: max rank reached"
    return "no: not certified"


def fmt_gap(c):
    """Absolute gap and, when meaningful (< 1), the relative one."""
    absolute, relative = c.get("absolute_gap"), c.get("relative_gap")
    if absolute is None:
        return "—"
    if relative is None or relative >= 1.0:
        return "%s (absolute)" % fmt_small(absolute)
    return "%s (%.2e rel.)" % (fmt_small(absolute), relative)


def fmt_reference(name):
    """The reference optimum or relaxation value of a dataset, labelled."""
    if name not in REFERENCE_COSTS:
        return "—"
    sign, value, source = REFERENCE_COSTS[name]
    return "%s%.10g (%s)" % (sign, value, source)


def cell_text(text, limit=80):
    """Free text (a message) made safe for a table cell."""
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def certified_row(rows, entry):
    """One dataset's row of the certified section, or None without a
    certifiable run."""
    name = entry["dataset"]
    runs = [r["run"] for r in rows if r["dataset"] == name and r["solver"] == CERTIFY
            and r["view"] == "default" and r["load"] == QUIET]
    if not runs:
        return None
    default_runs = solver_runs(rows, name, "default", QUIET)
    choice = default_ceres_choice(default_runs)
    varpro = entry["stats"].get(("default", QUIET, VARPRO))
    tail = ([choice[0], fmt_cost(choice[1]["final_cost"]), fmt_time(choice[1]["wall"])]
            if choice else ["—", "—", "—"])
    tail += [fmt_cost(varpro["final_cost"]) if varpro else "—", fmt_reference(name)]
    certified = [r for r in runs if r.get("certificate")]
    if not certified:
        reason = "failed: " + cell_text(failure_reason(runs[0]))
        return [name, "no (%s)" % reason] + ["—"] * 6 + tail
    c = certified[0]["certificate"]  # The first repetition's certificate.
    total = median([r["certificate"].get("times", {}).get("total_seconds")
                    for r in certified])
    rank = "—" if c.get("final_rank") is None else "%d%s" % (
        c["final_rank"], " (max)" if c.get("max_rank_reached") else "")
    return [name, certificate_short(c), fmt_cost(c.get("final_cost")),
            fmt_small(c.get("lambda_min")), fmt_small(c.get("lambda_min_lower_bound")), rank,
            fmt_gap(c), fmt_time(total) + (" (cap)" if c.get("time_limit_reached") else "")
            ] + tail


def certified_section(rows, summary):
    """The certifiable solves (slam --certify) beside stock Ceres and plain
    VarPro, default view; empty without a certifiable run."""
    table = []
    for family in CERTIFY_FAMILIES:
        for entry in summary:
            if entry["family"] == family:
                row = certified_row(rows, entry)
                if row:
                    table.append("| " + " | ".join(row) + " |")
    if not table:
        return []
    caps = sorted({r["run"].get("max_seconds") for r in rows if r["solver"] == CERTIFY
                   and r["run"].get("max_seconds") is not None})
    counts = collections.Counter(r["dataset"] for r in rows if r["solver"] == CERTIFY)
    reps = "%d repetition%s" % (max(counts.values()), "" if max(counts.values()) == 1 else "s")
    if min(counts.values()) != max(counts.values()):
        reps = "%d to %s" % (min(counts.values()), reps)
    return [
        "## Certified solutions (slam --certify)", "",
        "`ceres_varpro slam --certify --solver=varpro` (Riemannian staircase on the lifted "
        "problem from its own initialization, certificate, rounding to rank d, refinement) "
        "on the pose-graph and range-aided families, default view, quiet machine, "
        "%s per dataset (the certificate of the first; time: median), wall-time cap %s s "
        "(`--max-seconds`, passed as `--max_solver_time`). Not part of the VarPro-vs-Ceres "
        "ratios, medians or targets above. *Certified*: the verdict in short (*globally "
        "optimal*: the relaxation is exact and the rank-d solution is within the gap of the "
        "global optimum). *Final cost*: the returned rank-d solution's cost; *λ_min*: the "
        "certificate matrix's smallest eigenvalue and its verified lower bound; *rank*: "
        "the staircase's last rank (*(max)*: the maximum rank was reached); *gap*: final "
        "cost − the relaxation's lower bound (relative when meaningful); *time*: the whole "
        "certifiable solve." % (reps, " / ".join("%g" % c for c in caps) or "?"), "",
        "*Ceres*: the stock Ceres configuration the default-view table compares (the "
        "fastest of those ending within 1e-5 relative of the lowest Ceres final cost), "
        "from the runner's start, median final cost and wall time; *VarPro*: today's "
        "plain VarPro (`--solver=varpro`), same start, median final cost. All costs are "
        "the same problem's (the runner's isotropic model, Ceres's ½‖r‖² convention). "
        "*Reference*: SE-Sync's published global optima, halved to the ½ convention; for "
        "range-aided SLAM the authors' rank-5 relaxation values (reference values / lower "
        "bounds, ≤ as published), not optima certified here.", "",
        "| dataset | certified | final cost | λ_min | λ_min verified > | rank "
        "| gap abs. (rel.) | time (s) | Ceres configuration | Ceres final cost "
        "| Ceres wall (s) | VarPro final cost | reference |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"] + table + [""]


def write_markdown(rows, summary, settings, path):
    """bench/RESULTS.md: header, the swap-in family first, then the runner's."""
    lines = header_lines(settings)
    for family, title in FAMILIES:
        entries = [e for e in summary if e["family"] == family]
        if entries:
            lines += family_section(title, entries, family.startswith("swapin"))
    lines += certified_section(rows, summary)
    lines += ["## VarPro time breakdown (first repetition, seconds)", ""]
    lines += breakdown_table(rows) + [""]
    lines += ["Convergence plots (cost − best cost against time, tight view, first "
              "repetition): `bench/results/plots/<dataset>.png` (swap-in cases: "
              "`swapin_<dataset>.png`).", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def plot(rows, directory):
    """Cost minus the best final cost against time, per case (tight view,
    quiet, first repetition; the default view when there is no tight one)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plots (apt-get install python3-matplotlib)")
        return
    os.makedirs(directory, exist_ok=True)
    by_case = {}
    for r in rows:
        if (r["load"] == QUIET and r["repetition"] == 1 and r["solver"] != CERTIFY
                and not is_failed(r["run"])):
            by_case.setdefault(r["dataset"], {}).setdefault(r["view"], []).append(r)
    for name, views in by_case.items():
        view = "tight" if "tight" in views else "default"
        runs = views[view]
        best = min(r["run"]["final_cost"] for r in runs)
        floor = max(abs(best) * 1e-12, 1e-300)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for r in runs:
            trace = r["run"]["trace"]
            ax.plot([p[0] for p in trace], [max(p[1] - best, floor) for p in trace],
                    marker=".", label=r["solver"],
                    linewidth=2.2 if r["solver"] == VARPRO else 1.2)
        ax.axhline(max(abs(best) * TARGET_TOLERANCE, floor), color="gray", linestyle=":",
                   linewidth=1, label="1e-6 of best cost")
        ax.set_yscale("log")
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("cost − best final cost")
        ax.set_title("%s, %s tolerances (best cost %.6g)" % (name, view, best))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(directory, name.replace(":", "_") + ".png"), dpi=110)
        plt.close(fig)


def write_reports(rows, settings, args):
    """CSV, markdown and plots from the recorded rows."""
    rows = with_times_to_target(rows)
    write_csv(rows, os.path.join(args.results, "runs.csv"))
    write_markdown(rows, summarize(rows), settings, args.markdown)
    plot(rows, os.path.join(args.results, "plots"))
    print("wrote %s, %s and plots in %s" % (os.path.join(args.results, "runs.csv"),
                                             args.markdown, os.path.join(args.results, "plots")))


# ---------------------------------------------------------------------------
# Regression check and baseline

def regress_settings(args, baseline):
    """Tolerances and caps as the baseline records them (REGRESS_DEFAULTS
    keys): the command line's, else the baseline's, else the defaults."""
    recorded = baseline.get("settings", {}) if baseline else {}
    settings = {}
    for key, default in REGRESS_DEFAULTS.items():
        value = getattr(args, key)
        settings[key] = value if value is not None else recorded.get(key, default)
    return settings


def solve_settings(settings):
    """REGRESS_DEFAULTS-style settings in the form run_cli takes."""
    return {"function": settings["function_tolerance"],
            "gradient": settings["gradient_tolerance"],
            "parameter": settings["parameter_tolerance"],
            "max_iterations": settings["max_iterations"], "max_seconds": settings["max_seconds"]}


def regress_solve(tool, name, settings):
    """One VarPro solve for the regression check (one thread: deterministic)."""
    return run_cli(tool, name, dataset_path(name, tool), ["--solver=varpro"],
                   solve_settings(settings), threads=1)


def check_against_baseline(name, run, expected, settings, args):
    """The regressions of one solve against its baseline entry (list of text)."""
    if is_failed(run):
        return ["%s: the solve failed: %s" % (name, failure_reason(run))]
    problems = []
    cost_allowed = expected["final_cost"] * (1 + args.cost_tolerance) + 1e-12
    if run["final_cost"] > cost_allowed:
        problems.append("%s: final cost %.12g > baseline %.12g (tolerance %g relative)" %
                        (name, run["final_cost"], expected["final_cost"], args.cost_tolerance))
    iterations_allowed = int(expected["iterations"] * (1 + args.iteration_tolerance)) + 1
    if run["iterations"] > iterations_allowed:
        problems.append("%s: %d iterations > %d allowed (baseline %d)" %
                        (name, run["iterations"], iterations_allowed, expected["iterations"]))
    cap = settings["max_iterations"]
    capped_now = is_capped(run) or run["iterations"] >= cap
    baseline_cap = expected.get("max_iterations")
    baseline_capped = (expected.get("termination") == CAPPED or
                       (baseline_cap is not None and expected["iterations"] >= baseline_cap))
    if capped_now and not (baseline_capped and baseline_cap == cap):
        problems.append("%s: stopped at the cap (%s, %d iterations, cap %d); the baseline "
                        "did not stop at that cap (%d iterations, %s, cap %s)" %
                        (name, run["termination"], run["iterations"], cap,
                         expected["iterations"], expected.get("termination", "?"),
                         baseline_cap))
    return problems


def regression_names(baseline):
    """Baseline datasets, then `small` datasets missing from the baseline."""
    names = sorted(baseline["datasets"])
    return names + [n for n in GROUPS["small"] if n not in baseline["datasets"]]


def regress(args, tool):
    """Solves the baseline's datasets with VarPro and compares; exit status."""
    try:
        with open(args.baseline) as f:
            baseline = json.load(f)
    except (OSError, ValueError) as e:
        print("regression: cannot read %s: %s" % (args.baseline, e), file=sys.stderr)
        return 1
    settings = regress_settings(args, baseline)
    failures, compared = [], 0
    for name in regression_names(baseline):
        expected = baseline["datasets"].get(name)
        if name not in DATASETS:
            failures.append("%s: in the baseline but unknown to the harness" % name)
            continue
        if expected is None:
            failures.append("%s: in the `small` group but not in %s (run --update-baseline)" %
                            (name, args.baseline))
            continue
        if dataset_path(name, tool) is None:
            if shared_available():
                failures.append("%s: dataset missing (%s)" %
                                (name, os.path.join(SHARED_DIR[0], DATASETS[name][1])))
            else:
                print("skip %s (no shared datasets at %s)" % (name, SHARED_DIR[0]))
            continue
        run = regress_solve(tool, name, settings)
        compared += 1
        problems = check_against_baseline(name, run, expected, settings, args)
        if run["final_cost"] is not None:
            print("%-24s cost %.12g (baseline %.12g), iterations %d (baseline %d), %s %s" %
                  (name, run["final_cost"], expected["final_cost"], run["iterations"],
                   expected["iterations"], run["termination"],
                   "REGRESSED" if problems else "ok"))
        failures += problems
    if compared == 0:
        failures.append("no dataset compared")
    for failure in failures:
        print("REGRESSION: " + failure, file=sys.stderr)
    if failures:
        print("regression check FAILED: %d datasets solved, %d problems" %
              (compared, len(failures)), file=sys.stderr)
        return 1
    print("regression check passed: %d datasets" % compared)
    return 0


def update_baseline(args, tool, names):
    """Solves `names` with VarPro (one thread) and writes the baseline, with
    the settings used; refuses when a solve fails or a dataset is missing."""
    settings = regress_settings(args, None)
    datasets, problems = {}, []
    for name in names:
        if dataset_path(name, tool) is None:
            if shared_available():
                problems.append("%s: dataset missing" % name)
            else:
                print("skip %s (no shared datasets at %s)" % (name, SHARED_DIR[0]))
            continue
        run = regress_solve(tool, name, settings)
        if is_failed(run):
            problems.append("%s: the solve failed: %s" % (name, failure_reason(run)))
            continue
        datasets[name] = {"final_cost": run["final_cost"], "iterations": run["iterations"],
                          "termination": run["termination"],
                          "max_iterations": settings["max_iterations"]}
        print("%-24s %.12g %d %s" % (name, run["final_cost"], run["iterations"],
                                     run["termination"]))
    if problems:
        for p in problems:
            print("baseline not written: " + p, file=sys.stderr)
        return 1
    baseline = {"note": "VarPro, one thread; regenerate with "
                        "`python3 bench/run_benchmarks.py --update-baseline`",
                "settings": settings,
                "tool": os.path.relpath(tool, ROOT), "date": datetime.date.today().isoformat(),
                "datasets": datasets}
    temporary = args.baseline + ".tmp"
    with open(temporary, "w") as f:
        json.dump(baseline, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(temporary, args.baseline)
    print("wrote %s (%d datasets)" % (args.baseline, len(datasets)))
    return 0


# ---------------------------------------------------------------------------
# Command line

def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=None,
                        help="comma-separated names or groups (%s); default: all for a "
                             "benchmark, small for --update-baseline" % ", ".join(GROUPS))
    parser.add_argument("--reps", type=int, default=3,
                        help="repetitions of every solve (medians are reported)")
    parser.add_argument("--threads", type=int, default=2, help="threads per solve")
    parser.add_argument("--views", default="default,tight",
                        help="comma-separated views to run: default (Ceres's default "
                             "tolerances) and/or tight (the --*-tolerance values)")
    parser.add_argument("--no-busy", dest="busy", action="store_false",
                        help="skip the busy-machine runs of the swap-in family")
    parser.add_argument("--with-cgnr", action="store_true",
                        help="add ceres CGNR+JACOBI to the runner's SLAM configurations")
    parser.add_argument("--varpro-only", action="store_true",
                        help="run VarPro only (no stock Ceres configuration; the "
                             "certifiable solve still runs unless --no-certify)")
    parser.add_argument("--no-certify", dest="certify", action="store_false",
                        help="skip the certifiable solve (slam --certify) of the pose3d, "
                             "pose2d and ra families")
    parser.add_argument("--certify-only", action="store_true",
                        help="run only the certifiable solve (pose3d, pose2d and ra cases "
                             "of --datasets; default view, quiet); implies --resume: the "
                             "runs already recorded are kept and reported")
    parser.add_argument("--certify-reps", type=int, default=1,
                        help="repetitions of the certifiable solve (default 1: it is slow)")
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="iteration cap (default 500; --regress: the baseline's, "
                             "1000 when it has none)")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="wall-time cap per solve, seconds (a capped run reports "
                             "NO_CONVERGENCE; default 300; --regress: the baseline's)")
    parser.add_argument("--function-tolerance", type=float, default=None,
                        help="tight view's function tolerance (default 1e-10; swap_in_bench "
                             "--tight always uses 1e-10)")
    parser.add_argument("--gradient-tolerance", type=float, default=None,
                        help="tight view's gradient tolerance (default 1e-10)")
    parser.add_argument("--parameter-tolerance", type=float, default=None,
                        help="tight view's parameter tolerance (default 1e-10)")
    parser.add_argument("--tool", default=DEFAULT_TOOL, help="the ceres_varpro runner")
    parser.add_argument("--swapin-tool", default=DEFAULT_SWAPIN,
                        help="the swap_in_bench program")
    parser.add_argument("--shared", default=SHARED_DIR[0],
                        help="folder of the public datasets (default: ../shared/datasets)")
    parser.add_argument("--results", default=os.path.join(ROOT, "bench", "results"),
                        help="folder of runs.jsonl, runs.csv, settings.json and plots/")
    parser.add_argument("--markdown", default=os.path.join(ROOT, "bench", "RESULTS.md"),
                        help="the markdown report to write")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in <results>/runs.jsonl, run the rest")
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild CSV, markdown and plots from <results>/runs.jsonl")
    parser.add_argument("--regress", action="store_true",
                        help="compare VarPro on the baseline's datasets with the baseline; "
                             "exit 1 on a regression")
    parser.add_argument("--update-baseline", "--write-baseline", dest="update_baseline",
                        action="store_true",
                        help="regenerate the baseline (VarPro, one thread, the `small` group "
                             "unless --datasets is given)")
    parser.add_argument("--baseline", default=os.path.join(ROOT, "bench", "baseline.json"),
                        help="the regression baseline")
    parser.add_argument("--cost-tolerance", type=float, default=1e-6,
                        help="regression: allowed relative increase of the final cost")
    parser.add_argument("--iteration-tolerance", type=float, default=0.10,
                        help="regression: allowed relative increase of iterations (+1)")
    return parser.parse_args()


def selected_names(spec):
    """Dataset names from a comma-separated list of names and groups."""
    names = []
    for item in spec.split(","):
        names += GROUPS.get(item, [item])
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        sys.exit("unknown datasets: %s (groups: %s)" % (", ".join(unknown), ", ".join(GROUPS)))
    return list(dict.fromkeys(names))


def benchmark_defaults(args):
    """Fills the benchmark's defaults of the flags shared with --regress."""
    for key, default in REGRESS_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, default)


def main():
    """Dispatches to the regression check, the baseline, or the benchmark."""
    args = parse_args()
    SHARED_DIR[0] = os.path.abspath(args.shared)
    tools = {"cli": os.path.abspath(args.tool), "swapin": os.path.abspath(args.swapin_tool)}
    if not os.access(tools["cli"], os.X_OK):
        sys.exit("no ceres_varpro tool at %s (build first: scripts/setup.sh)" % tools["cli"])
    if args.regress:
        sys.exit(regress(args, tools["cli"]))
    if args.update_baseline:
        sys.exit(update_baseline(args, tools["cli"], selected_names(args.datasets or "small")))
    benchmark_defaults(args)
    args.views = [v for v in args.views.split(",") if v]
    if not args.views or any(v not in VIEWS for v in args.views):
        sys.exit("--views takes default and/or tight")
    if args.report_only:
        rows = load_raw(os.path.join(args.results, "runs.jsonl"))
        settings_path = os.path.join(args.results, "settings.json")
        settings = {k: getattr(args, k) for k in SETTINGS}
        if os.path.exists(settings_path):
            with open(settings_path) as f:
                settings.update(json.load(f))
        write_reports(rows, settings, args)
        return
    names = selected_names(args.datasets or "all")
    if args.certify_only:
        if not args.certify:
            sys.exit("--certify-only and --no-certify exclude each other")
        names = [n for n in names if DATASETS[n][0] in CERTIFY_FAMILIES]
        if not names:
            sys.exit("--certify-only: no pose3d, pose2d or ra dataset selected")
        args.resume = True  # Adds to the recorded runs, never starts afresh.
    if any(is_swapin(n) for n in names) and not os.access(tools["swapin"], os.X_OK):
        sys.exit("no swap_in_bench at %s (build first)" % tools["swapin"])
    rows = run_benchmarks(args, tools, names)
    with open(os.path.join(args.results, "settings.json")) as f:
        settings = json.load(f)
    write_reports(rows, settings, args)


if __name__ == "__main__":
    main()

#ifndef CERES_VARPRO_ENGINE_OPENMP_TEAM_CAP_H_
#define CERES_VARPRO_ENGINE_OPENMP_TEAM_CAP_H_

namespace ceres_varpro::internal {

// CHOLMOD may open OpenMP parallel regions (its supernodal factorisation
// does, which the engine replaced by SupernodalFactorizer) with a team size
// fixed when it was built (Debian's asks for 4), whatever
// Solver::Options::num_threads says: on a 2-core machine, beside the engine's
// own threads, the team oversubscribes the cores, and on a shared machine
// its threads spin while they wait. For its lifetime an OpenMpTeamCap bounds
// the teams that the calling thread opens by num_threads and lets the OpenMP
// runtime shrink them by the machine's load (dynamic teams). Both are
// settings of the calling thread only, restored on destruction. The runtime
// is the one CHOLMOD loaded into the process; without one nothing happens.
class OpenMpTeamCap {
 public:
  explicit OpenMpTeamCap(int num_threads);
  ~OpenMpTeamCap();
  OpenMpTeamCap(const OpenMpTeamCap&) = delete;
  OpenMpTeamCap& operator=(const OpenMpTeamCap&) = delete;

 private:
  bool active_ = false;
  int saved_max_threads_ = 1;
  int saved_dynamic_ = 0;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_OPENMP_TEAM_CAP_H_

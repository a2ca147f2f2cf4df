#include "engine/openmp_team_cap.h"

#include <dlfcn.h>

#include <algorithm>

namespace ceres_varpro::internal {
namespace {

// The OpenMP runtime's entry points, looked up in the process rather than
// linked: the project itself does not use OpenMP, and the runtime to steer
// is whichever CHOLMOD brought in.
struct OpenMpRuntime {
  int (*get_max_threads)() = nullptr;
  void (*set_num_threads)(int) = nullptr;
  int (*get_dynamic)() = nullptr;
  void (*set_dynamic)(int) = nullptr;
  bool found() const {
    return get_max_threads != nullptr && set_num_threads != nullptr &&
           get_dynamic != nullptr && set_dynamic != nullptr;
  }
};

template <typename F>
void Lookup(const char* name, F* f) {
  *f = reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

const OpenMpRuntime& Runtime() {
  static const OpenMpRuntime runtime = [] {
    OpenMpRuntime r;
    Lookup("omp_get_max_threads", &r.get_max_threads);
    Lookup("omp_set_num_threads", &r.set_num_threads);
    Lookup("omp_get_dynamic", &r.get_dynamic);
    Lookup("omp_set_dynamic", &r.set_dynamic);
    return r;
  }();
  return runtime;
}

}  // namespace

OpenMpTeamCap::OpenMpTeamCap(int num_threads) {
  const OpenMpRuntime& omp = Runtime();
  if (!omp.found()) return;
  active_ = true;
  saved_max_threads_ = omp.get_max_threads();
  saved_dynamic_ = omp.get_dynamic();
  omp.set_num_threads(std::max(1, num_threads));
  omp.set_dynamic(1);
}

OpenMpTeamCap::~OpenMpTeamCap() {
  if (!active_) return;
  const OpenMpRuntime& omp = Runtime();
  omp.set_dynamic(saved_dynamic_);
  omp.set_num_threads(saved_max_threads_);
}

}  // namespace ceres_varpro::internal

// Fits y = a·exp(b·x) + c: a and c enter linearly, b does not.
#include <cmath>
#include <iostream>

#include "ceres/ceres.h"
#include "ceres_varpro/ceres_varpro.h"

struct Exponential {
  Exponential(double x, double y) : x(x), y(y) {}
  template <typename T>
  bool operator()(const T* ac, const T* b, T* r) const {
    r[0] = ac[0] * exp(b[0] * x) + ac[1] - y;
    return true;
  }
  double x, y;
};

int main() {
  double ac[2] = {1.0, 0.0};
  double b[1] = {0.1};
  ceres::Problem problem;
  for (int i = 0; i < 50; ++i) {
    const double x = 0.05 * i;
    problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<Exponential, 1, 2, 1>(
            new Exponential(x, 2.0 * std::exp(-1.3 * x) + 0.5)),
        nullptr, ac, b);
  }
  ceres_varpro::Solver::Options options;
  options.linear_parameter_blocks = {ac};
  ceres_varpro::Solver::Summary summary;
  ceres_varpro::Solve(options, &problem, &summary);
  std::cout << summary.BriefReport() << "\n";
  const bool ok = summary.IsSolutionUsable() && std::abs(b[0] + 1.3) < 1e-6 &&
                  std::abs(ac[0] - 2.0) < 1e-6 && std::abs(ac[1] - 0.5) < 1e-6;
  std::cout << (ok ? "consumer: OK" : "consumer: WRONG RESULT") << "\n";
  return ok ? 0 : 1;
}

#include "ceres_varpro/types.h"

#include <algorithm>
#include <cctype>

namespace ceres_varpro {
namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

const char* ReducedLinearSolverTypeToString(ReducedLinearSolverType type) {
  switch (type) {
    case ReducedLinearSolverType::AUTO:
      return "AUTO";
    case ReducedLinearSolverType::ITERATIVE:
      return "ITERATIVE";
    case ReducedLinearSolverType::DENSE:
      return "DENSE";
    case ReducedLinearSolverType::SPARSE_JOINT:
      return "SPARSE_JOINT";
  }
  return "UNKNOWN";
}

const char* ReducedPreconditionerTypeToString(ReducedPreconditionerType type) {
  switch (type) {
    case ReducedPreconditionerType::AUTO:
      return "AUTO";
    case ReducedPreconditionerType::BLOCK_JACOBI:
      return "BLOCK_JACOBI";
    case ReducedPreconditionerType::SCHUR_JACOBI:
      return "SCHUR_JACOBI";
    case ReducedPreconditionerType::JOINT_CHOLESKY:
      return "JOINT_CHOLESKY";
  }
  return "UNKNOWN";
}

const char* GaugePolicyToString(GaugePolicy policy) {
  switch (policy) {
    case GaugePolicy::PIN_ONE_BLOCK_PER_COMPONENT:
      return "PIN_ONE_BLOCK_PER_COMPONENT";
    case GaugePolicy::NONE:
      return "NONE";
  }
  return "UNKNOWN";
}

const char* EliminationRegimeToString(EliminationRegime regime) {
  switch (regime) {
    case EliminationRegime::NO_LINEAR_BLOCKS:
      return "NO_LINEAR_BLOCKS";
    case EliminationRegime::COUPLED_CONSTANT_GRAM:
      return "COUPLED_CONSTANT_GRAM";
    case EliminationRegime::COUPLED_VARYING_GRAM:
      return "COUPLED_VARYING_GRAM";
    case EliminationRegime::INDEPENDENT_AFFINE:
      return "INDEPENDENT_AFFINE";
    case EliminationRegime::INDEPENDENT_NONLINEAR:
      return "INDEPENDENT_NONLINEAR";
  }
  return "UNKNOWN";
}

bool StringToReducedLinearSolverType(std::string value,
                                     ReducedLinearSolverType* type) {
  value = Upper(value);
  for (auto t :
       {ReducedLinearSolverType::AUTO, ReducedLinearSolverType::ITERATIVE,
        ReducedLinearSolverType::DENSE,
        ReducedLinearSolverType::SPARSE_JOINT}) {
    if (value == ReducedLinearSolverTypeToString(t)) {
      *type = t;
      return true;
    }
  }
  return false;
}

bool StringToReducedPreconditionerType(std::string value,
                                       ReducedPreconditionerType* type) {
  value = Upper(value);
  for (auto t : {ReducedPreconditionerType::AUTO,
                 ReducedPreconditionerType::BLOCK_JACOBI,
                 ReducedPreconditionerType::SCHUR_JACOBI,
                 ReducedPreconditionerType::JOINT_CHOLESKY}) {
    if (value == ReducedPreconditionerTypeToString(t)) {
      *type = t;
      return true;
    }
  }
  return false;
}

bool StringToGaugePolicy(std::string value, GaugePolicy* policy) {
  value = Upper(value);
  for (auto p : {GaugePolicy::PIN_ONE_BLOCK_PER_COMPONENT, GaugePolicy::NONE}) {
    if (value == GaugePolicyToString(p)) {
      *policy = p;
      return true;
    }
  }
  return false;
}

}  // namespace ceres_varpro

// Every SLAM cost function against numeric differentiation, residuals at
// exact measurements, and affinity in the blocks that are eliminated.

#include <random>

#include "Eigen/Geometry"
#include "ceres/ceres.h"
#include "ceres_varpro/slam/chordal_rotation_cost.h"
#include "ceres_varpro/slam/range_cost.h"
#include "ceres_varpro/slam/relative_pose_cost.h"
#include "ceres_varpro/slam/relative_position_cost.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

template <int kDim>
Eigen::Matrix<double, kDim, kDim> Rotation(double a, double b, double c) {
  if constexpr (kDim == 2) {
    Eigen::Matrix2d r;
    r << std::cos(a), -std::sin(a), std::sin(a), std::cos(a);
    (void)b;
    (void)c;
    return r;
  } else {
    const Eigen::Vector3d w(a, b, c);
    return Eigen::AngleAxisd(w.norm(), w.normalized()).toRotationMatrix();
  }
}

// Analytic Jacobians of `cost` equal central differences at `params`.
void ExpectJacobiansMatchNumeric(const ceres::CostFunction& cost,
                                 std::vector<std::vector<double>> params) {
  const int m = cost.num_residuals();
  const auto& sizes = cost.parameter_block_sizes();
  std::vector<const double*> p;
  for (auto& v : params) p.push_back(v.data());
  std::vector<std::vector<double>> jac(sizes.size());
  std::vector<double*> jp;
  for (size_t k = 0; k < sizes.size(); ++k) {
    jac[k].resize(m * sizes[k]);
    jp.push_back(jac[k].data());
  }
  std::vector<double> r(m), rp(m), rm(m);
  ASSERT_TRUE(cost.Evaluate(p.data(), r.data(), jp.data()));
  const double h = 1e-6;
  for (size_t k = 0; k < sizes.size(); ++k) {
    for (int c = 0; c < sizes[k]; ++c) {
      const double saved = params[k][c];
      params[k][c] = saved + h;
      ASSERT_TRUE(cost.Evaluate(p.data(), rp.data(), nullptr));
      params[k][c] = saved - h;
      ASSERT_TRUE(cost.Evaluate(p.data(), rm.data(), nullptr));
      params[k][c] = saved;
      for (int i = 0; i < m; ++i) {
        const double numeric = (rp[i] - rm[i]) / (2 * h);
        const double analytic = jac[k][i * sizes[k] + c];
        EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
            << "block " << k << " column " << c << " residual " << i;
      }
    }
  }
}

template <int kDim>
std::vector<double> Flat(const Eigen::Matrix<double, kDim, kDim>& m) {
  return std::vector<double>(m.data(), m.data() + kDim * kDim);
}
template <int kDim>
std::vector<double> Flat(const Eigen::Matrix<double, kDim, 1>& v) {
  return std::vector<double>(v.data(), v.data() + kDim);
}

template <typename T>
class SlamCosts : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(SlamCosts, Dimensions);

TYPED_TEST(SlamCosts, JacobiansMatchNumericDifferentiation) {
  constexpr int d = TypeParam::value;
  using Matrix = Eigen::Matrix<double, d, d>;
  using Vector = Eigen::Matrix<double, d, 1>;
  const Matrix ri = Rotation<d>(0.3, -0.5, 0.8),
               rj = Rotation<d>(-1.2, 0.4, 0.1);
  const Matrix measured = Rotation<d>(0.2, 0.1, -0.3);
  const Vector ti = Vector::LinSpaced(1.0, 2.0),
               tj = Vector::LinSpaced(-0.5, 0.5);
  const Vector z = Vector::LinSpaced(0.3, -0.2);
  Matrix s = Matrix::Identity();
  s(0, d - 1) = 0.4;  // Any square root of an information matrix.

  ExpectJacobiansMatchNumeric(ChordalRotationCost<d>(measured, 7.0),
                              {Flat<d>(ri), Flat<d>(rj)});
  ExpectJacobiansMatchNumeric(RelativePositionCost<d>(z, 2.0 * s),
                              {Flat<d>(ri), Flat<d>(ti), Flat<d>(tj)});
  Vector bearing = Vector::LinSpaced(1.0, 0.2).normalized();
  ExpectJacobiansMatchNumeric(RangeCost<d>(3.5, 0.5),
                              {Flat<d>(ti), Flat<d>(tj), Flat<d>(bearing)});
  constexpr int p = d + d * (d - 1) / 2;
  Eigen::Matrix<double, p, p> u = Eigen::Matrix<double, p, p>::Identity();
  u(0, p - 1) = 0.3;
  std::unique_ptr<ceres::CostFunction> pose(
      RelativePoseResidual<d>::Create(measured, z, 3.0 * u));
  ExpectJacobiansMatchNumeric(
      *pose, {Flat<d>(ri), Flat<d>(ti), Flat<d>(rj), Flat<d>(tj)});
  std::unique_ptr<ceres::CostFunction> landmark(
      RelativeLandmarkResidual<d>::Create(z, s));
  ExpectJacobiansMatchNumeric(*landmark,
                              {Flat<d>(ri), Flat<d>(ti), Flat<d>(tj)});
}

TYPED_TEST(SlamCosts, ZeroAtExactMeasurements) {
  constexpr int d = TypeParam::value;
  using Matrix = Eigen::Matrix<double, d, d>;
  using Vector = Eigen::Matrix<double, d, 1>;
  const Matrix ri = Rotation<d>(0.3, -0.5, 0.8),
               rj = Rotation<d>(-1.2, 0.4, 0.1);
  const Vector ti = Vector::LinSpaced(1.0, 2.0),
               tj = Vector::LinSpaced(-0.5, 0.5);
  const Matrix rel = ri.transpose() * rj;
  const Vector t_rel = ri.transpose() * (tj - ti);
  const double* p2[] = {ri.data(), rj.data()};
  const double* p3[] = {ri.data(), ti.data(), tj.data()};
  const double* p4[] = {ri.data(), ti.data(), rj.data(), tj.data()};
  double r[12];
  ASSERT_TRUE(ChordalRotationCost<d>(rel, 5.0).Evaluate(p2, r, nullptr));
  EXPECT_NEAR(Eigen::Map<Eigen::VectorXd>(r, d * d).norm(), 0.0, 1e-14);
  ASSERT_TRUE(RelativePositionCost<d>(t_rel, Matrix::Identity())
                  .Evaluate(p3, r, nullptr));
  EXPECT_NEAR(Eigen::Map<Eigen::VectorXd>(r, d).norm(), 0.0, 1e-14);
  constexpr int p = d + d * (d - 1) / 2;
  std::unique_ptr<ceres::CostFunction> pose(RelativePoseResidual<d>::Create(
      rel, t_rel, Eigen::Matrix<double, p, p>::Identity()));
  ASSERT_TRUE(pose->Evaluate(p4, r, nullptr));
  EXPECT_NEAR(Eigen::Map<Eigen::VectorXd>(r, p).norm(), 0.0, 1e-12);
  const Vector b = (ti - tj).normalized();
  const double* pr[] = {ti.data(), tj.data(), b.data()};
  ASSERT_TRUE(RangeCost<d>((ti - tj).norm(), 0.1).Evaluate(pr, r, nullptr));
  EXPECT_NEAR(Eigen::Map<Eigen::VectorXd>(r, d).norm(), 0.0, 1e-13);
}

// The eliminated blocks (translations, landmarks, positions) enter affinely:
// the Jacobian w.r.t. them is the same wherever they are.
TYPED_TEST(SlamCosts, LinearBlocksEnterAffinely) {
  constexpr int d = TypeParam::value;
  using Matrix = Eigen::Matrix<double, d, d>;
  using Vector = Eigen::Matrix<double, d, 1>;
  const Matrix ri = Rotation<d>(0.3, -0.5, 0.8),
               rj = Rotation<d>(-1.2, 0.4, 0.1);
  constexpr int p = d + d * (d - 1) / 2;
  std::unique_ptr<ceres::CostFunction> full(RelativePoseResidual<d>::Create(
      Rotation<d>(0.1, 0.2, 0.3), Vector::Ones(),
      Eigen::Matrix<double, p, p>::Identity()));
  RelativePositionCost<d> position(Vector::Ones(), 2.0 * Matrix::Identity());
  RangeCost<d> range(2.0, 0.3);
  const Vector b = Vector::LinSpaced(0.5, 1.0).normalized();
  for (const auto& [cost, linear_blocks] :
       {std::pair<const ceres::CostFunction*, std::vector<int>>{full.get(),
                                                                {1, 3}},
        {&position, {1, 2}},
        {&range, {0, 1}}}) {
    const int m = cost->num_residuals();
    std::vector<std::vector<double>> j0(4), j1(4);
    for (int trial = 0; trial < 2; ++trial) {
      const double shift = trial == 0 ? 0.0 : 7.5;
      const Vector ta = Vector::Constant(1.0 + shift),
                   tb = Vector::Constant(-2.0 - 2 * shift);
      std::vector<const double*> params;
      if (cost == full.get())
        params = {ri.data(), ta.data(), rj.data(), tb.data()};
      if (cost == &position) params = {ri.data(), ta.data(), tb.data()};
      if (cost == &range) params = {ta.data(), tb.data(), b.data()};
      auto& j = trial == 0 ? j0 : j1;
      std::vector<double*> jp;
      for (size_t k = 0; k < params.size(); ++k) {
        j[k].resize(m * cost->parameter_block_sizes()[k]);
        jp.push_back(j[k].data());
      }
      std::vector<double> r(m);
      ASSERT_TRUE(cost->Evaluate(params.data(), r.data(), jp.data()));
    }
    for (int k : linear_blocks) {
      for (size_t i = 0; i < j0[k].size(); ++i)
        EXPECT_NEAR(j0[k][i], j1[k][i], 1e-12);
    }
  }
}

}  // namespace
}  // namespace ceres_varpro

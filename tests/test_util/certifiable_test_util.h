#ifndef CERES_VARPRO_TESTS_TEST_UTIL_CERTIFIABLE_TEST_UTIL_H_
#define CERES_VARPRO_TESTS_TEST_UTIL_CERTIFIABLE_TEST_UTIL_H_

// Graphs and lifted points for the tests of the certifiable solver.

#include "Eigen/Core"
#include "ceres_varpro/io/slam_graph.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::testing {

// A small range-aided graph in dimension d: one robot on a loop with
// odometry, beacons (landmarks) ranged from the poses, ranges between some
// poses, and relative landmark measurements of one beacon. Measurements
// carry Gaussian noise of standard deviation `noise` (zero: an exact graph).
SlamGraph RangeAidedTestGraph(int d, int num_poses, double noise,
                              unsigned int seed);

// A point of the lifted manifold for a graph with `num_poses` poses and
// `num_bearings` bearings: r×N, pose blocks on St(d, r), unit bearings.
Eigen::MatrixXd RandomLiftedPoint(int r, int d, int num_poses, int num_bearings,
                                  TestRandom* random);

}  // namespace ceres_varpro::testing

#endif  // CERES_VARPRO_TESTS_TEST_UTIL_CERTIFIABLE_TEST_UTIL_H_

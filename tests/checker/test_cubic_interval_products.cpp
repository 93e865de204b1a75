// Lemma A1 (SPEC 3.1): the outward-rounded binary64 matrix products the cubic strategy uses for its
// path tables (checker/interval_matrix.hpp, enclose_path_terms) enclose the exact GMP products,
// on random inputs and on adversarial ones: huge and tiny magnitudes, subnormal operands and
// results, massive cancellation, signed zeros, overflow. Checker only.
#include <cfenv>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "checker/exact_matrix.hpp"
#include "checker/fp_environment.hpp"
#include "checker/interval_matrix.hpp"
#include "checker/path_terms.hpp"
#include "format/model_weights.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;

namespace {

// lo <= x <= hi for the exact x, via the tightest enclosure of x (the nearest doubles around it):
// a double is <= x iff it is <= the largest double <= x.
void require_encloses(const IntervalMatrix& got, const ExactMatrix& exact) {
  REQUIRE(got.rows == exact.rows);
  REQUIRE(got.cols == exact.cols);
  const IntervalMatrix tight = enclose(exact);
  for (int64_t i = 0; i < exact.rows; ++i)
    for (int64_t j = 0; j < exact.cols; ++j) {
      INFO("entry (" << i << ", " << j << "): [" << got.at(i, j).lo << ", " << got.at(i, j).hi
                     << "] vs exact in [" << tight.at(i, j).lo << ", " << tight.at(i, j).hi << "]");
      REQUIRE(got.at(i, j).lo <= tight.at(i, j).lo);
      REQUIRE(tight.at(i, j).hi <= got.at(i, j).hi);
    }
}

// A random double of the given exponent range (sign, 53-bit mantissa), sometimes 0 or -0.
double random_double(std::mt19937_64& g, int emin, int emax) {
  std::uniform_int_distribution<int> ex(emin, emax), kind(0, 19);
  std::uniform_real_distribution<double> mant(0.5, 1.0);
  const int k = kind(g);
  if (k == 0) return 0.0;
  if (k == 1) return -0.0;
  const double x = std::ldexp(mant(g), ex(g));  // may be subnormal (or 0) for very small exponents
  return (k % 2) ? -x : x;
}

Matrix random_matrix(std::mt19937_64& g, int64_t r, int64_t c, int emin, int emax) {
  Matrix m(r, c);
  for (double& x : m.data) x = random_double(g, emin, emax);
  return m;
}

// A random interval matrix and a point matrix inside it (endpoints, or exact values in between).
struct Boxed {
  IntervalMatrix box;
  Matrix inside;
};
Boxed random_box(std::mt19937_64& g, int64_t r, int64_t c, int emin, int emax) {
  Boxed b{IntervalMatrix(r, c), random_matrix(g, r, c, emin, emax)};
  std::uniform_int_distribution<int> pick(0, 3);
  for (size_t i = 0; i < b.inside.data.size(); ++i) {
    const double x = b.inside.data[i], w = std::fabs(random_double(g, emin, emax));
    b.box.lo[i] = x;
    b.box.hi[i] = x;
    switch (pick(g)) {
      case 0: b.box.hi[i] = x + w; break;  // may round either way: widen explicitly below
      case 1: b.box.lo[i] = x - w; break;
      case 2: b.box.lo[i] = x - w, b.box.hi[i] = x + w; break;
      default: break;  // a point
    }
    b.box.lo[i] = std::min(b.box.lo[i], x);
    b.box.hi[i] = std::max(b.box.hi[i], x);
  }
  return b;
}

}  // namespace

TEST_CASE("point products enclose the exact product at every magnitude", "[arithmetic][a1]") {
  require_sound_fp_environment();
  std::mt19937_64 g(2026);
  struct Range {
    const char* name;
    int emin, emax;
  };
  const Range ranges[] = {{"moderate", -30, 30},
                          {"float32-like", -126, 127},
                          {"tiny and subnormal", -1080, -1000},
                          {"huge", 400, 500},
                          {"everything finite", -1080, 500}};
  for (const Range& r : ranges) {
    INFO(r.name);
    for (int trial = 0; trial < 60; ++trial) {
      const Matrix a = random_matrix(g, 1 + trial % 5, 1 + trial % 9, r.emin, r.emax);
      const Matrix b = random_matrix(g, a.cols, 1 + trial % 7, r.emin, r.emax);
      const IntervalMatrix c = multiply_points(a, b);
      require_encloses(c, multiply(exact_from(a), exact_from(b)));
      REQUIRE(std::fegetround() == FE_TONEAREST);  // the mode is restored
    }
  }
}

TEST_CASE("interval-times-point and point-times-interval products enclose every point inside",
          "[arithmetic][a1]") {
  require_sound_fp_environment();
  std::mt19937_64 g(77);
  for (int trial = 0; trial < 300; ++trial) {
    const int emin = trial % 3 == 0 ? -1074 : -40, emax = trial % 3 == 0 ? -900 : 40;
    const Boxed x = random_box(g, 1 + trial % 6, 1 + trial % 8, emin, emax);
    const Matrix p = random_matrix(g, x.box.cols, 1 + trial % 5, emin, emax);
    const Matrix q = random_matrix(g, 1 + trial % 4, x.box.rows, emin, emax);
    // box · p contains inside · p, q · box contains q · inside.
    require_encloses(multiply(x.box, p), multiply(exact_from(x.inside), exact_from(p)));
    require_encloses(multiply(q, x.box), multiply(exact_from(q), exact_from(x.inside)));
  }
}

TEST_CASE("chained products enclose the exact chain", "[arithmetic][a1]") {
  require_sound_fp_environment();
  std::mt19937_64 g(5);
  for (int trial = 0; trial < 40; ++trial) {
    const Matrix a = random_matrix(g, 6, 5, -60, 60), b = random_matrix(g, 5, 4, -60, 60);
    const Matrix c = random_matrix(g, 4, 7, -60, 60), d = random_matrix(g, 3, 6, -60, 60);
    const IntervalMatrix ab = multiply_points(a, b);
    const ExactMatrix eab = multiply(exact_from(a), exact_from(b));
    require_encloses(multiply(ab, c), multiply(eab, exact_from(c)));                // (a b) c
    require_encloses(multiply(d, ab), multiply(exact_from(d), eab));                // d (a b)
    require_encloses(multiply(d, multiply(ab, c)),                                  // d (a b) c
                     multiply(exact_from(d), multiply(eab, exact_from(c))));
  }
}

TEST_CASE("massive cancellation: the enclosure still contains the small exact result",
          "[arithmetic][a1]") {
  require_sound_fp_environment();
  // [2^100, 1, -2^100, 2^-1074] · [1, 1, 1, 1]^T = 1 + 2^-1074 exactly; every partial sum but the
  // last rounds, so the enclosure is wide but must contain it.
  Matrix a(1, 4), b(4, 1);
  a.data = {0x1p100, 1.0, -0x1p100, 0x1p-1074};
  b.data = {1.0, 1.0, 1.0, 1.0};
  require_encloses(multiply_points(a, b), multiply(exact_from(a), exact_from(b)));
  a.data = {1.0, 0x1p100, 0x1p-1074, -0x1p100};  // the same terms in another order
  require_encloses(multiply_points(a, b), multiply(exact_from(a), exact_from(b)));
  // Random rows of the form (x, y, -x) with |x| >> |y|.
  std::mt19937_64 g(9);
  for (int trial = 0; trial < 500; ++trial) {
    Matrix r(2, 3), c(3, 2);
    for (int i = 0; i < 2; ++i) {
      const double x = random_double(g, 200, 300), y = random_double(g, -1074, -1000);
      r(i, 0) = x, r(i, 1) = y, r(i, 2) = -x;
    }
    for (double& x : c.data) x = random_double(g, -5, 5);
    c(0, 0) = c(2, 0);  // column 0: exact cancellation of the large terms
    require_encloses(multiply_points(r, c), multiply(exact_from(r), exact_from(c)));
  }
}

TEST_CASE("subnormal results and operands are not flushed", "[arithmetic][a1]") {
  require_sound_fp_environment();
  Matrix a(1, 2), b(2, 1);
  a.data = {0x1p-1074, 0x1p-1074};
  b.data = {1.0, 1.0};
  const IntervalMatrix c = multiply_points(a, b);
  CHECK(c.lo[0] == 0x1p-1073);  // exact: no rounding at all
  CHECK(c.hi[0] == 0x1p-1073);
  a.data = {0x1p-600, -0x1p-600};
  b.data = {0x1p-500, 0x1p-500};
  const IntervalMatrix z = multiply_points(a, b);  // each term underflows to [0, 2^-1074] resp.
  CHECK(z.lo[0] <= 0.0);                           // [-2^-1074, 0]; the sum 0 is inside
  CHECK(z.hi[0] >= 0.0);
  CHECK(z.hi[0] - z.lo[0] <= 0x1p-1072);
  require_encloses(z, multiply(exact_from(a), exact_from(b)));
}

TEST_CASE("exactly representable products come out exact (no width)", "[arithmetic][a1]") {
  require_sound_fp_environment();
  uint64_t state = 3;
  const Matrix a = test::fixture_matrix(8, 6, state), b = test::fixture_matrix(6, 5, state);
  const IntervalMatrix c = multiply_points(a, b);  // multiples of 2^-20 below 2^6: exact sums
  for (size_t i = 0; i < c.lo.size(); ++i) REQUIRE(c.lo[i] == c.hi[i]);
  require_encloses(c, multiply(exact_from(a), exact_from(b)));
}

TEST_CASE("overflow is an error, never an infinite bound", "[arithmetic][a1]") {
  require_sound_fp_environment();
  Matrix a(1, 2), b(2, 1);
  a.data = {0x1p1000, 0x1p1000};
  b.data = {0x1p30, 1.0};  // 2^1030: overflows
  REQUIRE_THROWS_AS(multiply_points(a, b), std::runtime_error);
  b.data = {0x1p1023, -0x1p1023};  // the sum is 0, but a term overflows: still refused
  REQUIRE_THROWS_AS(multiply_points(a, b), std::runtime_error);
  a.data = {std::numeric_limits<double>::infinity(), 0.0};
  REQUIRE_THROWS(multiply_points(a, b));
  a.data = {std::numeric_limits<double>::quiet_NaN(), 0.0};
  REQUIRE_THROWS(multiply_points(a, b));
  REQUIRE(std::fegetround() == FE_TONEAREST);
  Matrix wrong(3, 3);
  REQUIRE_THROWS_AS(multiply_points(a, wrong), std::invalid_argument);
}

TEST_CASE("the products work whatever mode the caller is in, and restore it", "[arithmetic][a1]") {
  require_sound_fp_environment();
  std::mt19937_64 g(31);
  const Matrix a = random_matrix(g, 4, 4, -20, 20), b = random_matrix(g, 4, 4, -20, 20);
  const ExactMatrix exact = multiply(exact_from(a), exact_from(b));
  const IntervalMatrix nearest = multiply_points(a, b);
  IntervalMatrix inside_guard;
  {
    UpwardRounding up;
    inside_guard = multiply_points(a, b);
    REQUIRE(std::fegetround() == FE_UPWARD);
  }
  REQUIRE(std::fegetround() == FE_TONEAREST);
  require_encloses(nearest, exact);
  CHECK(nearest.lo == inside_guard.lo);
  CHECK(nearest.hi == inside_guard.hi);
}

TEST_CASE("enclose_path_terms encloses the exact path tables", "[arithmetic][a1][cubic]") {
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  for (uint64_t seed : {1, 2, 3})
    models.emplace_back("fixture", test::make_fixture_model(4, 7, 5, 3, seed));
  for (const auto& planted : adversarial::all_planted_models())
    models.emplace_back(planted.name, planted.weights);
  models.emplace_back("example seed 50",
                      load_model(std::string(MECHCERT_SOURCE_DIR) +
                                 "/examples/max4-seed50.safetensors").weights);
  {  // weights at the extremes of float32: huge, tiny and subnormal
    std::mt19937_64 g(4);
    ModelWeights w = test::make_fixture_model(3, 6, 4, 3, 9);
    for (Matrix* m : {&w.W_E, &w.W_pos, &w.W_Q, &w.W_K, &w.W_V, &w.W_O, &w.W_U})
      for (double& x : m->data) x = static_cast<float>(random_double(g, -149, 20));
    models.emplace_back("float32 extremes", w);
  }
  for (const auto& [name, w] : models) {
    INFO(name);
    OpCounts ops, ops_exact;
    uint64_t flops = 0, flops_exact = 0;
    const IntervalPathTerms t = enclose_path_terms(w, ops, flops);
    const ExactPathTerms e = compute_path_terms(w, ops_exact, flops_exact);
    require_encloses(t.EU, e.EU);
    require_encloses(t.EVOU, e.EVOU);
    require_encloses(t.PVOU, e.PVOU);
    require_encloses(t.EQKE, e.EQKE);
    require_encloses(t.EQKP, e.EQKP);
    CHECK(ops.exact_mul == 0);
    CHECK(ops.interval_mul > 0);
  }
}

TEST_CASE("path enclosures of the example model are tight", "[arithmetic][a1][cubic]") {
  require_sound_fp_environment();
  const ModelWeights w =
      load_model(std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed50.safetensors").weights;
  OpCounts ops;
  uint64_t flops = 0;
  const IntervalPathTerms t = enclose_path_terms(w, ops, flops);
  // Width relative to the table's largest magnitude: a few hundred ulps at most (2^-40 ~ 1e-12),
  // far below the generator's 1e-9 safety margin.
  for (const IntervalMatrix* m : {&t.EU, &t.EVOU, &t.PVOU, &t.EQKE, &t.EQKP}) {
    double scale = 0, width = 0;
    for (size_t i = 0; i < m->lo.size(); ++i) {
      scale = std::max(scale, std::fabs(m->hi[i]));
      width = std::max(width, m->hi[i] - m->lo[i]);
    }
    CHECK(width <= scale * 0x1p-40);
  }
}

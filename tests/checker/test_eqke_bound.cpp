// The EQKE approximations of the subcubic strategies (SPEC 7.12-7.16, checker/eqke_bound.hpp;
// the peeling options SPEC 7.18-7.23, checker/eqke_peeling.hpp):
// for every option, random weights and random, scaled and adversarial hint directions, the
// enclosed Ehat and the residual bound b contain every exact score difference:
//     EQKE[q,t] - EQKE[q,t'] in [Ehat_lo[q,t] - Ehat_hi[q,t'] - b[q], Ehat_hi[q,t] - Ehat_lo[q,t'] + b[q]]
// with EQKE computed in exact GMP rationals from the weights (checker/path_terms.hpp), and the
// ratio enclosure of the attention tables (Lemma S1') contains exp(±b/sqrt(d_head)).
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "checker/attention_tables.hpp"
#include "checker/check.hpp"
#include "checker/eqke_bound.hpp"
#include "checker/eqke_peeling.hpp"
#include "checker/fp_environment.hpp"
#include "checker/path_terms.hpp"
#include "format/exact_numbers.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;

namespace {

Rational exact(double x) {  // every finite double is a dyadic rational
  int e = 0;
  const double m = std::frexp(x, &e);
  Rational r(BigInt(static_cast<int64_t>(std::ldexp(m, 53))));
  e -= 53;
  if (e >= 0) return r * Rational(BigInt(1) << static_cast<unsigned>(e));
  return r / Rational(BigInt(1) << static_cast<unsigned>(-e));
}
Rational exact(const ExactMatrix& a, int64_t r, int64_t c) {
  const Rational z(a.at(r, c));
  if (a.exponent >= 0) return z * Rational(BigInt(1) << static_cast<unsigned>(a.exponent));
  return z / Rational(BigInt(1) << static_cast<unsigned>(-a.exponent));
}

std::vector<std::vector<double>> hint_family(int64_t v, uint64_t seed) {
  std::vector<std::vector<double>> out;
  uint64_t state = seed;
  std::vector<double> random(static_cast<size_t>(v)), onehot(random), alternating(random),
      tiny(random), large(random), constant(static_cast<size_t>(v), 1.0);
  for (int64_t i = 0; i < v; ++i) {
    random[static_cast<size_t>(i)] = test::fixture_value(state);
    alternating[static_cast<size_t>(i)] = i % 2 ? -0x1.8p+3 : 0x1p-7;
    tiny[static_cast<size_t>(i)] = 0x1.3p-30 * static_cast<double>(i + 1);
    large[static_cast<size_t>(i)] = i == 0 ? 0x1p+10 : -0x1.fp+9;
  }
  onehot[static_cast<size_t>(v / 2)] = 1;
  for (auto* h : {&random, &onehot, &alternating, &tiny, &large, &constant}) out.push_back(*h);
  return out;
}

void check_containment(const ModelWeights& w, EqkeOption option, const EqkeHints& hints) {
  OpCounts ops;
  uint64_t flops = 0;
  const ExactPathTerms exact_terms = compute_path_terms(w, ops, flops);
  const IntervalPathTerms enclosed = enclose_path_terms(w, ops, flops, false);
  CHECK(enclosed.EQKE.rows == 0);  // the v×v product is not formed
  const EqkeApproximation a = is_peeling(option)
                                  ? eqke_peeling_approximation(option, w, hints, ops, flops)
                                  : eqke_approximation(option, enclosed.EqQK, w.W_E, hints, ops, flops);
  const int64_t v = w.v;
  for (int64_t q = 0; q < v; ++q) {
    const Rational b = exact(a.b_hi[static_cast<size_t>(q)]);
    REQUIRE(b >= 0);
    for (int64_t t = 0; t < v; ++t)
      for (int64_t t2 = 0; t2 < v; ++t2) {
        const Rational diff = exact(exact_terms.EQKE, q, t) - exact(exact_terms.EQKE, q, t2);
        const Rational hi = exact(a.Ehat.at(q, t).hi) - exact(a.Ehat.at(q, t2).lo) + b;
        const Rational lo = exact(a.Ehat.at(q, t).lo) - exact(a.Ehat.at(q, t2).hi) - b;
        INFO("q=" << q << " t=" << t << " t'=" << t2);
        REQUIRE(diff <= hi);
        REQUIRE(diff >= lo);
      }
  }
}

}  // namespace

TEST_CASE("EQKE options: Ehat ± b contains every exact score difference", "[subcubic][eqke]") {
  require_sound_fp_environment();
  for (const EqkeOption option : {EqkeOption::Svd, EqkeOption::MaxDiff, EqkeOption::MeanMaxDiff,
                                  EqkeOption::MaxDiffExact}) {
    for (uint64_t seed : {1u, 7u, 23u}) {
      const ModelWeights w = test::make_fixture_model(3, 6, 5, 3, seed);
      const auto family = hint_family(w.v, seed * 31 + 5);
      for (size_t i = 0; i < family.size(); ++i)
        for (size_t j = 0; j < family.size(); j += 2) {
          INFO(option_name(option) << " seed " << seed << " hints " << i << "," << j);
          check_containment(w, option, EqkeHints{family[i], family[j]});
        }
    }
  }
}

TEST_CASE("EQKE options: a good hint gives a small residual, max_diff_exact is the tightest", "[subcubic][eqke]") {
  require_sound_fp_environment();
  // A model whose EQKE is exactly rank 1: W_Q, W_K of rank 1 make A = Eq Q Kᵀ rank 1.
  ModelWeights w = test::make_fixture_model(3, 6, 4, 2, 3);
  for (int64_t i = 0; i < w.d; ++i) {
    w.W_Q(i, 1) = 0;
    w.W_K(i, 1) = 0;
  }
  OpCounts ops;
  uint64_t flops = 0;
  const IntervalPathTerms p = enclose_path_terms(w, ops, flops, false);
  // u ∝ A's column space direction (A = a kᵀ for a = Eq Q[:,0]), w arbitrary: Ar ≈ 0 up to rounding
  // only if u is parallel to a; we use a = Eq·Q[:,0] itself (not unit: any hint is allowed).
  std::vector<double> a(static_cast<size_t>(w.v), 0.0), wk(static_cast<size_t>(w.v), 1.0);
  for (int64_t q = 0; q < w.v; ++q)
    for (int64_t j = 0; j < w.d; ++j)
      a[static_cast<size_t>(q)] += (w.W_E(q, j) + w.W_pos(w.k - 1, j)) * w.W_Q(j, 0);
  double norm2 = 0;
  for (const double x : a) norm2 += x * x;
  for (double& x : a) x /= std::sqrt(norm2);  // unit, so that u uᵀ is (nearly) a projection
  std::vector<double> b_exact, b_diff;
  for (const EqkeOption option : {EqkeOption::MaxDiffExact, EqkeOption::MaxDiff}) {
    const EqkeApproximation ap = eqke_approximation(option, p.EqQK, w.W_E, EqkeHints{a, wk}, ops, flops);
    (option == EqkeOption::MaxDiffExact ? b_exact : b_diff) = ap.b_hi;
  }
  for (size_t q = 0; q < b_exact.size(); ++q) {
    CHECK(b_exact[q] < 1e-10);  // rank 1 and the right direction: only rounding remains
    CHECK(b_diff[q] < 1e-10);
  }
}

TEST_CASE("EQKE options: max_diff_exact is never looser than max_diff", "[subcubic][eqke]") {
  require_sound_fp_environment();
  for (uint64_t seed : {4u, 5u}) {
    const ModelWeights w = test::make_fixture_model(3, 7, 5, 3, seed);
    const auto family = hint_family(w.v, seed);
    OpCounts ops;
    uint64_t flops = 0;
    const IntervalPathTerms p = enclose_path_terms(w, ops, flops, false);
    const EqkeHints h{family[0], family[5]};
    const auto exact = eqke_approximation(EqkeOption::MaxDiffExact, p.EqQK, w.W_E, h, ops, flops).b_hi;
    const auto diff = eqke_approximation(EqkeOption::MaxDiff, p.EqQK, w.W_E, h, ops, flops).b_hi;
    for (size_t q = 0; q < exact.size(); ++q) CHECK(exact[q] <= diff[q] * (1 + 1e-9) + 1e-12);
  }
}

TEST_CASE("EQKE options: the attention ratio encloses exp(±b/sqrt(d_head))", "[subcubic][eqke]") {
  require_sound_fp_environment();
  const ModelWeights w = test::make_fixture_model(3, 6, 5, 3, 11);
  const auto family = hint_family(w.v, 99);
  OpCounts ops;
  uint64_t flops = 0;
  const EqkeHints h{family[0], family[5]};
  const AttentionTables t = attention_tables(w, EqkeOption::MaxDiff, h, ops, flops);
  const IntervalPathTerms p = enclose_path_terms(w, ops, flops, false);
  const EqkeApproximation ap = eqke_approximation(EqkeOption::MaxDiff, p.EqQK, w.W_E, h, ops, flops);
  for (int64_t q = 0; q < w.v; ++q) {
    const double b = ap.b_hi[static_cast<size_t>(q)];
    const Interval r = t.ratio[static_cast<size_t>(q)];
    CHECK(r.lo > 0);
    CHECK(r.lo <= std::exp(-b / std::sqrt(3.0)) * (1 + 1e-12));
    CHECK(r.hi >= std::exp(b / std::sqrt(3.0)) * (1 - 1e-12));
  }
  const AttentionTables exact = attention_tables(w, EqkeOption::Exact, EqkeHints{}, ops, flops);
  for (const Interval r : exact.ratio) CHECK((r.lo == 1 && r.hi == 1));
}

TEST_CASE("EQKE options: hints that overflow are rejected, not trusted", "[subcubic][eqke]") {
  require_sound_fp_environment();
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 2);
  for (double& x : w.W_E.data) x *= 0x1p+500;  // absurd weights: products overflow binary64
  OpCounts ops;
  uint64_t flops = 0;
  const std::vector<double> h(5, 0x1p+10);
  CHECK_THROWS(attention_tables(w, EqkeOption::MaxDiff, EqkeHints{h, h}, ops, flops));
}

namespace {
const EqkeOption kPeeling[] = {EqkeOption::MaxDiffSubproduct, EqkeOption::MeanMaxDiffSubproduct,
                               EqkeOption::MaxDiffSubproductRecursive, EqkeOption::MeanMaxDiffSubproductRecursive,
                               EqkeOption::MeanRecursiveMaxDiffSubproductRecursive};
// Six hints from the families (token directions of length v, weight directions of length d).
EqkeHints peeling_hints(const ModelWeights& w, uint64_t seed, size_t i) {
  const auto tv = hint_family(w.v, seed), td = hint_family(w.d, seed + 1);
  const size_t n = tv.size();
  return EqkeHints{tv[i % n], tv[(i + 1) % n], tv[(i + 2) % n], tv[(i + 3) % n], td[(i + 4) % n], td[(i + 5) % n]};
}
}  // namespace

TEST_CASE("EQKE peeling options: Ehat ± b contains every exact score difference (GMP)", "[subcubic][eqke]") {
  require_sound_fp_environment();
  for (const EqkeOption option : kPeeling)
    for (uint64_t seed : {2u, 13u}) {
      const ModelWeights w = test::make_fixture_model(3, 6, 5, 3, seed);
      for (size_t i = 0; i < 6; ++i) {  // random, one-hot, alternating, tiny, huge, constant hints
        INFO(option_name(option) << " seed " << seed << " hints " << i);
        check_containment(w, option, peeling_hints(w, seed * 17 + 3, i));
      }
    }
}

TEST_CASE("EQKE peeling options: the hints of the reference's directions on a wider model", "[subcubic][eqke]") {
  // d_head = d, and all directions random: every factor is dense (no peeled part vanishes).
  require_sound_fp_environment();
  const ModelWeights w = test::make_fixture_model(3, 7, 4, 4, 5);
  uint64_t state = 77;
  auto random = [&](int64_t n) {
    std::vector<double> x(static_cast<size_t>(n));
    for (double& e : x) e = test::fixture_value(state);
    return x;
  };
  for (const EqkeOption option : kPeeling)
    for (int trial = 0; trial < 3; ++trial) {
      INFO(option_name(option) << " trial " << trial);
      check_containment(w, option, EqkeHints{random(w.v), random(w.v), random(w.v), random(w.v), random(w.d), random(w.d)});
    }
}

TEST_CASE("EQKE peeling options: subproduct <= recursive, and good weight hints leave no residual", "[subcubic][eqke]") {
  require_sound_fp_environment();
  OpCounts ops;
  uint64_t flops = 0;
  {  // Lemma S11 at split 1 uses the exact row ranges of F2 F3 F4, S13 upper bounds of them.
    const ModelWeights w = test::make_fixture_model(3, 7, 5, 3, 8);
    const EqkeHints h = peeling_hints(w, 8, 0);
    const PeelingSplit s = peeling_split(w, h, ops, flops);
    const auto sub = residual_subproduct(s, ops, flops), rec = residual_recursive(s, ops, flops);
    for (size_t q = 0; q < sub.size(); ++q) CHECK(sub[q] <= rec[q] * (1 + 1e-9) + 1e-12);
  }
  // W_Q of rank 1 (column 1 zero) and uQ its unit column direction: Qrw = W_Q − uQ uQᵀ W_Q = 0 up
  // to rounding, so F1 F2 F3 F4 = 0 and every option's b is only rounding.
  ModelWeights w = test::make_fixture_model(3, 6, 4, 2, 3);
  double norm2 = 0;
  for (int64_t i = 0; i < w.d; ++i) {
    w.W_Q(i, 1) = 0;
    norm2 += w.W_Q(i, 0) * w.W_Q(i, 0);
  }
  EqkeHints h = peeling_hints(w, 3, 0);
  for (int64_t i = 0; i < w.d; ++i) h.query_weight_dir[static_cast<size_t>(i)] = w.W_Q(i, 0) / std::sqrt(norm2);
  for (const EqkeOption option : kPeeling) {
    INFO(option_name(option));
    const EqkeApproximation a = eqke_peeling_approximation(option, w, h, ops, flops);
    for (const double b : a.b_hi) CHECK(b < 1e-9);
    check_containment(w, option, h);
  }
}

TEST_CASE("EQKE peeling options: overflowing hints are rejected, and the split is counted", "[subcubic][eqke]") {
  require_sound_fp_environment();
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 2);
  OpCounts ops;
  uint64_t flops = 0;
  const EqkeHints ok = peeling_hints(w, 4, 0);
  (void)eqke_peeling_approximation(EqkeOption::MaxDiffSubproduct, w, ok, ops, flops);
  CHECK(ops.interval_mul > 0);
  CHECK(flops > 0);
  for (double& x : w.W_E.data) x *= 0x1p+500;  // absurd weights: products overflow binary64
  const std::vector<double> hv(5, 0x1p+10), hd(4, 0x1p+10);
  for (const EqkeOption option : kPeeling)
    CHECK_THROWS_AS(eqke_peeling_approximation(option, w, EqkeHints{hv, hv, hv, hv, hd, hd}, ops, flops), CertificateRejected);
}

#include "generator/cubic_search.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <thread>

#include "generator/conservative_weights.hpp"
#include "generator/query_weights.hpp"

namespace mechcert {
namespace {

using boost::multiprecision::cpp_int;

cpp_int binomial(int64_t n, int64_t r) {
  cpp_int b = 1;
  for (int64_t i = 1; i <= r; ++i) b = b * (n - r + i) / i;
  return b;
}

// The conservative re-check (conservative_weights.hpp): enclosures of the checker's weights, a
// bound dy on how far the checker's upper bounds of the logit differences y may lie above ours,
// and an upper bound of W·y with the rounding slack of our own double operations.
struct Recheck {
  const std::vector<ConservativeWeights>* cw = nullptr;  // null: no re-check (tests, reference)
  double dy = 0;
};
constexpr double kRel = 0x1p-40;
inline double lo_product(double a, double b) { return a * b * (1 - kRel); }
inline double hi_product(double a, double b) { return a * b * (1 + kRel); }
inline double term_up(double lo, double hi, double y) {
  return y >= 0 ? hi * y * (1 + kRel) : lo * y * (1 - kRel);
}
// A sum of upper bounds of terms, rounded to nearest: certified only below -(slack).
inline bool below_zero(std::initializer_list<double> terms) {
  double sum = 0, mag = 0;
  for (const double x : terms) {
    sum += x;
    mag += std::fabs(x);
  }
  return sum + kRel * mag + 0x1p-1000 < 0;
}

// All rows of one max token m (SPEC 5.8-5.9 in double precision).
std::vector<CubicRow> rows_for_max(const PathTables& t, const std::vector<QueryWeights>& qw,
                                   int64_t m, double margin, double scale, const Recheck& re) {
  const int64_t v_out = t.v_out, k = t.k;
  std::vector<CubicRow> rows;
  const auto& EU = t.EU;
  const auto& EVOU = t.EVOU;
  const auto& PVOU = t.PVOU;
  // PV[x] = max_p PVc[p,x]
  std::vector<double> PV(static_cast<size_t>(v_out));
  for (int64_t x = 0; x < v_out; ++x) {
    double best = -std::numeric_limits<double>::infinity();
    for (int64_t p = 0; p < k; ++p) best = std::max(best, PVOU(p, x) - PVOU(p, m));
    PV[static_cast<size_t>(x)] = best;
  }
  // Y[t] = max_{x != m} (EVc[t,x] + PV[x]) for t <= m
  std::vector<double> Y(static_cast<size_t>(m + 1));
  for (int64_t tok = 0; tok <= m; ++tok) {
    double best = -std::numeric_limits<double>::infinity();
    const double base = EVOU(tok, m);
    for (int64_t x = 0; x < v_out; ++x) {
      if (x == m) continue;
      best = std::max(best, EVOU(tok, x) - base + PV[static_cast<size_t>(x)]);
    }
    Y[static_cast<size_t>(tok)] = best;
  }
  std::vector<uint8_t> ok(static_cast<size_t>(m));
  for (int64_t q = 0; q <= m; ++q) {
    const QueryWeights& w = qw[static_cast<size_t>(q)];
    double E = -std::numeric_limits<double>::infinity();
    for (int64_t x = 0; x < v_out; ++x) {
      if (x != m) E = std::max(E, EU(q, x) - EU(q, m));
    }
    const double T = w.large[static_cast<size_t>(k - 1)];
    // c = 0: one input, joint maximum over x (SPEC 5.8).
    {
      bool certified = true;
      if (q == m) {
        for (int64_t x = 0; x < v_out && certified; ++x) {
          if (x == m) continue;
          const double L =
              (EU(m, x) - EU(m, m)) + (EVOU(m, x) - EVOU(m, m)) + PV[static_cast<size_t>(x)];
          certified = L < -margin * scale;
        }
      } else {
        const double WM = w.u[static_cast<size_t>(m)] * T;
        const double WQ = w.w_query * w.u[static_cast<size_t>(q)];
        const double Z = WM + WQ;
        for (int64_t x = 0; x < v_out && certified; ++x) {
          if (x == m) continue;
          const double a = EU(q, x) - EU(q, m) + PV[static_cast<size_t>(x)];
          const double b = EVOU(m, x) - EVOU(m, m);
          const double cq = EVOU(q, x) - EVOU(q, m);
          const double L = Z * a + WM * b + WQ * cq;
          certified = L < -margin * Z * scale;
          if (certified && re.cw) {
            const ConservativeWeights& c = (*re.cw)[static_cast<size_t>(q)];
            const auto mi = static_cast<size_t>(m), qi = static_cast<size_t>(q),
                       all = static_cast<size_t>(k - 1);
            const double wm_lo = lo_product(c.u_lo[mi], c.large_lo[all]),
                         wm_hi = hi_product(c.u_hi[mi], c.large_hi[all]);
            const double wq_lo = lo_product(c.wq_lo, c.u_lo[qi]), wq_hi = hi_product(c.wq_hi, c.u_hi[qi]);
            certified = below_zero({term_up((wm_lo + wq_lo) * (1 - kRel), (wm_hi + wq_hi) * (1 + kRel), a + re.dy),
                                    term_up(wm_lo, wm_hi, b + re.dy), term_up(wq_lo, wq_hi, cq + re.dy)});
          }
        }
      }
      if (certified) rows.push_back(CubicRow{m, q, 0, "", 1});
    }
    // c >= 1: per value n < m, both extreme placements (SPEC 5.5), unnormalised sign form.
    const int64_t c_max = (q == m) ? k - 1 : k - 2;
    const double yq = E + Y[static_cast<size_t>(q)], ym = E + Y[static_cast<size_t>(m)];
    const double Q = w.w_query * w.u[static_cast<size_t>(q)];
    const double um = w.u[static_cast<size_t>(m)];
    for (int64_t c = 1; c <= c_max && m > 0; ++c) {
      const int64_t j = k - 1 - c;
      const double A[2] = {w.small[static_cast<size_t>(j)], w.large[static_cast<size_t>(j)]};
      const double B[2] = {w.large[static_cast<size_t>(c)], w.small[static_cast<size_t>(c)]};
      int64_t g = 0;
      for (int64_t n = 0; n < m; ++n) {
        const double yn = E + Y[static_cast<size_t>(n)];
        const double un = w.u[static_cast<size_t>(n)];
        bool good = true;
        for (int r = 0; r < 2 && good; ++r) {
          const double F = Q * yq + um * A[r] * ym + un * B[r] * yn;
          good = F < -margin * (Q + um * A[r] + un * B[r]) * scale;
          if (good && re.cw) {
            const ConservativeWeights& cw = (*re.cw)[static_cast<size_t>(q)];
            const auto qi = static_cast<size_t>(q), mi = static_cast<size_t>(m),
                       ni = static_cast<size_t>(n), ji = static_cast<size_t>(j),
                       ci = static_cast<size_t>(c);
            // r = 0: max slots on the j smallest ω, non-max slots on the c largest; r = 1: swapped.
            const double A_lo = r == 0 ? cw.small_lo[ji] : cw.large_lo[ji];
            const double A_hi = r == 0 ? cw.small_hi[ji] : cw.large_hi[ji];
            const double B_lo = r == 0 ? cw.large_lo[ci] : cw.small_lo[ci];
            const double B_hi = r == 0 ? cw.large_hi[ci] : cw.small_hi[ci];
            good = below_zero(
                {term_up(lo_product(cw.wq_lo, cw.u_lo[qi]), hi_product(cw.wq_hi, cw.u_hi[qi]), yq + re.dy),
                 term_up(lo_product(cw.u_lo[mi], A_lo), hi_product(cw.u_hi[mi], A_hi), ym + re.dy),
                 term_up(lo_product(cw.u_lo[ni], B_lo), hi_product(cw.u_hi[ni], B_hi), yn + re.dy)});
          }
        }
        ok[static_cast<size_t>(n)] = good;
        g += good;
      }
      if (g > 0) rows.push_back(CubicRow{m, q, c, cubic_mask_hex(ok), g});
    }
  }
  return rows;
}

}  // namespace

std::string cubic_mask_hex(const std::vector<uint8_t>& certified_n) {
  const size_t m = certified_n.size();
  const size_t digits = (m + 3) / 4;
  std::string hex(digits, '0');
  for (size_t d = 0; d < digits; ++d) {
    unsigned value = 0;
    for (unsigned b = 0; b < 4; ++b) {
      const size_t n = 4 * d + b;
      if (n < m && certified_n[n]) value |= 1u << b;
    }
    hex[digits - 1 - d] = "0123456789abcdef"[value];
  }
  return hex;
}

CubicSearchResult cubic_search(const PathTables& t, const CubicSearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (t.v_out != t.v) throw std::invalid_argument("cubic: needs d_vocab_out == d_vocab");
  if (t.k < 2) throw std::invalid_argument("cubic: needs k >= 2");
  const std::vector<QueryWeights> qw = query_weights(t);
  const int64_t v = t.v;
  // Magnitude of a logit difference: the margin is relative to it.
  const double scale = 2 * (t.EU.cwiseAbs().maxCoeff() + t.EVOU.cwiseAbs().maxCoeff() +
                            2 * t.PVOU.cwiseAbs().maxCoeff());
  Recheck re;
  std::vector<ConservativeWeights> cw;
  if (options.weights != nullptr) {
    cw = conservative_weights(t, *options.weights);
    re.cw = &cw;
    re.dy = 0x1p-36 * scale;  // the checker's y upper bounds: a few ulps of the tables above ours
  }
  std::vector<std::vector<CubicRow>> per_m(static_cast<size_t>(v));
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, v));
  std::atomic<int64_t> next{v - 1};  // heaviest (largest m) first
  auto work = [&] {
    for (int64_t m; (m = next.fetch_sub(1)) >= 0;) {
      per_m[static_cast<size_t>(m)] = rows_for_max(t, qw, m, options.margin, scale, re);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();

  CubicSearchResult result;
  std::vector<cpp_int> binom(static_cast<size_t>(t.k));
  for (int64_t c = 0; c < t.k; ++c) binom[static_cast<size_t>(c)] = binomial(t.k - 1, c);
  for (auto& rows : per_m) {
    for (auto& row : rows) {
      result.count +=
          binom[static_cast<size_t>(row.c)] *
          boost::multiprecision::pow(cpp_int(row.certified), static_cast<unsigned>(row.c));
      result.rows.push_back(std::move(row));
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace mechcert

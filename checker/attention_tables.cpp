#include "checker/attention_tables.hpp"

#include <algorithm>
#include <stdexcept>

#include "checker/check.hpp"
#include "checker/eqke_peeling.hpp"
#include "checker/exp_bounds.hpp"
#include "checker/parallel.hpp"
#include "checker/path_terms.hpp"

namespace mechcert {
namespace {

// Per row r of `x`: exp((X(r,c) - R_r) / sqrt(d_head)) enclosed for every column c, where X is
// the real matrix `x` encloses and R_r = max_c x.hi(r,c), so every argument is <= 0 (Lemma C1: any
// per-row constant may be factored out). Rows are split over `threads` threads; every entry is
// computed by the same scalar code whatever the split, so the result is thread-independent.
IntervalMatrix exp_rows_shifted_to_max(const IntervalMatrix& x, int64_t d_head, int threads) {
  std::vector<double> shift(static_cast<size_t>(x.rows));
  for (int64_t r = 0; r < x.rows; ++r) {
    double best = x.hi[static_cast<size_t>(r * x.cols)];
    for (int64_t c = 1; c < x.cols; ++c)
      best = std::max(best, x.hi[static_cast<size_t>(r * x.cols + c)]);
    shift[static_cast<size_t>(r)] = best;
  }
  IntervalMatrix out(x.rows, x.cols);
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(threads, x.rows));
  run_parts(n, [&](int64_t part) {
    exp_shifted_enclose_rows(x, shift, d_head, x.rows * part / n, x.rows * (part + 1) / n, out);
  });
  return out;
}

}  // namespace

AttentionTables attention_tables(const ModelWeights& w, EqkeOption option, const EqkeHints& hints,
                                 OpCounts& ops, uint64_t& paper_flops, int threads) {
  if (w.has_nonzero_bias())
    throw CertificateRejected("cubic: model has non-zero biases (SPEC 5.2)");
  if (w.v_out != w.v) throw CertificateRejected("cubic: needs d_vocab_out == d_vocab");
  if (w.k < 2 || w.v < 2) throw CertificateRejected("cubic: needs k >= 2 and v >= 2");
  const int64_t v = w.v, k = w.k;
  const bool exact = option == EqkeOption::Exact;
  IntervalPathTerms paths = enclose_path_terms(w, ops, paper_flops, exact);  // Lemma C1, Lemma A1
  AttentionTables t;
  t.v = v;
  t.k = k;
  t.EU = std::move(paths.EU);
  t.EVOU = std::move(paths.EVOU);
  t.PVOU = std::move(paths.PVOU);
  if (exact) {
    t.u = exp_rows_shifted_to_max(paths.EQKE, w.file_d_head(), threads);
    t.ratio.assign(static_cast<size_t>(v), Interval{1, 1});
  } else {
    // SPEC 7.11-7.16, 7.18-7.23: Ehat and b from the weights and the hints; then u from Ehat,
    // and the ratio enclosures as the exps of the rows [-b[q], b[q]] (no shift).
    EqkeApproximation approx = is_peeling(option)
                                   ? eqke_peeling_approximation(option, w, hints, ops, paper_flops)
                                   : eqke_approximation(option, paths.EqQK, w.W_E, hints, ops, paper_flops);
    t.u = exp_rows_shifted_to_max(approx.Ehat, w.file_d_head(), threads);
    IntervalMatrix spread(v, 1);
    for (int64_t q = 0; q < v; ++q) {
      spread.lo[static_cast<size_t>(q)] = -approx.b_hi[static_cast<size_t>(q)];
      spread.hi[static_cast<size_t>(q)] = approx.b_hi[static_cast<size_t>(q)];
    }
    const IntervalMatrix r = [&] {
      IntervalMatrix out(v, 1);
      try {
        exp_shifted_enclose_rows(spread, std::vector<double>(static_cast<size_t>(v), 0.0), w.file_d_head(), 0, v, out);
      } catch (const std::runtime_error&) {  // exp(b/s) beyond binary64: the hints are useless
        throw CertificateRejected("EQKE approximation: a residual bound b[q] is too large for exp(b[q]/sqrt(d_head)) (poor hint directions)");
      }
      return out;
    }();
    for (int64_t q = 0; q < v; ++q) t.ratio.push_back(r.at(q, 0));
    ops.exp += 2 * static_cast<uint64_t>(v);
    paper_flops += 2 * static_cast<uint64_t>(v);
  }
  t.omega = exp_rows_shifted_to_max(paths.EQKP, w.file_d_head(), threads);
  const auto exps = static_cast<uint64_t>(v * v + v * k);
  ops.compare += static_cast<uint64_t>(v * (v - 1) + v * (k - 1));  // row maxima
  ops.interval_add += 2 * exps;                                        // shifts, one per bound
  ops.exp += exps;
  paper_flops += 2 * exps;  // shift + exp, one per entry each
  return t;
}

}  // namespace mechcert

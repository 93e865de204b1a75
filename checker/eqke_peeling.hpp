// The four-direction peeling EQKE options of the subcubic strategies (SPEC.md 7.18-7.23;
// reference-algorithms.md §6.3(c)): the token scores S = Eq·W_Q·W_Kᵀ·W_Eᵀ are split, for hint
// directions qd, kd, qd2, kd2 (over tokens) and uQ, uK (over d_model), into six rank-1 terms Ehat
// and an error that is a product of four factors F1·F2·F3·F4 (Lemma S10, an identity for any
// hints). The residual options bound the row differences of F1·F2·F3·F4 without ever forming it:
// from two-factor splits (`max_diff_subproduct`, `mean+…`, Lemmas S11, S12; O(v·d²)) or by
// propagating row ranges through the factors (the three `…_recursive` options, Lemmas S13-S15;
// O(v·d + d²)). The hints are only hints: the checker rebuilds every factor from the weights with
// outward rounding, so a bad hint loosens b and cannot make it false.
//
// Cost: the split O(v·d + d·d_head) plus O(v²) for Ehat (6 interval products per entry); the
// subproducts O(v·d·d_head + d²·v). Counted by formula into `ops` / `paper_flops` (SPEC 7.24).
#pragma once
#include <cstdint>
#include <vector>

#include "checker/eqke_bound.hpp"
#include "checker/interval.hpp"
#include "checker/proof_length.hpp"
#include "checker/subcubic_options.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// Lemma S10 (SPEC 7.18): enclosures of Ehat and of the four error factors.
struct PeelingSplit {
  IntervalMatrix Ehat;  // [v, v]        six rank-1 terms
  IntervalMatrix F1;    // [v, d]        Qrr = Eq − qd α1ᵀ − qd2 α2ᵀ
  IntervalMatrix F2;    // [d, d_head]   Qrw = W_Q − uQ (W_Qᵀ uQ)ᵀ
  IntervalMatrix F3;    // [d_head, d]   Krwᵀ, Krw = W_K − uK (W_Kᵀ uK)ᵀ
  IntervalMatrix F4;    // [d, v]        Krrᵀ, Krr = W_E − kd β1ᵀ − kd2 β2ᵀ
};
// `hints` carries all six directions (lengths checked by the caller). Counts its operations.
PeelingSplit peeling_split(const ModelWeights& w, const EqkeHints& hints, OpCounts& ops, uint64_t& paper_flops);

// Upper bounds b[q] of the row differences of F1·F2·F3·F4, one lemma each.
std::vector<double> residual_subproduct(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops);            // S11, 7.19
std::vector<double> residual_mean_subproduct(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops);       // S12, 7.20
std::vector<double> residual_recursive(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops);             // S13, 7.21
std::vector<double> residual_mean_recursive(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops);        // S14, 7.22
std::vector<double> residual_mean_every_recursive(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops);  // S15, 7.23

// `option` is one of the five peeling options (is_peeling). Throws CertificateRejected if an
// enclosure or a bound overflows binary64 (only for absurd hints).
EqkeApproximation eqke_peeling_approximation(EqkeOption option, const ModelWeights& w, const EqkeHints& hints,
                                             OpCounts& ops, uint64_t& paper_flops);

}  // namespace mechcert

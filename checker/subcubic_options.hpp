// The options of the subcubic strategies (SPEC.md 7.1, 7.6, 7.11), parsed once from the strategy
// name "subcubic/<EU>/<attention>/<EQKE>" into typed values: one name table per option kind, so
// every later step switches on an enum and never compares strings again.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mechcert {

// SPEC 7.6 (Lemma S4).
// JointExact (SPEC 7.25): no split; EUc[q,x] enters Lemma S16's per-row maximum over x jointly.
enum class EuOption { MaxDiffExact, GlobalMaxDiffExact, MeanQueryMaxDiff, SvdQueryMaxDiff, MaxDiff, CenteredMaxExact, JointExact };
// SPEC 7.5: ā from the block, or ā = 0; SPEC 7.25: ā from the block, rows decided by Lemma S16
// (exact EQKE only).
enum class AttentionOption { MeanQueryDiff, DropAverage, MeanQueryWeightedDiff };
// SPEC 7.11: how the token scores EQKE are bounded. Exact: the cubic enclosure (b = 0); Svd ..
// MaxDiffExact: the rank-1 approximation of 7.12 with the residual bound of 7.13-7.16; the last
// five: the four-direction peeling of 7.18 with the residual bounds of 7.19-7.23.
enum class EqkeOption {
  Exact, Svd, MaxDiff, MeanMaxDiff, MaxDiffExact,
  MaxDiffSubproduct, MeanMaxDiffSubproduct, MaxDiffSubproductRecursive,
  MeanMaxDiffSubproductRecursive, MeanRecursiveMaxDiffSubproductRecursive,
};
// True for the five options of SPEC 7.18-7.23 (six hint directions instead of two).
bool is_peeling(EqkeOption o);

struct SubcubicOptions {
  EuOption eu = EuOption::MaxDiffExact;
  AttentionOption attention = AttentionOption::MeanQueryDiff;
  EqkeOption eqke = EqkeOption::Exact;
};

std::string option_name(EuOption o);
std::string option_name(AttentionOption o);
std::string option_name(EqkeOption o);
std::optional<EuOption> parse_eu_option(const std::string& name);
std::optional<AttentionOption> parse_attention_option(const std::string& name);
std::optional<EqkeOption> parse_eqke_option(const std::string& name);

std::string subcubic_strategy_name(const SubcubicOptions& o);
// nullopt unless `name` is one of subcubic_strategy_names().
std::optional<SubcubicOptions> parse_subcubic_name(const std::string& name);
// Every EU × attention × EQKE combination (SPEC 7.1), except `mean_query+weighted_diff` with an
// EQKE approximation (SPEC 7.25 is stated for the exact scores only).
std::vector<std::string> subcubic_strategy_names();

// The reference's "unexplained dimension" (reference-algorithms.md 7.2): EUdim + ERRdim + v + v^2.
uint64_t unexplained_dimension(const SubcubicOptions& o, uint64_t v, uint64_t d);

}  // namespace mechcert

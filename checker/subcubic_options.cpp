#include "checker/subcubic_options.hpp"

#include <array>
#include <utility>

namespace mechcert {
namespace {

// One table per option kind: enum value and its reference name (reference-algorithms.md §6).
constexpr std::array<std::pair<EuOption, const char*>, 7> kEu = {{
    {EuOption::MaxDiffExact, "max_diff_exact"},
    {EuOption::GlobalMaxDiffExact, "global_max_diff_exact"},
    {EuOption::MeanQueryMaxDiff, "mean_query+max_diff"},
    {EuOption::SvdQueryMaxDiff, "svd_query+max_diff"},
    {EuOption::MaxDiff, "max_diff"},
    {EuOption::CenteredMaxExact, "centered_max_exact"},
    {EuOption::JointExact, "joint_exact"},
}};
constexpr std::array<std::pair<AttentionOption, const char*>, 3> kAttention = {{
    {AttentionOption::MeanQueryDiff, "mean_query+diff"},
    {AttentionOption::DropAverage, "drop_average_query_per_output_logit_reasoning"},
    {AttentionOption::MeanQueryWeightedDiff, "mean_query+weighted_diff"},
}};

// SPEC 7.25: Lemma S16 uses the exact score table (no S1′ ratio), so it pairs with exact EQKE only;
// the EU option joint_exact exists only inside S16.
bool registered(EuOption u, AttentionOption a, EqkeOption e) {
  if (u == EuOption::JointExact && a != AttentionOption::MeanQueryWeightedDiff) return false;
  return a != AttentionOption::MeanQueryWeightedDiff || e == EqkeOption::Exact;
}
constexpr std::array<std::pair<EqkeOption, const char*>, 10> kEqke = {{
    {EqkeOption::Exact, "exact_EQKE+max_diff_exact"},
    {EqkeOption::Svd, "svd"},
    {EqkeOption::MaxDiff, "max_diff"},
    {EqkeOption::MeanMaxDiff, "mean+max_diff"},
    {EqkeOption::MaxDiffExact, "max_diff_exact"},
    {EqkeOption::MaxDiffSubproduct, "max_diff_subproduct"},
    {EqkeOption::MeanMaxDiffSubproduct, "mean+max_diff_subproduct"},
    {EqkeOption::MaxDiffSubproductRecursive, "max_diff_subproduct_recursive"},
    {EqkeOption::MeanMaxDiffSubproductRecursive, "mean+max_diff_subproduct_recursive"},
    {EqkeOption::MeanRecursiveMaxDiffSubproductRecursive, "mean_recursive+max_diff_subproduct_recursive"},
}};

template <class E, size_t N>
std::string name_of(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [e, name] : table)
    if (e == value) return name;
  return "?";
}
template <class E, size_t N>
std::optional<E> value_of(const std::array<std::pair<E, const char*>, N>& table, const std::string& s) {
  for (const auto& [e, name] : table)
    if (s == name) return e;
  return std::nullopt;
}

}  // namespace

bool is_peeling(EqkeOption o) {
  return o == EqkeOption::MaxDiffSubproduct || o == EqkeOption::MeanMaxDiffSubproduct ||
         o == EqkeOption::MaxDiffSubproductRecursive || o == EqkeOption::MeanMaxDiffSubproductRecursive ||
         o == EqkeOption::MeanRecursiveMaxDiffSubproductRecursive;
}

std::string option_name(EuOption o) { return name_of(kEu, o); }
std::string option_name(AttentionOption o) { return name_of(kAttention, o); }
std::string option_name(EqkeOption o) { return name_of(kEqke, o); }
std::optional<EuOption> parse_eu_option(const std::string& s) { return value_of(kEu, s); }
std::optional<AttentionOption> parse_attention_option(const std::string& s) { return value_of(kAttention, s); }
std::optional<EqkeOption> parse_eqke_option(const std::string& s) { return value_of(kEqke, s); }

std::string subcubic_strategy_name(const SubcubicOptions& o) {
  return "subcubic/" + option_name(o.eu) + "/" + option_name(o.attention) + "/" + option_name(o.eqke);
}

std::optional<SubcubicOptions> parse_subcubic_name(const std::string& name) {
  const std::string prefix = "subcubic/";
  if (name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  // The option names contain no '/', so the three components are split at the slashes.
  const size_t a = prefix.size(), b = name.find('/', a);
  if (b == std::string::npos) return std::nullopt;
  const size_t c = name.find('/', b + 1);
  if (c == std::string::npos || name.find('/', c + 1) != std::string::npos) return std::nullopt;
  const auto eu = parse_eu_option(name.substr(a, b - a));
  const auto att = parse_attention_option(name.substr(b + 1, c - b - 1));
  const auto eqke = parse_eqke_option(name.substr(c + 1));
  if (!eu || !att || !eqke || !registered(*eu, *att, *eqke)) return std::nullopt;
  return SubcubicOptions{*eu, *att, *eqke};
}

std::vector<std::string> subcubic_strategy_names() {
  std::vector<std::string> names;
  for (const auto& eu : kEu)
    for (const auto& att : kAttention)
      for (const auto& eqke : kEqke)
        if (registered(eu.first, att.first, eqke.first)) names.push_back(subcubic_strategy_name({eu.first, att.first, eqke.first}));
  return names;
}

uint64_t unexplained_dimension(const SubcubicOptions& o, uint64_t v, uint64_t d) {
  uint64_t eu = 0, err = 0;
  switch (o.eu) {
    case EuOption::GlobalMaxDiffExact: eu = 2; break;
    case EuOption::MaxDiffExact: eu = 2 * v; break;
    case EuOption::CenteredMaxExact:  // ours: one G per (q, m)
    case EuOption::JointExact: eu = v * v; break;       // ours: the table itself (SPEC 7.25)
    case EuOption::MeanQueryMaxDiff:
    case EuOption::SvdQueryMaxDiff: eu = v + v * d + 2; break;
    case EuOption::MaxDiff: eu = v * d + 2; break;
  }
  switch (o.eqke) {
    case EqkeOption::Exact: err = v * v; break;
    case EqkeOption::Svd: err = 2 * v; break;
    // The max_diff family (reference-algorithms.md 7.2): 2v + 2d, plus v if the name starts "mean".
    case EqkeOption::MaxDiff:
    case EqkeOption::MaxDiffSubproduct:
    case EqkeOption::MaxDiffSubproductRecursive: err = 2 * v + 2 * d; break;
    case EqkeOption::MeanMaxDiff:
    case EqkeOption::MeanMaxDiffSubproduct:
    case EqkeOption::MeanMaxDiffSubproductRecursive:
    case EqkeOption::MeanRecursiveMaxDiffSubproductRecursive: err = 3 * v + 2 * d; break;
    case EqkeOption::MaxDiffExact: err = 4 * v; break;
  }
  return eu + err + v + v * v;
}

}  // namespace mechcert

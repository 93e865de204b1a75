// Strategy "composition" (SPEC.md 9): a manifest that splits the input space into ranges of the
// query-major input order (SPEC 4.6), names one part certificate per range by file and SHA-256,
// and claims at most the sum of what the parts certify. This is how a brute-force proof outgrows
// one machine: the parts are checked independently (`mechcert-check --part I`, or the ranks of
// `mechcert-check-mpi`), and only the composition below is needed to put them together.
//
// Trust: the manifest is untrusted like any certificate. The checker proves the ranges tile the
// input space (Lemma P), re-hashes every part file, refuses a part for another model or with a
// range other than the manifest's, and checks each part in full with its own strategy.
// Cost: the parts' costs plus one SHA-256 pass over each part file and O(parts) comparisons.
#pragma once
#include <string>
#include <vector>

#include "checker/check.hpp"

namespace mechcert {

inline constexpr size_t kMaxCompositionParts = size_t{1} << 16;

struct ManifestPart {
  size_t index = 0;        // position in steps[0].parts
  std::string file;        // a bare file name, resolved in the manifest's directory
  std::string sha256;      // of the part file's bytes
  BigInt begin, end;       // the input indices [begin, end) the part covers (SPEC 4.6)
  JsonPath where;          // steps[0].parts[index], for messages
  // "steps[0].parts[3] (part-003.json)": how every message names the part.
  std::string name() const;
};

// Parses the manifest's one step {"kind": "composition", "parts": [...]} (SPEC 9.1): every entry's
// fields, a bare file name, 0 <= begin < end <= total. Throws FormatError naming the part.
std::vector<ManifestPart> read_manifest_parts(const Certificate& manifest, const BigInt& total);

// SPEC 9 Lemma P (partition): no part repeated (file name or digest), parts listed by range with
// parts[0].begin = 0, parts[i].begin = parts[i-1].end and the last end = total, so the ranges are
// pairwise disjoint and their union is exactly [0, total). Throws CertificateRejected naming the
// first part that breaks it (a gap names the part after it, or the last part).
void check_partition(const std::vector<ManifestPart>& parts, const BigInt& total);

// One part alone: reads the file once, compares its SHA-256 with the manifest's, parses it as a
// certificate, requires the manifest's model, a strategy that certifies only the inputs of a range
// (brute-force with "inputs") and that range equal to the manifest's, then checks it in full
// (check_certificate: the part's own claim included). Returns what the part certifies; its ops
// include the hash (one int_op per byte). Throws CertificateRejected / UnreadableInput prefixed
// with part.name().
StrategyOutcome check_part(const LoadedModel& model, const Certificate& manifest,
                           const ManifestPart& part, int threads);

// SPEC 9 Lemma P (sum): with the partition checked and every part checked, at least the sum of
// the parts' certified counts are correct. Ops and paper FLOPs are the parts' sums plus the
// composition's own (2 comparisons and 1 exact addition per part).
StrategyOutcome compose_parts(const std::vector<StrategyOutcome>& parts);

// The checker function for strategy "composition": all of the above, parts in manifest order.
StrategyOutcome check_composition(const StrategyInput& in);

}  // namespace mechcert

#include "checker/composition.hpp"

#include <filesystem>
#include <limits>
#include <map>

#include "checker/brute_force.hpp"
#include "checker/counting.hpp"
#include "checker/hybrid.hpp"
#include "format/exact_numbers.hpp"
#include "format/sha256.hpp"

namespace mechcert {

namespace {

[[noreturn]] void reject_part(const ManifestPart& part, const std::string& why) {
  throw CertificateRejected(part.name() + ": " + why);
}

std::string range_text(const BigInt& begin, const BigInt& end) {
  std::string s = "[";  // appended, not "[" + ...: GCC 12 warns falsely (-Wrestrict) on that form
  s += begin.str();
  s += ", ";
  s += end.str();
  s += ")";
  return s;
}

bool is_lower_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string ManifestPart::name() const { return where.path + " (" + file + ")"; }

std::vector<ManifestPart> read_manifest_parts(const Certificate& manifest, const BigInt& total) {
  expect_step_kinds(manifest, {"composition"});
  FieldReader step(manifest.steps[0], manifest.step_path(0));
  step.required("kind");
  const nlohmann::json& list = step.array("parts", 1, kMaxCompositionParts);
  std::vector<ManifestPart> parts;
  for (size_t i = 0; i < list.size(); ++i) {
    ManifestPart part;
    part.index = i;
    part.where = step.field("parts").index(i);
    FieldReader r(list[i], part.where);
    part.file = r.string("file", 255);
    if (!is_bare_file_name(part.file))
      r.field("file").fail("a part must be a bare file name in the manifest's directory "
                           "([A-Za-z0-9._-], not starting with '.')");
    part.sha256 = r.string("sha256", 64);
    if (!is_lower_hex64(part.sha256)) r.field("sha256").fail("expected 64 lowercase hex digits");
    FieldReader in(r.object("inputs"), r.field("inputs"));
    part.begin = parse_decimal_integer(in.string("begin", kMaxNumberDigits), in.field("begin"));
    part.end = parse_decimal_integer(in.string("end", kMaxNumberDigits), in.field("end"));
    in.finish();
    r.finish();
    if (!(part.begin < part.end))
      in.path().fail("(" + part.file + ") empty input range " + range_text(part.begin, part.end));
    if (part.end > total)
      in.path().fail("(" + part.file + ") input range " + range_text(part.begin, part.end) +
                     " is outside the input space [0, " + total.str() + ")");
    parts.push_back(std::move(part));
  }
  step.finish();
  return parts;
}

// SPEC 9 Lemma P (partition). Listed in order and contiguous from 0 to total, the ranges are
// pairwise disjoint (each starts where the previous one ends, and begin < end) and cover [0, total).
void check_partition(const std::vector<ManifestPart>& parts, const BigInt& total) {
  std::map<std::string, size_t> by_file, by_digest;
  for (const ManifestPart& p : parts) {
    if (auto [it, fresh] = by_file.emplace(p.file, p.index); !fresh)
      reject_part(p, "repeats parts[" + std::to_string(it->second) + "] (the same file)");
    if (auto [it, fresh] = by_digest.emplace(p.sha256, p.index); !fresh)
      reject_part(p, "repeats parts[" + std::to_string(it->second) + "] (the same SHA-256)");
  }
  BigInt covered = 0;  // [0, covered) is tiled by the parts so far
  for (const ManifestPart& p : parts) {
    if (p.begin < covered)
      reject_part(p, "inputs " + range_text(p.begin, p.end) + " overlap the previous part on " +
                         range_text(p.begin, p.end < covered ? p.end : covered));
    if (p.begin > covered)
      reject_part(p, "no part covers inputs " + range_text(covered, p.begin) +
                         " (a part is missing before this one)");
    covered = p.end;
  }
  if (covered != total)
    reject_part(parts.back(), "no part covers inputs " + range_text(covered, total) +
                                  " (a part is missing after this one)");
}

StrategyOutcome check_part(const LoadedModel& model, const Certificate& manifest,
                           const ManifestPart& part, int threads) {
  const std::string path = (std::filesystem::path(manifest.directory.empty() ? "." : manifest.directory) /
                            part.file).string();
  std::string text;
  try {
    text = read_certificate_text(path);  // read once: the bytes hashed are the bytes checked
  } catch (const UnreadableInput& e) {
    throw UnreadableInput(part.name() + ": " + e.what());
  }
  const std::string digest = sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (digest != part.sha256)
    reject_part(part, "the file's SHA-256 is " + digest + ", the manifest says " + part.sha256);
  try {
    const Certificate cert = parse_certificate(text, path, manifest.directory);
    if (cert.model.sha256 != manifest.model.sha256)
      reject_part(part, "is a certificate for model " + cert.model.sha256 + ", the manifest is for " +
                            manifest.model.sha256);
    BigInt begin, end;  // the part's own range
    if (cert.strategy == "brute-force") {
      if (cert.claim_total > kMaxBruteForceInputs)
        reject_part(part, "brute force over vocab^k = " + cert.claim_total.str() + " > 2^40 inputs is refused");
      const InputRange r = brute_force_step_range(cert, cert.claim_total.convert_to<uint64_t>());
      begin = r.begin, end = r.end;
    } else if (cert.strategy == "hybrid/cubic+brute-force") {  // SPEC 10.8: whole queries
      expect_step_kinds(cert, {"path-tables", "cubic-classes", "brute-force-residue"});
      const std::optional<InputRange> queries = hybrid_step_range(cert, model.weights.v, model.weights.k);
      if (!queries) reject_part(part, "a hybrid part must carry an inputs range (SPEC 10.8)");
      const BigInt per_query = int_power(BigInt(model.weights.v), model.weights.k - 1);
      begin = per_query * queries->begin, end = per_query * queries->end;
    } else {
      reject_part(part, "strategy \"" + cert.strategy +
                            "\" does not certify an input range (a part must be brute-force or hybrid/cubic+brute-force)");
    }
    if (begin != part.begin || end != part.end)
      reject_part(part, "covers inputs " + range_text(begin, end) + ", the manifest says " +
                            range_text(part.begin, part.end));
    const CheckResult checked = check_certificate(model, cert, threads);
    StrategyOutcome out;
    out.certified = checked.certified;
    out.ops = checked.length.ops;
    out.ops.int_op += text.size();  // SHA-256 of the part file, one per byte
    out.paper_flops = checked.length.paper_flops;
    if (checked.unexplained_dimension <= std::numeric_limits<uint64_t>::max())
      out.unexplained_dimension = checked.unexplained_dimension.convert_to<uint64_t>();
    return out;
  } catch (const UnreadableInput& e) {
    throw UnreadableInput(part.name() + ": " + e.what());
  } catch (const CertificateRejected& e) {
    const std::string what = e.what();
    if (what.rfind(part.name(), 0) == 0) throw;  // already names the part
    throw CertificateRejected(part.name() + ": " + what);
  } catch (const FormatError& e) {
    throw CertificateRejected(part.name() + ": " + e.what());
  }
}

// SPEC 9 Lemma P (sum).
StrategyOutcome compose_parts(const std::vector<StrategyOutcome>& parts) {
  StrategyOutcome out;
  for (const StrategyOutcome& p : parts) {
    out.certified += p.certified;
    out.ops += p.ops;
    out.paper_flops += p.paper_flops;
    if (p.unexplained_dimension > out.unexplained_dimension)
      out.unexplained_dimension = p.unexplained_dimension;
  }
  out.ops.compare += 2 * parts.size();  // the partition: begin vs the covered prefix, twice
  out.ops.exact_add += parts.size();    // the sum of the counts
  return out;
}

StrategyOutcome check_composition(const StrategyInput& in) {
  const std::vector<ManifestPart> parts = read_manifest_parts(in.cert, in.cert.claim_total);
  check_partition(parts, in.cert.claim_total);
  std::vector<StrategyOutcome> outcomes;
  for (const ManifestPart& p : parts) outcomes.push_back(check_part(in.model, in.cert, p, in.threads));
  return compose_parts(outcomes);
}

}  // namespace mechcert

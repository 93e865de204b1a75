// libFuzzer target: the certificate parser (format/certificate.hpp, parse_certificate) on
// arbitrary text, without a sidecar directory. Any input must parse into an envelope that
// satisfies the invariants below or be rejected with a FormatError (UnreadableInput is one);
// anything else (crash, sanitizer report, other exception type) is a bug in format/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/certificate.hpp"
#include "format/errors.hpp"

namespace {

bool verbose() {  // MECHCERT_FUZZ_VERBOSE=1: print each input's outcome
  static const bool on = std::getenv("MECHCERT_FUZZ_VERBOSE") != nullptr;
  return on;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_certificate: accepted certificate breaks invariant: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const mechcert::Certificate c = mechcert::parse_certificate(text, "fuzz.cert.json", "");
    require(c.version == mechcert::kCertificateVersion, "version");
    require(c.task.vocab > 0 && c.task.vocab <= mechcert::kMaxVocab, "vocab in range");
    require(c.task.k > 0 && c.task.k <= mechcert::kMaxK, "k in range");
    require(c.model.sha256.size() == 64, "sha256 length");
    require(c.steps.is_array(), "steps is an array");
    require(c.steps.size() <= mechcert::kMaxSteps, "step count");
    for (size_t i = 0; i < c.steps.size(); ++i) (void)c.step_kind(i);  // must not throw
    require(c.claim_correct >= 0, "claim >= 0");
    require(c.claim_correct <= c.claim_total, "claim <= total");
    require(!c.sidecar.has_value(), "no sidecar without a directory");
    // The generator-side writer must accept what the parser accepted.
    (void)mechcert::certificate_to_json(c);
    if (verbose()) std::fprintf(stderr, "accepted: %s, %zu steps\n", c.strategy.c_str(), c.steps.size());
  } catch (const mechcert::FormatError& e) {
    if (verbose()) std::fprintf(stderr, "rejected: %s\n", e.what());
  }
  return 0;
}

// libFuzzer target: the safetensors model reader (format/model_weights.hpp, load_model_from_bytes).
// Any input must either load into a model that satisfies the invariants below or be rejected with
// a FormatError; every other outcome (crash, sanitizer report, other exception, broken invariant)
// is a bug in format/.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <vector>

#include "format/errors.hpp"
#include "format/model_weights.hpp"

namespace {

// MECHCERT_FUZZ_VERBOSE=1: print the outcome of each input (to inspect the seed corpus).
bool verbose() {
  static const bool on = std::getenv("MECHCERT_FUZZ_VERBOSE") != nullptr;
  return on;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_model: accepted model breaks invariant: %s\n", what);
    std::abort();
  }
}

void check_matrix(const mechcert::Matrix& m, int64_t rows, int64_t cols, const char* name) {
  require(m.rows == rows && m.cols == cols, name);
  require(m.data.size() == static_cast<size_t>(rows * cols), name);
  for (double x : m.data) require(std::isfinite(x), name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  try {
    const mechcert::LoadedModel m = mechcert::load_model_from_bytes(bytes, "fuzz.safetensors");
    const mechcert::ModelWeights& w = m.weights;
    require(w.k > 0 && w.v > 0 && w.d > 0 && w.d_head > 0 && w.v_out > 0, "positive dimensions");
    check_matrix(w.W_E, w.v, w.d, "W_E");
    check_matrix(w.W_pos, w.k, w.d, "W_pos");
    check_matrix(w.W_Q, w.d, w.d_head, "W_Q");
    check_matrix(w.W_K, w.d, w.d_head, "W_K");
    check_matrix(w.W_V, w.d, w.d_head, "W_V");
    check_matrix(w.W_O, w.d_head, w.d, "W_O");
    check_matrix(w.W_U, w.d, w.v_out, "W_U");
    require(w.b_Q.size() == static_cast<size_t>(w.d_head), "b_Q");
    require(w.b_K.size() == static_cast<size_t>(w.d_head), "b_K");
    require(w.b_V.size() == static_cast<size_t>(w.d_head), "b_V");
    require(w.b_O.size() == static_cast<size_t>(w.d), "b_O");
    require(w.b_U.size() == static_cast<size_t>(w.v_out), "b_U");
    require(m.sha256.size() == 64, "sha256 is 64 hex chars");
    (void)w.has_nonzero_bias();
    if (verbose()) std::fprintf(stderr, "accepted: v=%lld k=%lld d=%lld\n", (long long)w.v,
                                (long long)w.k, (long long)w.d);
  } catch (const mechcert::FormatError& e) {
    // rejected with a one-line message: the expected outcome for malformed input
    if (verbose()) std::fprintf(stderr, "rejected: %s\n", e.what());
  }
  return 0;
}

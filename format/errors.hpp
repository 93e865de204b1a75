// User-facing input errors. Every rejection of a bad file (model or certificate) is one of these,
// with a one-line message that names the file, the field or tensor, and the problem, e.g.
//   "model.safetensors: tensor 'embed.W_E': shape [64,31], expected [64,32]".
// Internal invariants are asserts, not FormatErrors.
#pragma once
#include <stdexcept>
#include <string>

namespace mechcert {

struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace mechcert

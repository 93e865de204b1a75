// Generator side of certificate format v1: builds the envelope (format, version, task, model
// identity, claim) around a strategy's steps. The checker trusts none of it; see SPEC.md
// "Certificates".
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "format/certificate.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// A complete certificate document claiming `correct` of v^k inputs for `model`.
// `generator_info` goes under "generator" (free-form, ignored by the checker).
nlohmann::json make_certificate_json(const LoadedModel& model, const std::string& strategy,
                                     nlohmann::json steps, const BigInt& correct,
                                     nlohmann::json generator_info = nlohmann::json::object());

}  // namespace mechcert

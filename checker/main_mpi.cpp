// mechcert-check-mpi MODEL MANIFEST [--json] [--threads N]: a composition manifest (SPEC 9)
// checked by the ranks of an MPI job (SPEC 9.4). Every rank validates the manifest and its
// partition (cheap, identical everywhere); rank r checks the parts r, r + size, r + 2 size, ... in
// order and stops at its first failure; rank 0 gathers every part's outcome (exact counts as
// decimal strings), composes them in manifest order and prints the one verdict mechcert-check
// would print: the first failing part in manifest order, or the composed count against the claim.
// So the verdict, the count and the op counts never depend on the number of ranks.
// Built only with -DMECHCERT_MPI=ON (Debian's OpenMPI); trusted like mechcert-check.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "checker/check.hpp"
#include "checker/composition.hpp"
#include "checker/fp_environment.hpp"
#include "checker/verdict.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"

#ifndef MECHCERT_VERSION
#define MECHCERT_VERSION "unknown"
#endif
#ifndef MECHCERT_TRUSTED_LINES
#define MECHCERT_TRUSTED_LINES "unknown"
#endif

namespace {

using nlohmann::json;

// A failure on some rank: the exit code of SPEC 2.5 and its one-line message.
struct Status {
  int code = 0;
  std::string message;
};

// Runs `body`, mapping every exception to the exit code mechcert-check gives it.
template <typename F>
Status guarded(F&& body) {
  try {
    body();
    return {};
  } catch (const std::bad_alloc&) {
    return {mechcert::kExitInternal, "out of memory"};
  } catch (const mechcert::UnreadableInput& e) {
    return {mechcert::kExitUnreadable, std::string("unreadable input: ") + e.what()};
  } catch (const mechcert::CertificateRejected& e) {
    return {mechcert::kExitRejected, e.what()};
  } catch (const mechcert::FormatError& e) {
    return {mechcert::kExitRejected, e.what()};
  } catch (const std::exception& e) {
    return {mechcert::kExitInternal, e.what()};
  }
}

// Every rank's string, on rank 0 (empty elsewhere).
std::vector<std::string> gather_strings(const std::string& mine, int rank, int size) {
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<char> all;
  if (rank == 0) {
    int total = 0;
    for (int r = 0; r < size; ++r) {
      offsets[static_cast<size_t>(r)] = total;
      total += lengths[static_cast<size_t>(r)];
    }
    all.resize(static_cast<size_t>(total) + 1);
  }
  MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
              MPI_COMM_WORLD);
  std::vector<std::string> out;
  if (rank == 0)
    for (int r = 0; r < size; ++r)
      out.emplace_back(all.data() + offsets[static_cast<size_t>(r)],
                       static_cast<size_t>(lengths[static_cast<size_t>(r)]));
  return out;
}

int broadcast_code(int code) {
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return code;
}

struct Printer {
  bool json_output = false;
  std::string strategy, sha;
  int print(const Status& s) const {
    switch (s.code) {
      case mechcert::kExitRejected: return mechcert::print_rejected(s.message, json_output, strategy, sha);
      case mechcert::kExitUnreadable: return mechcert::print_unreadable(s.message);
      case mechcert::kExitEnvironment:
        std::fprintf(stderr, "mechcert-check: %s\n", s.message.c_str());
        return s.code;
      default: return mechcert::print_internal_error(s.message);
    }
  }
};

// The lowest rank's failure, on rank 0; every rank returns the agreed exit code (0 = go on).
int agree(const Status& mine, const Printer& printer, int rank, int size) {
  const std::vector<std::string> all =
      gather_strings(json{{"code", mine.code}, {"message", mine.message}}.dump(), rank, size);
  int code = 0;
  if (rank == 0)
    for (const std::string& text : all) {
      const json j = json::parse(text);
      if (j["code"].get<int>() != 0) {
        code = printer.print(Status{j["code"].get<int>(), j["message"].get<std::string>()});
        break;
      }
    }
  return broadcast_code(code);
}

json outcome_json(const mechcert::StrategyOutcome& o) {
  return {{"certified", o.certified.str()}, {"ops", o.ops.to_json()},
          {"paper_flops", o.paper_flops}, {"unexplained_dimension", o.unexplained_dimension}};
}

mechcert::StrategyOutcome outcome_from_json(const json& j) {
  mechcert::StrategyOutcome o;
  o.certified = mechcert::BigInt(j["certified"].get<std::string>());
  const json& ops = j["ops"];
  o.ops.exact_mul = ops["exact_mul"];
  o.ops.exact_add = ops["exact_add"];
  o.ops.enclose = ops["enclose"];
  o.ops.exp = ops["exp"];
  o.ops.interval_add = ops["interval_add"];
  o.ops.interval_mul = ops["interval_mul"];
  o.ops.compare = ops["compare"];
  o.ops.int_op = ops["int_op"];
  o.paper_flops = j["paper_flops"];
  o.unexplained_dimension = j["unexplained_dimension"];
  return o;
}

int run(int argc, char** argv, int rank, int size) {
  CLI::App app{"mechcert-check-mpi: check a composition manifest (SPEC 9) with the ranks of an MPI "
               "job; prints the verdict mechcert-check prints.\nExit codes: 0 valid, 1 rejected, 2 "
               "usage error or unreadable input, 3 internal error, 4 unsound floating-point environment.",
               "mechcert-check-mpi"};
  std::string model_path, manifest_path;
  Printer printer;
  int threads = 1;
  app.add_option("MODEL", model_path, "model file (.safetensors)")->required();
  app.add_option("MANIFEST", manifest_path, "composition manifest (.json)")->required();
  app.add_flag("--json", printer.json_output, "print one JSON object instead of text");
  app.add_option("--threads", threads, "worker threads per rank (default 1: one rank per core)")
      ->check(CLI::Range(1, 1024));
  app.set_version_flag("--version", std::string("mechcert-check-mpi ") + MECHCERT_VERSION +
                                        " (certificate format v" +
                                        std::to_string(mechcert::kCertificateVersion) + ")\ntrusted code: " +
                                        MECHCERT_TRUSTED_LINES + " lines in checker/ and format/");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = rank == 0 ? app.exit(e) : e.get_exit_code();  // rank 0 prints help or the error
    return rc == 0 ? 0 : mechcert::kExitUnreadable;
  }

  mechcert::Stopwatch clock;
  mechcert::LoadedModel model;
  mechcert::Certificate manifest;
  std::vector<mechcert::ManifestPart> parts;
  // Phase 1, every rank: environment, model, manifest, envelope, partition (SPEC 9 Lemma P).
  Status setup;
  try {
    mechcert::require_sound_fp_environment();
  } catch (const std::exception& e) {
    setup = {mechcert::kExitEnvironment, e.what()};
  }
  if (setup.code == 0) {
    try {
      model = mechcert::load_model(model_path, {});
      printer.sha = model.sha256;
    } catch (const std::exception& e) {
      setup = {mechcert::kExitUnreadable, std::string("unreadable model: ") + e.what()};
    }
  }
  if (setup.code == 0) {
    try {
      manifest = mechcert::read_certificate(manifest_path);
    } catch (const mechcert::UnreadableInput& e) {  // mechcert-check's wording
      setup = {mechcert::kExitUnreadable, std::string("unreadable certificate: ") + e.what()};
    } catch (const mechcert::FormatError& e) {
      setup = {mechcert::kExitRejected, e.what()};
    } catch (const std::exception& e) {
      setup = {mechcert::kExitInternal, e.what()};
    }
  }
  if (setup.code == 0) setup = guarded([&] {
    printer.strategy = manifest.strategy;
    if (manifest.strategy != "composition")
      throw mechcert::UnreadableInput(manifest_path + " is not a composition manifest (strategy " +
                                      manifest.strategy + "); check it with mechcert-check");
    mechcert::check_envelope(model, manifest);
    parts = mechcert::read_manifest_parts(manifest, manifest.claim_total);
    mechcert::check_partition(parts, manifest.claim_total);
  });
  if (const int code = agree(setup, printer, rank, size); code != 0) return code;

  // Phase 2: this rank's parts, in manifest order, until the first failure.
  json mine = json::array();
  for (size_t i = static_cast<size_t>(rank); i < parts.size(); i += static_cast<size_t>(size)) {
    mechcert::StrategyOutcome outcome;
    const Status s = guarded([&] { outcome = mechcert::check_part(model, manifest, parts[i], threads); });
    json record = {{"index", i}, {"code", s.code}, {"message", s.message}};
    if (s.code == 0) record["outcome"] = outcome_json(outcome);
    mine.push_back(std::move(record));
    if (s.code != 0) break;
  }
  double cpu = clock.cpu_seconds(), cpu_all = 0;
  MPI_Reduce(&cpu, &cpu_all, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  const std::vector<std::string> gathered = gather_strings(mine.dump(), rank, size);

  int code = 0;
  if (rank == 0) {
    std::vector<json> records;
    for (const std::string& text : gathered)
      for (json& r : json::parse(text)) records.push_back(std::move(r));
    std::sort(records.begin(), records.end(),
              [](const json& a, const json& b) { return a["index"].get<size_t>() < b["index"].get<size_t>(); });
    std::vector<mechcert::StrategyOutcome> outcomes;
    for (const json& r : records) {
      if (r["code"].get<int>() != 0) {
        code = printer.print(Status{r["code"].get<int>(), r["message"].get<std::string>()});
        break;
      }
      outcomes.push_back(outcome_from_json(r["outcome"]));
    }
    if (code == 0 && outcomes.size() != parts.size())
      code = printer.print(Status{mechcert::kExitInternal, "a rank reported no outcome for some part"});
    if (code == 0) {
      mechcert::CheckResult result;
      const Status s = guarded([&] {
        result = mechcert::finish_check(model, manifest, mechcert::compose_parts(outcomes));
      });
      if (s.code != 0) {
        code = printer.print(s);
      } else {
        result.length.wall_seconds = clock.wall_seconds();
        result.length.cpu_seconds = cpu_all;
        code = mechcert::print_valid(result, printer.json_output);
      }
    }
  }
  return broadcast_code(code);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int code = run(argc, argv, rank, size);
  MPI_Finalize();
  return code;
}

// mechcert: the untrusted generator. Trains and evaluates models and writes certificates that
// mechcert-check verifies independently.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "format/certificate.hpp"
#include "generator/commands.hpp"

#ifndef MECHCERT_VERSION
#define MECHCERT_VERSION "unknown"
#endif

namespace {

constexpr const char* kUsage =
    "Usage: mechcert <command> [options]\n"
    "  or:  mechcert --help | --version\n"
    "\n"
    "commands:\n"
    "  train        train a Max-of-K model (the paper's recipe)         mechcert train --help\n"
    "  eval         exact accuracy over all v^k inputs                    mechcert eval --help\n"
    "  strategies   list the proof strategies\n"
    "  prove        write a certificate for a model                       mechcert prove --help\n"
    "  keygen       write a signing key pair (minisign formats)           mechcert keygen --help\n"
    "  sign         check a certificate, write a signed bundle            mechcert sign --help\n"
    "  verify       verify a signed bundle and re-check its certificate   mechcert verify --help\n"
    "  sweep        train, prove and check many seeds and strategies      mechcert sweep --help\n"
    "  report       tables and plots of sweeps (HTML, PNG, SVG, Markdown)  mechcert report --help\n"
    "\n"
    "Certificates are checked by the separate program mechcert-check.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("mechcert %s (certificate format v%lld)\n", MECHCERT_VERSION,
                static_cast<long long>(mechcert::kCertificateVersion));
    return 0;
  }
  const std::string command = argv[1];
  try {
    // Subcommands see argv[0] = command name, then their own options.
    if (command == "train") return mechcert::cmd_train(argc - 1, argv + 1);
    if (command == "eval") return mechcert::cmd_eval(argc - 1, argv + 1);
    if (command == "strategies") return mechcert::cmd_strategies(argc - 1, argv + 1);
    if (command == "prove") return mechcert::cmd_prove(argc - 1, argv + 1);
    if (command == "keygen") return mechcert::cmd_keygen(argc - 1, argv + 1);
    if (command == "sign") return mechcert::cmd_sign(argc - 1, argv + 1);
    if (command == "verify") return mechcert::cmd_verify(argc - 1, argv + 1);
    if (command == "sweep") return mechcert::cmd_sweep(argc - 1, argv + 1);
    if (command == "report") return mechcert::cmd_report(argc - 1, argv + 1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert %s: %s\n", command.c_str(), e.what());
    return 2;
  }
  std::fprintf(stderr, "mechcert: unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}

// `mechcert keygen --out DIR`: an Ed25519 key pair in minisign's formats (SPEC.md §8.2):
// DIR/mechcert.key (unencrypted minisign secret key, mode 0600) and DIR/mechcert.pub (minisign
// public key). Never overwrites either file.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "generator/bundle.hpp"
#include "generator/commands.hpp"
#include "generator/minisign.hpp"

namespace mechcert {

int cmd_keygen(int argc, char** argv) {
  CLI::App app{"Write an Ed25519 signing key pair in minisign's formats: DIR/mechcert.key (secret, "
               "mode 0600, unencrypted; `minisign -S -s` reads it too) and DIR/mechcert.pub "
               "(`minisign -V -p` reads it). Refuses to overwrite either file.\n"
               "Exit codes: 0 written, 2 usage error or the files cannot be written (or exist)."};
  app.name("mechcert keygen");
  std::string out;
  bool json = false;
  app.add_option("--out", out, "directory for mechcert.key and mechcert.pub (created, mode 0700, "
                               "if missing)")
      ->required();
  app.add_flag("--json", json, "print one JSON object: key_id, secret_key, public_key");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  namespace fs = std::filesystem;
  const fs::path dir = out;
  const fs::path sk_path = dir / "mechcert.key", pk_path = dir / "mechcert.pub";
  try {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      if (!fs::create_directories(dir, ec) || ec)
        throw BundleError(kBundleUsage, out + ": cannot create directory: " + ec.message());
      ::chmod(dir.c_str(), 0700);
    } else if (!fs::is_directory(dir, ec)) {
      throw BundleError(kBundleUsage, out + ": not a directory");
    }
    for (const fs::path& p : {sk_path, pk_path})
      if (fs::exists(fs::symlink_status(p, ec)))
        throw BundleError(kBundleUsage, p.string() + ": already exists; refusing to overwrite");
    const MinisignSecretKey key = generate_secret_key();
    write_new_file(sk_path, format_secret_key(key), 0600);
    try {
      write_new_file(pk_path, format_public_key(key.public_key()), 0644);
    } catch (...) {
      fs::remove(sk_path, ec);  // ours, written a moment ago: no half key pair
      throw;
    }
    if (json) {
      const nlohmann::json j = {{"key_id", key_id_hex(key.key_id)},
                                {"secret_key", sk_path.string()},
                                {"public_key", pk_path.string()}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("secret key: %s (mode 0600; keep it secret)\n", sk_path.c_str());
      std::printf("public key: %s (key %s)\n", pk_path.c_str(), key_id_hex(key.key_id).c_str());
    }
    return 0;
  } catch (const BundleError& e) {
    std::fprintf(stderr, "mechcert keygen: %s\n", e.what());
    return e.exit_code;
  }
}

}  // namespace mechcert

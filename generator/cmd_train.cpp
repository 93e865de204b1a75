// `mechcert train`: the paper's training recipe (trainer.hpp), written as F32 safetensors.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "format/model_weights.hpp"
#include "generator/commands.hpp"
#include "generator/trainer.hpp"

namespace mechcert {

int cmd_train(int argc, char** argv) {
  CLI::App app{"Train a Max-of-K model with the paper's recipe (AdamW lr 1e-3, weight decay 0.01, "
               "batch 128, 3000 steps, zero biases unless --train-biases). Deterministic per seed "
               "and independent of --threads."};
  app.name("mechcert train");
  TrainConfig config;
  std::string out_path;
  bool quiet = false;
  app.add_option("--k", config.k, "sequence length")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--vocab", config.v, "vocabulary size")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 24));
  app.add_option("--d-model", config.d_model, "d_model = d_head")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--steps", config.steps, "optimiser steps")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--batch", config.batch, "sequences per step")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", config.lr, "AdamW learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", config.seed, "training seed (init and data streams)")
      ->capture_default_str();
  app.add_option("--threads", config.threads, "worker threads (0 = all cores; result unchanged)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--progress-every", config.progress_every,
                 "steps between progress lines (0 = steps/10; 1 = every step's batch loss)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--out", out_path, "output model file (F32 safetensors)")->required();
  app.add_flag("--train-biases", config.train_biases,
               "also train b_Q, b_K, b_V, b_O, b_U (start at zero; the paper's recipe, the "
               "default, keeps them at zero)");
  app.add_flag("--quiet", quiet, "no progress lines on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  config.progress = !quiet;

  TrainStats stats;
  const ModelWeights weights = train_model(config, &stats);
  save_model(out_path, weights, DType::F32);
  if (!quiet) {
    std::fprintf(stderr, "train: wrote %s (seed %llu, final batch loss %.6f, %.2f s)\n",
                 out_path.c_str(), static_cast<unsigned long long>(config.seed), stats.final_loss,
                 stats.seconds);
  }
  return 0;
}

}  // namespace mechcert

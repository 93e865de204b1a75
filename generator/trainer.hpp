// The paper's training recipe (paper/reference-algorithms.md §2) with hand-written backprop:
// i.i.d. uniform tokens, cross-entropy on the last position's logits (labels = max token),
// AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01 on every W_*), batch 128,
// 3000 steps, every W_* initialised N(0, 0.8/sqrt(d_model)), biases fixed at zero (not trained,
// not decayed, not stored in the optimiser) unless `train_biases` (then they start at zero and are
// trained and decayed like the weights; the weights' random numbers are the same either way).
//
// Deterministic: the same config gives the same bytes for every thread count, because each batch
// is cut into fixed chunks (independent of the thread count) whose gradients are summed in chunk
// order. Random numbers come from std::mt19937_64 (output fully specified by the C++ standard),
// seeded through std::seed_seq (also specified), with our own uniform / Box-Muller mapping; the
// only platform dependence left is libm's log/cos/sin/exp, which may differ in the last bit
// between C libraries. Trained in double; rounded to float32 when exported.
// Cost: projections are gathered from per-token tables E·W, P·W (O((v+k)·d²) per step, not
// O(k·batch·d²)); one Max-of-4 model (3000 steps) takes about 1.6 s of CPU. docs/training.md.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "format/model_weights.hpp"
#include "generator/transformer.hpp"

namespace mechcert {

struct TrainConfig {
  int64_t k = 4;             // sequence length
  int64_t v = 64;            // vocabulary (inputs and outputs)
  int64_t d_model = 32;      // d_model = d_head (one head)
  int64_t steps = 3000;
  int64_t batch = 128;
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
  double init_std = -1.0;    // < 0: 0.8 / sqrt(d_model) (TransformerLens "gpt2" init)
  uint64_t seed = 0;
  int threads = 0;           // 0 = hardware concurrency; never changes the result
  bool progress = false;     // step / loss / elapsed lines on stderr
  int64_t progress_every = 0;  // steps between progress lines; 0 = steps / 10 (1: every step)
  // Also train b_Q, b_K, b_V, b_O, b_U (initialised to zero, decayed like the weights, as one
  // torch AdamW parameter group would). Off by default: the paper's recipe fixes them at zero.
  bool train_biases = false;
};

// Trainable weights, shapes as in ModelWeights (d_head = d_model).
struct Params {
  RowMatrix E;  // [v, d]
  RowMatrix P;  // [k, d]
  RowMatrix Q;  // [d, d]
  RowMatrix K;  // [d, d]
  RowMatrix V;  // [d, d]
  RowMatrix O;  // [d, d]
  RowMatrix U;  // [d, v]
  // Biases as 1-row matrices (zero unless TrainConfig::train_biases).
  RowMatrix bQ, bK, bV;  // [1, d_head]
  RowMatrix bO;          // [1, d]
  RowMatrix bU;          // [1, v]

  static Params zeros_like(const Params& p);
  // The seven matrices in a fixed order (init order, optimiser order).
  std::vector<RowMatrix*> all();
  std::vector<const RowMatrix*> all() const;
  // The five biases in a fixed order (optimiser order, after the matrices).
  std::vector<RowMatrix*> biases();
  std::vector<const RowMatrix*> biases() const;
};

// Portable random numbers for training: uniform tokens and standard normals.
class TrainRng {
 public:
  TrainRng(uint64_t seed, uint64_t stream);  // stream separates init from data
  uint64_t bits() { return gen_(); }
  double uniform();                 // [0, 1), 53 random bits
  double normal();                  // N(0, 1), Box-Muller
  int64_t below(int64_t n);         // uniform in [0, n), rejection sampling (no modulo bias)

 private:
  std::mt19937_64 gen_;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

Params init_params(const TrainConfig& config);

// Mean cross-entropy over a batch (tokens: batch·k row-major, label = max of each row) and,
// if `grad` is non-null, its gradient with respect to every parameter (grad is overwritten).
// Chunking and threading as described above.
double loss_and_gradient(const Params& params, const std::vector<int32_t>& tokens, int64_t batch,
                         Params* grad, int threads = 1);

// One AdamW optimiser state (torch.optim.AdamW semantics, decoupled weight decay).
struct AdamW {
  Params m, v;
  int64_t step = 0;
  void update(Params& params, const Params& grad, const TrainConfig& config);
};

struct TrainStats {
  double seconds = 0.0;
  double final_loss = 0.0;  // loss of the last batch (before its update)
};

// The whole recipe; returns float32-rounded weights ready for save_model (task "max-of-k",
// k, v, seed set; zero biases unless config.train_biases).
ModelWeights train_model(const TrainConfig& config, TrainStats* stats = nullptr);

// Rounds to float32 and packs into ModelWeights (biases as trained: zero by default).
ModelWeights export_weights(const Params& params, const TrainConfig& config);

}  // namespace mechcert

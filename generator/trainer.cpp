#include "generator/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace mechcert {

// ---------------------------------------------------------------------------------------------
// Parameters and random numbers

Params Params::zeros_like(const Params& p) {
  Params z;
  z.E = RowMatrix::Zero(p.E.rows(), p.E.cols());
  z.P = RowMatrix::Zero(p.P.rows(), p.P.cols());
  z.Q = RowMatrix::Zero(p.Q.rows(), p.Q.cols());
  z.K = RowMatrix::Zero(p.K.rows(), p.K.cols());
  z.V = RowMatrix::Zero(p.V.rows(), p.V.cols());
  z.O = RowMatrix::Zero(p.O.rows(), p.O.cols());
  z.U = RowMatrix::Zero(p.U.rows(), p.U.cols());
  for (size_t i = 0; i < 5; ++i) {
    const RowMatrix& b = *p.biases()[i];
    *z.biases()[i] = RowMatrix::Zero(b.rows(), b.cols());
  }
  return z;
}

std::vector<RowMatrix*> Params::all() { return {&E, &P, &Q, &K, &V, &O, &U}; }
std::vector<const RowMatrix*> Params::all() const { return {&E, &P, &Q, &K, &V, &O, &U}; }
std::vector<RowMatrix*> Params::biases() { return {&bQ, &bK, &bV, &bO, &bU}; }
std::vector<const RowMatrix*> Params::biases() const { return {&bQ, &bK, &bV, &bO, &bU}; }

TrainRng::TrainRng(uint64_t seed, uint64_t stream) {
  // std::seed_seq's output is specified by the standard, so this is portable.
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32),
                    0x6d656368u /* "mech" */};
  gen_.seed(seq);
}

double TrainRng::uniform() { return static_cast<double>(gen_() >> 11) * 0x1p-53; }

double TrainRng::normal() {
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(angle);
  have_spare_ = true;
  return r * std::cos(angle);
}

int64_t TrainRng::below(int64_t n) {
  const auto un = static_cast<uint64_t>(n);
  // Largest multiple of n that fits: reject draws at or above it.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % un + 1) % un;
  uint64_t x = gen_();
  while (x > limit) x = gen_();
  return static_cast<int64_t>(x % un);
}

namespace {

constexpr uint64_t kInitStream = 1;
constexpr uint64_t kDataStream = 2;
constexpr int64_t kChunkRows = 32;  // batch chunk; fixed, so results never depend on threads

void validate(const TrainConfig& c) {
  if (c.k < 1 || c.v < 2 || c.d_model < 1 || c.steps < 0 || c.batch < 1 || !(c.lr > 0) ||
      c.v > (int64_t{1} << 24) || c.k > 4096 || c.d_model > 4096) {
    throw std::invalid_argument("train: invalid configuration (need k >= 1, 2 <= vocab <= 2^24, "
                                "d-model >= 1, steps >= 0, batch >= 1, lr > 0)");
  }
}

// Per-token tables shared by every chunk of a step: the query/key/value projections of each
// embedding row and each position row (the residual at position p is E[t_p] + P_p, so its
// projection is EW[t_p] + PW[p]). This replaces O(k·batch·d²) products by O((v+k)·d²).
struct Projections {
  RowMatrix EQ, EK, EV;  // [v, d_head]
  RowMatrix PQ, PK, PV;  // [k, d_head]
};

Projections project(const Params& w) {
  Projections pr;
  pr.EQ = w.E * w.Q;
  pr.EK = w.E * w.K;
  pr.EV = w.E * w.V;
  pr.PQ = w.P * w.Q;
  pr.PK = w.P * w.K;
  pr.PV = w.P * w.V;
  return pr;
}

// What one chunk contributes. The gradients of the three projections are kept per token (G*)
// and per position (H*) and turned into weight gradients once per step.
struct ChunkResult {
  double loss_sum = 0.0;
  RowMatrix gU, gO;          // [d, v], [d_head, d]
  RowMatrix dE, dP;          // direct path: d loss / d residual at the last position, scattered
  RowMatrix GQ, GK, GV;      // [v, d_head]: d loss / d (E W) rows
  RowMatrix HQ, HK, HV;      // [k, d_head]: d loss / d (P W) rows
  RowMatrix gbQ, gbK, gbV, gbO, gbU;  // bias gradients (1-row)

  void zero(const Params& w) {
    const Eigen::Index v = w.E.rows(), k = w.P.rows(), d = w.E.cols(), dh = w.Q.cols();
    gU = RowMatrix::Zero(d, w.U.cols());
    gO = RowMatrix::Zero(dh, d);
    dE = RowMatrix::Zero(v, d);
    dP = RowMatrix::Zero(k, d);
    GQ = GK = GV = RowMatrix::Zero(v, dh);
    HQ = HK = HV = RowMatrix::Zero(k, dh);
    gbQ = gbK = gbV = RowMatrix::Zero(1, dh);
    gbO = RowMatrix::Zero(1, d);
    gbU = RowMatrix::Zero(1, w.U.cols());
  }
  void add(const ChunkResult& o) {
    loss_sum += o.loss_sum;
    gU += o.gU, gO += o.gO, dE += o.dE, dP += o.dP;
    GQ += o.GQ, GK += o.GK, GV += o.GV, HQ += o.HQ, HK += o.HK, HV += o.HV;
    gbQ += o.gbQ, gbK += o.gbK, gbV += o.gbV, gbO += o.gbO, gbU += o.gbU;
  }
};

// Forward and backward pass for B sequences (tokens: B·k row-major). Accumulates into `out`
// (zeroed by the caller) the loss sum and the gradient of (sum of per-sequence losses)·inv_total.
void chunk_pass(const Params& w, const Projections& pr, const int32_t* tokens, int64_t B,
                int64_t k, double inv_total, bool want_grad, ChunkResult& out) {
  const Eigen::Index nb = static_cast<Eigen::Index>(B);
  const Eigen::Index kk = static_cast<Eigen::Index>(k);
  const Eigen::Index last = kk - 1;
  const Eigen::Index dh = w.Q.cols();
  const double scale = std::sqrt(static_cast<double>(dh));
  const auto token = [&](Eigen::Index b, Eigen::Index p) {
    return static_cast<Eigen::Index>(tokens[b * kk + p]);
  };

  // Attention of the last position, mixed values z, final residual h, logits.
  RowMatrix q(nb, dh), A(nb, kk), z = RowMatrix::Zero(nb, dh), h(nb, w.E.cols());
  for (Eigen::Index b = 0; b < nb; ++b) {
    // Biases (zero unless trained: adding 0.0 is exact, so the paper's recipe is unchanged).
    q.row(b) = pr.EQ.row(token(b, last)) + pr.PQ.row(last) + w.bQ;
    for (Eigen::Index p = 0; p < kk; ++p) {
      A(b, p) = q.row(b).dot(pr.EK.row(token(b, p)) + pr.PK.row(p) + w.bK) / scale;
    }
    A.row(b) = (A.row(b).array() - A.row(b).maxCoeff()).exp().matrix();
    A.row(b) /= A.row(b).sum();
    for (Eigen::Index p = 0; p < kk; ++p) {
      z.row(b) += A(b, p) * (pr.EV.row(token(b, p)) + pr.PV.row(p) + w.bV);
    }
    h.row(b) = w.E.row(token(b, last)) + w.P.row(last);
  }
  h.noalias() += z * w.O;
  h.rowwise() += w.bO.row(0);
  RowMatrix probs = h * w.U;  // logits, then softmax probabilities in place
  probs.rowwise() += w.bU.row(0);

  std::vector<Eigen::Index> labels(static_cast<size_t>(nb));
  for (Eigen::Index b = 0; b < nb; ++b) {
    Eigen::Index m = token(b, 0);
    for (Eigen::Index p = 1; p < kk; ++p) m = std::max(m, token(b, p));
    labels[static_cast<size_t>(b)] = m;
    const double top = probs.row(b).maxCoeff();
    const double correct = probs(b, m);
    probs.row(b) = (probs.row(b).array() - top).exp().matrix();
    const double total = probs.row(b).sum();
    out.loss_sum += std::log(total) + top - correct;  // -log softmax(logits)[m]
    probs.row(b) /= total;
  }
  if (!want_grad) return;

  RowMatrix& dlogits = probs;
  for (Eigen::Index b = 0; b < nb; ++b) dlogits(b, labels[static_cast<size_t>(b)]) -= 1.0;
  dlogits *= inv_total;

  out.gU.noalias() += h.transpose() * dlogits;
  const RowMatrix dh_resid = dlogits * w.U.transpose();  // [B, d]
  out.gO.noalias() += z.transpose() * dh_resid;
  const RowMatrix dz = dh_resid * w.O.transpose();       // [B, d_head]
  out.gbU += dlogits.colwise().sum();
  out.gbO += dh_resid.colwise().sum();
  out.gbV += dz.colwise().sum();  // value_p = ... + b_V and the attention sums to 1

  Eigen::RowVectorXd dA(kk), dq(dh);
  for (Eigen::Index b = 0; b < nb; ++b) {
    const Eigen::Index tq = token(b, last);
    out.dE.row(tq) += dh_resid.row(b);
    out.dP.row(last) += dh_resid.row(b);
    for (Eigen::Index p = 0; p < kk; ++p) {
      dA(p) = dz.row(b).dot(pr.EV.row(token(b, p)) + pr.PV.row(p) + w.bV);
      // d loss / d value_p = A_p dz
      out.GV.row(token(b, p)) += A(b, p) * dz.row(b);
      out.HV.row(p) += A(b, p) * dz.row(b);
    }
    const double mean = A.row(b).dot(dA);
    dq.setZero();
    for (Eigen::Index p = 0; p < kk; ++p) {
      const double dscore = A(b, p) * (dA(p) - mean) / scale;  // softmax backward, then 1/scale
      dq += dscore * (pr.EK.row(token(b, p)) + pr.PK.row(p) + w.bK);
      out.GK.row(token(b, p)) += dscore * q.row(b);
      out.HK.row(p) += dscore * q.row(b);
      out.gbK += dscore * q.row(b);
    }
    out.GQ.row(tq) += dq;
    out.HQ.row(last) += dq;
    out.gbQ += dq;
  }
}

}  // namespace

Params init_params(const TrainConfig& c) {
  validate(c);
  const double std_dev =
      c.init_std >= 0 ? c.init_std : 0.8 / std::sqrt(static_cast<double>(c.d_model));
  const Eigen::Index d = static_cast<Eigen::Index>(c.d_model);
  const Eigen::Index v = static_cast<Eigen::Index>(c.v);
  Params p;
  p.E.resize(v, d);
  p.P.resize(static_cast<Eigen::Index>(c.k), d);
  p.Q.resize(d, d);
  p.K.resize(d, d);
  p.V.resize(d, d);
  p.O.resize(d, d);
  p.U.resize(d, v);
  TrainRng rng(c.seed, kInitStream);
  for (RowMatrix* m : p.all()) {
    for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = std_dev * rng.normal();
  }
  // Biases start at zero (TransformerLens's init), whether trained or not.
  p.bQ = p.bK = p.bV = RowMatrix::Zero(1, d);
  p.bO = RowMatrix::Zero(1, d);
  p.bU = RowMatrix::Zero(1, v);
  return p;
}

double loss_and_gradient(const Params& params, const std::vector<int32_t>& tokens, int64_t batch,
                         Params* grad, int threads) {
  const int64_t k = params.P.rows();
  if (static_cast<int64_t>(tokens.size()) != batch * k) {
    throw std::invalid_argument("loss_and_gradient: token count does not match batch·k");
  }
  for (const int32_t t : tokens) {
    if (t < 0 || t >= params.E.rows()) throw std::invalid_argument("loss_and_gradient: bad token");
  }
  const Projections proj = project(params);
  const int64_t chunks = (batch + kChunkRows - 1) / kChunkRows;
  std::vector<ChunkResult> results(static_cast<size_t>(chunks));
  const double inv_total = 1.0 / static_cast<double>(batch);
  auto run = [&](int64_t c) {
    ChunkResult& r = results[static_cast<size_t>(c)];
    if (grad) r.zero(params);
    const int64_t first = c * kChunkRows;
    const int64_t rows = std::min(kChunkRows, batch - first);
    chunk_pass(params, proj, tokens.data() + first * k, rows, k, inv_total, grad != nullptr, r);
  };
  if (threads == 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  const int64_t workers = std::clamp<int64_t>(threads, 1, chunks);
  if (workers == 1) {
    for (int64_t c = 0; c < chunks; ++c) run(c);
  } else {
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < workers; ++t) {
      pool.emplace_back([&, t] {
        for (int64_t c = t; c < chunks; c += workers) run(c);
      });
    }
    for (int64_t c = 0; c < chunks; c += workers) run(c);
    for (auto& th : pool) th.join();
  }
  // Sum in chunk order: the result is the same for every thread count.
  ChunkResult& total = results[0];
  for (size_t c = 1; c < results.size(); ++c) {
    if (grad) {
      total.add(results[c]);
    } else {
      total.loss_sum += results[c].loss_sum;
    }
  }
  if (grad) {
    const Params& w = params;
    grad->U = total.gU;
    grad->O = total.gO;
    grad->Q.noalias() = w.E.transpose() * total.GQ + w.P.transpose() * total.HQ;
    grad->K.noalias() = w.E.transpose() * total.GK + w.P.transpose() * total.HK;
    grad->V.noalias() = w.E.transpose() * total.GV + w.P.transpose() * total.HV;
    grad->E = total.dE;
    grad->E.noalias() += total.GQ * w.Q.transpose();
    grad->E.noalias() += total.GK * w.K.transpose();
    grad->E.noalias() += total.GV * w.V.transpose();
    grad->P = total.dP;
    grad->P.noalias() += total.HQ * w.Q.transpose();
    grad->P.noalias() += total.HK * w.K.transpose();
    grad->P.noalias() += total.HV * w.V.transpose();
    grad->bQ = total.gbQ;
    grad->bK = total.gbK;
    grad->bV = total.gbV;
    grad->bO = total.gbO;
    grad->bU = total.gbU;
  }
  return total.loss_sum * inv_total;
}

void AdamW::update(Params& params, const Params& grad, const TrainConfig& c) {
  if (step == 0) {
    m = Params::zeros_like(params);
    v = Params::zeros_like(params);
  }
  ++step;
  // torch.optim.AdamW (single-tensor path): decay, moments, bias-corrected step.
  const double bias1 = 1.0 - std::pow(c.beta1, static_cast<double>(step));
  const double bias2 = 1.0 - std::pow(c.beta2, static_cast<double>(step));
  const double step_size = c.lr / bias1;
  const double sqrt_bias2 = std::sqrt(bias2);
  auto ps = params.all();
  auto gs = grad.all();
  auto ms = m.all();
  auto vs = v.all();
  if (c.train_biases) {  // the same rule for the biases, after the matrices
    for (auto* b : params.biases()) ps.push_back(b);
    for (auto* b : grad.biases()) gs.push_back(b);
    for (auto* b : m.biases()) ms.push_back(b);
    for (auto* b : v.biases()) vs.push_back(b);
  }
  for (size_t i = 0; i < ps.size(); ++i) {
    RowMatrix& p = *ps[i];
    const RowMatrix& g = *gs[i];
    RowMatrix& mi = *ms[i];
    RowMatrix& vi = *vs[i];
    p *= 1.0 - c.lr * c.weight_decay;
    mi = c.beta1 * mi + (1.0 - c.beta1) * g;
    vi = c.beta2 * vi + (1.0 - c.beta2) * g.cwiseProduct(g);
    const RowMatrix denom = ((vi.array().sqrt() / sqrt_bias2) + c.eps).matrix();
    p.array() -= step_size * mi.array() / denom.array();
  }
}

ModelWeights export_weights(const Params& p, const TrainConfig& c) {
  const auto pack = [](const RowMatrix& m) {
    Matrix out(m.rows(), m.cols());
    for (Eigen::Index i = 0; i < m.size(); ++i) {
      out.data[static_cast<size_t>(i)] = static_cast<double>(static_cast<float>(m.data()[i]));
    }
    return out;
  };
  ModelWeights w;
  w.task = "max-of-k";
  w.k = c.k;
  w.v = c.v;
  w.v_out = c.v;
  w.d = c.d_model;
  w.d_head = c.d_model;
  w.seed = static_cast<int64_t>(c.seed);
  w.dtype = DType::F32;
  w.W_E = pack(p.E);
  w.W_pos = pack(p.P);
  w.W_Q = pack(p.Q);
  w.W_K = pack(p.K);
  w.W_V = pack(p.V);
  w.W_O = pack(p.O);
  w.W_U = pack(p.U);
  const auto bias = [&](const RowMatrix& b, int64_t n) {
    std::vector<double> out(static_cast<size_t>(n), 0.0);
    if (!c.train_biases || b.size() != n) return out;  // the paper's recipe: exactly zero
    for (int64_t i = 0; i < n; ++i)
      out[static_cast<size_t>(i)] = static_cast<double>(static_cast<float>(b.data()[i]));
    return out;
  };
  w.b_Q = bias(p.bQ, c.d_model);
  w.b_K = bias(p.bK, c.d_model);
  w.b_V = bias(p.bV, c.d_model);
  w.b_O = bias(p.bO, c.d_model);
  w.b_U = bias(p.bU, c.v);
  return w;
}

ModelWeights train_model(const TrainConfig& c, TrainStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  Params params = init_params(c);
  Params grad;
  AdamW optimiser;
  TrainRng data(c.seed, kDataStream);
  std::vector<int32_t> tokens(static_cast<size_t>(c.batch * c.k));
  const int64_t report_every =
      c.progress_every > 0 ? c.progress_every : std::max<int64_t>(1, c.steps / 10);
  double loss = 0.0;
  for (int64_t step = 0; step < c.steps; ++step) {
    for (int32_t& t : tokens) t = static_cast<int32_t>(data.below(c.v));
    loss = loss_and_gradient(params, tokens, c.batch, &grad, c.threads);
    optimiser.update(params, grad, c);
    if (c.progress && ((step + 1) % report_every == 0 || step + 1 == c.steps)) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "train: step %lld/%lld loss %.6f (%.2f s)\n",
                   static_cast<long long>(step + 1), static_cast<long long>(c.steps), loss,
                   elapsed);
    }
  }
  if (stats) {
    stats->final_loss = loss;
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return export_weights(params, c);
}

}  // namespace mechcert

// Loading and saving the 1-layer, 1-head, attention-only TransformerLens model (SPEC.md "Model
// files"). Everything is checked from the header (names, dtypes, shapes, limits, metadata) before a
// single value is decoded; the values are then copied exactly into doubles.
#include "format/model_weights.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "format/errors.hpp"
#include "format/safetensors.hpp"
#include "format/sha256.hpp"

namespace mechcert {
namespace {

// Resource limits, checked before anything is allocated from the shapes. They are far above any
// model of the paper (v = 64..512, k = 4..20, d = 32) and keep every dense table the checker builds
// (v x v, v x k, d x d) to a few hundred MB at most.
constexpr int64_t kMaxVocab = 4096;   // d_vocab and d_vocab_out
constexpr int64_t kMaxCtx = 64;       // k = n_ctx
constexpr int64_t kMaxDModel = 1024;  // d_model
constexpr int64_t kMaxDHead = 1024;   // d_head
// Largest valid model: F64, v = v_out = 4096, d = d_head = 1024 -> about 100 MB of data. The file
// cap leaves room for a generous header but refuses to read a multi-GB file into memory.
constexpr uint64_t kMaxModelFileBytes = uint64_t{512} << 20;

const std::string kWE = "embed.W_E";
const std::string kWpos = "pos_embed.W_pos";
const std::string kWQ = "blocks.0.attn.W_Q";
const std::string kWK = "blocks.0.attn.W_K";
const std::string kWV = "blocks.0.attn.W_V";
const std::string kWO = "blocks.0.attn.W_O";
const std::string kWU = "unembed.W_U";
const std::string kbQ = "blocks.0.attn.b_Q";
const std::string kbK = "blocks.0.attn.b_K";
const std::string kbV = "blocks.0.attn.b_V";
const std::string kbO = "blocks.0.attn.b_O";
const std::string kbU = "unembed.b_U";

const std::array<const std::string*, 7> kRequired = {&kWE, &kWpos, &kWQ, &kWK, &kWV, &kWO, &kWU};
const std::array<const std::string*, 5> kBiases = {&kbQ, &kbK, &kbV, &kbO, &kbU};

const std::set<std::string> kKnownTasks = {"max-of-k"};

// TransformerLens registers the causal mask (BOOL) and the masking fill value (IGNORE, often -inf)
// as buffers; they are not parameters and carry no information we use.
bool is_ignored_buffer(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".mask") || ends_with(".IGNORE");
}

[[noreturn]] void tensor_error(const std::string& file, const std::string& tensor,
                               const std::string& problem) {
  throw_tensor_error(file, tensor, problem);
}

[[noreturn]] void header_error(const std::string& file, const std::string& problem) {
  throw_header_error(file, problem);
}

// Strict decimal: "0" or [1-9][0-9]*, at most 18 digits (fits int64 with room to spare).
bool parse_decimal(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  int64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

std::string quoted(const std::string& value) {
  std::string out = "'";
  out += printable(value);
  out += '\'';
  return out;
}

// The task's canonical name from common spellings: case, '-', '_' and spaces do not matter
// ("max-of-k", "max_of_k", "MaxOfK"), and "max-of-N" with N = k names the same task.
std::string canonical_task(const std::string& spelling, int64_t k) {
  std::string s;
  for (const char c : spelling) {
    if (c == '-' || c == '_' || c == ' ') continue;
    s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  int64_t n = -1;
  if (s == "maxofk" || (s.rfind("maxof", 0) == 0 && parse_decimal(s.substr(5), n) && n == k)) {
    return "max-of-k";
  }
  return spelling;
}

Matrix to_matrix(Tensor&& t, int64_t rows, int64_t cols) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data = std::move(t.values);
  return m;
}

}  // namespace

bool ModelWeights::has_nonzero_bias() const {
  for (const std::vector<double>* b : {&b_Q, &b_K, &b_V, &b_O, &b_U}) {
    if (std::any_of(b->begin(), b->end(), [](double x) { return x != 0.0; })) return true;
  }
  return false;
}

LoadedModel load_model_from_bytes(const std::vector<uint8_t>& bytes, const std::string& display_name,
                                  const ModelOverrides& overrides) {
  const std::string& file = display_name;
  const SafetensorsHeader header = parse_safetensors_header(bytes.data(), bytes.size(), file);

  // Exactly the tensors of the architecture (biases optional), plus ignorable buffers.
  std::set<std::string> known;
  for (const std::string* n : kRequired) known.insert(*n);
  for (const std::string* n : kBiases) known.insert(*n);
  for (const auto& [name, info] : header.tensors) {
    (void)info;
    if (known.count(name) == 0 && !is_ignored_buffer(name)) {
      tensor_error(file, name,
                   "unknown tensor (expected a 1-layer, 1-head, attention-only TransformerLens model)");
    }
  }
  for (const std::string* n : kRequired) {
    if (header.tensors.count(*n) == 0) tensor_error(file, *n, "missing (required weight)");
  }

  // One dtype, F32 or F64, for every weight.
  std::string dtype_seen, dtype_from;
  for (const auto& [name, info] : header.tensors) {
    if (is_ignored_buffer(name)) continue;
    if (info.dtype != "F32" && info.dtype != "F64") {
      tensor_error(file, name, "dtype " + info.dtype + " is not supported (only F32 and F64)");
    }
    if (dtype_seen.empty()) {
      dtype_seen = info.dtype;
      dtype_from = name;
    } else if (info.dtype != dtype_seen) {
      tensor_error(file, name, "dtype " + info.dtype + " differs from " + dtype_seen + " of '" +
                                   dtype_from + "' (one dtype per model)");
    }
  }

  // Dimensions from the shapes, then limits, then every shape exactly.
  auto shape = [&](const std::string& name) -> const std::vector<int64_t>& {
    return header.tensors.at(name).shape;
  };
  auto require_rank = [&](const std::string& name, size_t rank, const char* expected) {
    if (shape(name).size() != rank) {
      tensor_error(file, name, "shape " + shape_string(shape(name)) + ", expected " + expected);
    }
  };
  require_rank(kWE, 2, "[d_vocab, d_model]");
  require_rank(kWQ, 3, "[n_heads, d_model, d_head]");
  require_rank(kWpos, 2, "[n_ctx, d_model]");
  require_rank(kWU, 2, "[d_model, d_vocab_out]");
  const int64_t v = shape(kWE)[0];
  const int64_t d = shape(kWE)[1];
  const int64_t n_heads = shape(kWQ)[0];
  const int64_t d_head = shape(kWQ)[2];
  const int64_t k = shape(kWpos)[0];
  const int64_t v_out = shape(kWU)[1];
  if (n_heads != 1) {
    tensor_error(file, kWQ, "shape " + shape_string(shape(kWQ)) + ": n_heads = " +
                                std::to_string(n_heads) + ", only 1 head is supported");
  }
  auto limit = [&](const std::string& name, const char* what, int64_t value, int64_t max) {
    if (value < 1 || value > max) {
      tensor_error(file, name, "shape " + shape_string(shape(name)) + ": " + what + " = " +
                                   std::to_string(value) + " outside the supported range [1, " +
                                   std::to_string(max) + "]");
    }
  };
  limit(kWE, "d_vocab", v, kMaxVocab);
  limit(kWE, "d_model", d, kMaxDModel);
  limit(kWQ, "d_head", d_head, kMaxDHead);
  limit(kWpos, "n_ctx", k, kMaxCtx);
  limit(kWU, "d_vocab_out", v_out, kMaxVocab);

  const std::map<std::string, std::vector<int64_t>> expected = {
      {kWE, {v, d}},          {kWpos, {k, d}},       {kWQ, {1, d, d_head}}, {kWK, {1, d, d_head}},
      {kWV, {1, d, d_head}},  {kWO, {1, d_head, d}}, {kWU, {d, v_out}},     {kbQ, {1, d_head}},
      {kbK, {1, d_head}},     {kbV, {1, d_head}},    {kbO, {d}},            {kbU, {v_out}}};
  const std::string dims = " (d_vocab " + std::to_string(v) + ", d_model " + std::to_string(d) +
                           ", d_head " + std::to_string(d_head) + ", n_ctx " + std::to_string(k) +
                           ", d_vocab_out " + std::to_string(v_out) + ")";
  for (const auto& [name, want] : expected) {
    const auto it = header.tensors.find(name);
    if (it == header.tensors.end()) continue;  // an absent bias
    if (it->second.shape != want) {
      tensor_error(file, name, "shape " + shape_string(it->second.shape) + ", expected " +
                                   shape_string(want) + dims);
    }
  }

  // Metadata, strictly parsed; command-line overrides replace it; both must agree with the shapes.
  // Ours (task, k, vocab, seed) and TransformerLens's config names (SPEC 1.3); others are ignored.
  ModelWeights w;
  auto meta_int = [&](const char* key, int64_t& out) -> bool {
    const auto it = header.metadata.find(key);
    if (it == header.metadata.end()) return false;
    if (!parse_decimal(it->second, out)) {
      header_error(file, std::string("__metadata__ '") + key + "' = " +
                             quoted(it->second) + " is not a decimal integer");
    }
    return true;
  };
  // A key that, if present, must hold `want` (a dimension read from the shapes).
  auto meta_dim = [&](const char* key, int64_t want, const std::string& tensor,
                      bool overridden = false) {
    int64_t value = -1;
    if (meta_int(key, value) && !overridden && value != want) {
      header_error(file, std::string("__metadata__ '") + key + "' = " + std::to_string(value) +
                             " disagrees with tensor '" + tensor + "' shape " +
                             shape_string(shape(tensor)));
    }
  };
  // A TransformerLens config key that changes the architecture's meaning if it is not `ok`.
  auto meta_must = [&](const char* key, const std::set<std::string>& ok, const char* why) {
    const auto it = header.metadata.find(key);
    if (it != header.metadata.end() && ok.count(it->second) == 0) {
      header_error(file, std::string("__metadata__ '") + key + "' = " + quoted(it->second) +
                             ": " + why);
    }
  };
  std::string task_spelling = "max-of-k";
  if (const auto it = header.metadata.find("task"); it != header.metadata.end()) {
    task_spelling = it->second;
  }
  int64_t meta_k = -1, meta_v = -1;
  const bool has_k = meta_int("k", meta_k);
  const bool has_v = meta_int("vocab", meta_v);
  int64_t seed = -1;
  if (meta_int("seed", seed)) w.seed = seed;
  meta_dim("n_ctx", k, kWpos, overrides.k >= 0);
  meta_dim("d_vocab", v, kWE, overrides.v >= 0);
  meta_dim("d_vocab_out", v_out, kWU);
  meta_dim("d_model", d, kWE);
  meta_dim("d_head", d_head, kWQ);
  meta_dim("n_heads", 1, kWQ);
  meta_dim("n_layers", 1, kWQ);
  const std::set<std::string> yes = {"true", "True", "1"};
  meta_must("attn_only", yes, "the model must be attention-only");
  meta_must("use_attn_scale", yes, "scores must be scaled by 1/sqrt(d_head) (SPEC 1.4)");
  meta_must("normalization_type", {"None", "none", "null", ""},
            "normalisation is not part of the architecture (SPEC 1.4)");
  meta_must("positional_embedding_type", {"standard"},
            "only standard (learned, added) positional embeddings are supported");
  if (!overrides.task.empty()) task_spelling = overrides.task;
  w.task = canonical_task(task_spelling, k);
  if (kKnownTasks.count(w.task) == 0) {
    header_error(file, "task " + quoted(task_spelling) +
                           " is not supported (known: max-of-k, also spelled max_of_k, MaxOfK, "
                           "max-of-" + std::to_string(k) + ")");
  }
  auto agree = [&](const char* what, int64_t override_value, bool has_meta, int64_t meta_value,
                   int64_t actual, const std::string& tensor) {
    if (override_value >= 0) {
      if (override_value != actual) {
        throw FormatError(file + ": " + what + " = " + std::to_string(override_value) +
                          " given on the command line disagrees with tensor '" + tensor +
                          "' shape " + shape_string(shape(tensor)));
      }
    } else if (has_meta && meta_value != actual) {
      header_error(file, std::string("__metadata__ '") + what + "' = " +
                             std::to_string(meta_value) + " disagrees with tensor '" + tensor +
                             "' shape " + shape_string(shape(tensor)));
    }
  };
  agree("k", overrides.k, has_k, meta_k, k, kWpos);
  agree("vocab", overrides.v, has_v, meta_v, v, kWE);
  if (w.task == "max-of-k" && v_out != v) {
    tensor_error(file, kWU, "shape " + shape_string(shape(kWU)) + ": max-of-k needs d_vocab_out = " +
                                "d_vocab = " + std::to_string(v));
  }

  // Decode (the only allocation proportional to the shapes, now known to be within limits).
  auto decode = [&](const std::string& name) {
    return decode_tensor(bytes.data(), bytes.size(), header, name);
  };
  auto bias = [&](const std::string& name, int64_t size) {
    if (header.tensors.count(name) == 0) return std::vector<double>(static_cast<size_t>(size), 0.0);
    return decode(name).values;
  };
  w.k = k;
  w.v = v;
  w.v_out = v_out;
  w.d = d;
  w.d_head = d_head;
  w.dtype = dtype_seen == "F64" ? DType::F64 : DType::F32;
  w.W_E = to_matrix(decode(kWE), v, d);
  w.W_pos = to_matrix(decode(kWpos), k, d);
  w.W_Q = to_matrix(decode(kWQ), d, d_head);
  w.W_K = to_matrix(decode(kWK), d, d_head);
  w.W_V = to_matrix(decode(kWV), d, d_head);
  w.W_O = to_matrix(decode(kWO), d_head, d);
  w.W_U = to_matrix(decode(kWU), d, v_out);
  w.b_Q = bias(kbQ, d_head);
  w.b_K = bias(kbK, d_head);
  w.b_V = bias(kbV, d_head);
  w.b_O = bias(kbO, d);
  w.b_U = bias(kbU, v_out);

  LoadedModel loaded;
  loaded.weights = std::move(w);
  loaded.sha256 = sha256_hex(bytes);
  loaded.path = display_name;
  return loaded;
}

LoadedModel load_model(const std::string& path, const ModelOverrides& overrides) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxModelFileBytes);
  LoadedModel loaded = load_model_from_bytes(bytes, path, overrides);
  loaded.path = path;
  return loaded;
}

void save_model(const std::string& path, const ModelWeights& w, DType dtype) {
  // Dimensions first (same limits as the reader), so no product below can overflow.
  const auto in_range = [](int64_t x, int64_t max) { return x >= 1 && x <= max; };
  if (!in_range(w.k, kMaxCtx) || !in_range(w.v, kMaxVocab) || !in_range(w.v_out, kMaxVocab) ||
      !in_range(w.d, kMaxDModel) || !in_range(w.d_head, kMaxDHead)) {
    throw FormatError(path + ": cannot save a model with dimensions k " + std::to_string(w.k) +
                      ", v " + std::to_string(w.v) + ", v_out " + std::to_string(w.v_out) +
                      ", d " + std::to_string(w.d) + ", d_head " + std::to_string(w.d_head) +
                      " (outside the limits of SPEC.md 1.6)");
  }
  // A [rows, cols] matrix stored with shape `shape` (whose last two entries are rows, cols).
  auto matrix = [&](const Matrix& m, std::vector<int64_t> shape, const std::string& name) {
    const int64_t rows = shape[shape.size() - 2], cols = shape.back();
    if (m.rows != rows || m.cols != cols || m.data.size() != static_cast<size_t>(rows * cols)) {
      tensor_error(path, name, "matrix is " + std::to_string(m.rows) + "x" +
                                   std::to_string(m.cols) + " with " +
                                   std::to_string(m.data.size()) + " values, expected shape " +
                                   shape_string(shape));
    }
    return Tensor{dtype, std::move(shape), m.data};
  };
  // A bias vector (empty = zero) stored with shape `shape` (whose last entry is its length).
  auto vec = [&](const std::vector<double>& b, std::vector<int64_t> shape, const std::string& name) {
    const int64_t numel = shape.back();
    if (b.empty()) return Tensor{dtype, std::move(shape), std::vector<double>(static_cast<size_t>(numel), 0.0)};
    if (b.size() != static_cast<size_t>(numel)) {
      tensor_error(path, name, std::to_string(b.size()) + " values, expected shape " +
                                   shape_string(shape));
    }
    return Tensor{dtype, std::move(shape), b};
  };

  SafetensorsFile file;
  file.metadata["task"] = w.task;
  file.metadata["k"] = std::to_string(w.k);
  file.metadata["vocab"] = std::to_string(w.v);
  if (w.seed >= 0) file.metadata["seed"] = std::to_string(w.seed);
  file.tensors[kWE] = matrix(w.W_E, {w.v, w.d}, kWE);
  file.tensors[kWpos] = matrix(w.W_pos, {w.k, w.d}, kWpos);
  file.tensors[kWQ] = matrix(w.W_Q, {1, w.d, w.d_head}, kWQ);
  file.tensors[kWK] = matrix(w.W_K, {1, w.d, w.d_head}, kWK);
  file.tensors[kWV] = matrix(w.W_V, {1, w.d, w.d_head}, kWV);
  file.tensors[kWO] = matrix(w.W_O, {1, w.d_head, w.d}, kWO);
  file.tensors[kWU] = matrix(w.W_U, {w.d, w.v_out}, kWU);
  file.tensors[kbQ] = vec(w.b_Q, {1, w.d_head}, kbQ);
  file.tensors[kbK] = vec(w.b_K, {1, w.d_head}, kbK);
  file.tensors[kbV] = vec(w.b_V, {1, w.d_head}, kbV);
  file.tensors[kbO] = vec(w.b_O, {w.d}, kbO);
  file.tensors[kbU] = vec(w.b_U, {w.v_out}, kbU);

  const std::vector<uint8_t> bytes = serialize_safetensors(file, path);
  // Never write a file we would refuse to read (limits, task, v_out == v, ...).
  load_model_from_bytes(bytes, path);
  write_file_bytes(path, bytes);
}

}  // namespace mechcert

// Loading and saving TransformerLens max-of-k models (SPEC.md "Model files").
#include <catch2/catch.hpp>

#include <bit>
#include <cstdio>
#include <limits>
#include <map>
#include <fstream>
#include <string>
#include <vector>

#include "format/errors.hpp"
#include "format/model_weights.hpp"
#include "format/safetensors.hpp"
#include "format/sha256.hpp"
#include "tests/support/model_fixture.hpp"
#include "tests/support/safetensors_builder.hpp"

using namespace mechcert;

namespace {

std::string temp_path(const std::string& name) {
  return std::string(MECHCERT_BINARY_DIR) + "/test_model_weights_" + name;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void require_same(const ModelWeights& a, const ModelWeights& b) {
  REQUIRE(a.task == b.task);
  REQUIRE(a.k == b.k);
  REQUIRE(a.v == b.v);
  REQUIRE(a.v_out == b.v_out);
  REQUIRE(a.d == b.d);
  REQUIRE(a.d_head == b.d_head);
  REQUIRE(a.seed == b.seed);
  REQUIRE(a.W_E.data == b.W_E.data);
  REQUIRE(a.W_pos.data == b.W_pos.data);
  REQUIRE(a.W_Q.data == b.W_Q.data);
  REQUIRE(a.W_K.data == b.W_K.data);
  REQUIRE(a.W_V.data == b.W_V.data);
  REQUIRE(a.W_O.data == b.W_O.data);
  REQUIRE(a.W_U.data == b.W_U.data);
  REQUIRE(a.b_Q == b.b_Q);
  REQUIRE(a.b_K == b.b_K);
  REQUIRE(a.b_V == b.b_V);
  REQUIRE(a.b_O == b.b_O);
  REQUIRE(a.b_U == b.b_U);
}

}  // namespace

TEST_CASE("model round trip F32: values exact, bytes identical on re-save", "[model]") {
  const ModelWeights w = test::make_fixture_model();
  const std::string p1 = temp_path("rt32a.safetensors"), p2 = temp_path("rt32b.safetensors");
  save_model(p1, w, DType::F32);
  const LoadedModel m = load_model(p1);
  require_same(m.weights, w);
  REQUIRE(m.weights.dtype == DType::F32);
  REQUIRE(m.sha256 == sha256_file_hex(p1));
  REQUIRE(m.sha256.size() == 64);
  save_model(p2, m.weights, DType::F32);
  REQUIRE(slurp(p1) == slurp(p2));
  REQUIRE_FALSE(m.weights.has_nonzero_bias());
  std::remove(p1.c_str());
  std::remove(p2.c_str());
}

TEST_CASE("model round trip F64: values exact, bytes identical on re-save", "[model]") {
  ModelWeights w = test::make_fixture_model(4, 6, 5, 2, 7);
  w.W_E(0, 0) = 0.1;  // not a float32: needs F64
  const std::string p1 = temp_path("rt64a.safetensors"), p2 = temp_path("rt64b.safetensors");
  save_model(p1, w, DType::F64);
  const LoadedModel m = load_model(p1);
  require_same(m.weights, w);
  REQUIRE(m.weights.dtype == DType::F64);
  save_model(p2, m.weights, DType::F64);
  REQUIRE(slurp(p1) == slurp(p2));
  REQUIRE_THROWS_AS(save_model(p2, w, DType::F32), FormatError);  // 0.1 is not a float32
  std::remove(p1.c_str());
  std::remove(p2.c_str());
}

// ---------------------------------------------------------------------------------------------
// Rejections, each from a file assembled byte by byte.

using namespace mechcert::test;
using Catch::Matchers::Contains;

namespace {

std::string load_error(const std::vector<uint8_t>& bytes, const ModelOverrides& o = {}) {
  try {
    load_model_from_bytes(bytes, "m.safetensors", o);
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.rfind("m.safetensors: ", 0) == 0);
    return msg;
  }
  return "<accepted>";
}

const ModelWeights& fixture() {
  static const ModelWeights w = make_fixture_model();  // k 3, v 5, d 4, d_head 3
  return w;
}

std::vector<RawTensor> fixture_tensors(bool with_biases = true) {
  return model_tensors(fixture(), with_biases);
}

RawTensor& find(std::vector<RawTensor>& ts, const std::string& name) {
  for (RawTensor& t : ts) {
    if (t.name == name) return t;
  }
  FAIL("no tensor " << name);
  throw;
}

void erase_tensor(std::vector<RawTensor>& ts, const std::string& name) {
  std::erase_if(ts, [&](const RawTensor& t) { return t.name == name; });
}

std::vector<double> zeros(size_t n) { return std::vector<double>(n, 0.0); }

// The file of `ts` with `meta_object` ({"__metadata__":{...}}, any JSON values) spliced in first.
std::vector<uint8_t> assemble_with_header(const std::string& meta_object, const std::vector<RawTensor>& ts) {
  const std::string tensors = raw_header(ts);
  return assemble(meta_object.substr(0, meta_object.size() - 1) + "," + tensors.substr(1), raw_data(ts));
}

}  // namespace

TEST_CASE("model without biases or metadata loads, biases zero, identity = SHA-256 of bytes", "[model]") {
  const std::vector<uint8_t> bytes = build_file(fixture_tensors(false));
  const LoadedModel m = load_model_from_bytes(bytes, "m.safetensors");
  ModelWeights expected = fixture();
  expected.seed = -1;  // no metadata
  require_same(m.weights, expected);
  REQUIRE(m.weights.task == "max-of-k");
  REQUIRE(m.weights.seed == -1);
  REQUIRE(m.sha256 == sha256_hex(bytes));
  REQUIRE_FALSE(m.weights.has_nonzero_bias());
  // Known answer for the SHA-256 wrapper itself.
  REQUIRE(sha256_hex(std::vector<uint8_t>{'a', 'b', 'c'}) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("model: TransformerLens mask and IGNORE buffers are ignored", "[model]") {
  std::vector<RawTensor> ts = fixture_tensors();
  ts.push_back({"blocks.0.attn.mask", "BOOL", {3, 3}, {1, 0, 0, 1, 1, 0, 1, 1, 1}});
  ts.push_back({"blocks.0.attn.IGNORE", "F32", {}, f32_bytes({-std::numeric_limits<double>::infinity()})});
  const LoadedModel m = load_model_from_bytes(build_file(ts, model_metadata(fixture())), "m");
  require_same(m.weights, fixture());
}

TEST_CASE("model: wrong shapes are rejected naming the tensor", "[model]") {
  {
    std::vector<RawTensor> ts = fixture_tensors();
    find(ts, "pos_embed.W_pos") = {"pos_embed.W_pos", "F32", {3, 5}, f32_bytes(zeros(15))};
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'pos_embed.W_pos': shape [3,5], expected [3,4]"));
  }
  {
    std::vector<RawTensor> ts = fixture_tensors();
    find(ts, "blocks.0.attn.W_O").shape = {1, 4, 3};  // transposed
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'blocks.0.attn.W_O': shape [1,4,3], expected [1,3,4]"));
  }
  {
    std::vector<RawTensor> ts = fixture_tensors();
    find(ts, "embed.W_E").shape = {1, 5, 4};
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'embed.W_E': shape [1,5,4], expected [d_vocab, d_model]"));
  }
  {
    std::vector<RawTensor> ts = fixture_tensors();
    find(ts, "blocks.0.attn.b_O") = {"blocks.0.attn.b_O", "F32", {1, 4}, f32_bytes(zeros(4))};
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'blocks.0.attn.b_O': shape [1,4], expected [4]"));
  }
  {
    std::vector<RawTensor> ts = fixture_tensors();
    find(ts, "blocks.0.attn.b_Q") = {"blocks.0.attn.b_Q", "F32", {1, 4}, f32_bytes(zeros(4))};
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'blocks.0.attn.b_Q': shape [1,4], expected [1,3]"));
  }
}

TEST_CASE("model: n_heads other than 1 is rejected", "[model]") {
  std::vector<RawTensor> ts = fixture_tensors();
  find(ts, "blocks.0.attn.W_Q") = {"blocks.0.attn.W_Q", "F32", {2, 4, 3}, f32_bytes(zeros(24))};
  REQUIRE_THAT(load_error(build_file(ts)),
               Contains("tensor 'blocks.0.attn.W_Q': shape [2,4,3]: n_heads = 2, only 1 head"));
}

TEST_CASE("model: a missing weight is rejected", "[model]") {
  for (const char* name : {"embed.W_E", "pos_embed.W_pos", "blocks.0.attn.W_Q", "blocks.0.attn.W_K",
                           "blocks.0.attn.W_V", "blocks.0.attn.W_O", "unembed.W_U"}) {
    std::vector<RawTensor> ts = fixture_tensors();
    erase_tensor(ts, name);
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains(std::string("tensor '") + name + "': missing (required weight)"));
  }
}

TEST_CASE("model: an unknown tensor is rejected", "[model]") {
  for (const char* name : {"blocks.0.mlp.W_in", "blocks.1.attn.W_Q", "ln_final.w", "embed.W_E2"}) {
    std::vector<RawTensor> ts = fixture_tensors();
    ts.push_back({name, "F32", {2}, f32_bytes({1, 2})});
    REQUIRE_THAT(load_error(build_file(ts)), Contains(std::string("tensor '") + name + "': unknown tensor"));
  }
}

TEST_CASE("model: dtypes other than F32/F64, and mixed dtypes, are rejected", "[model]") {
  {
    std::vector<RawTensor> ts = fixture_tensors();
    RawTensor& t = find(ts, "unembed.W_U");
    t.dtype = "F16";
    t.data.resize(t.data.size() / 2);
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'unembed.W_U': dtype F16 is not supported (only F32 and F64)"));
  }
  {
    std::vector<RawTensor> ts = fixture_tensors();
    find(ts, "unembed.b_U") = {"unembed.b_U", "F64", {5}, f64_bytes(zeros(5))};
    REQUIRE_THAT(load_error(build_file(ts)),
                 Contains("tensor 'unembed.b_U': dtype F64 differs from F32"));
  }
  {  // All F64 is fine.
    std::vector<RawTensor> ts = fixture_tensors();
    for (RawTensor& t : ts) {
      std::vector<double> values;
      for (size_t i = 0; i < t.data.size(); i += 4) {
        uint32_t u = 0;
        for (int b = 3; b >= 0; --b) u = (u << 8) | t.data[i + static_cast<size_t>(b)];
        values.push_back(static_cast<double>(std::bit_cast<float>(u)));
      }
      t.dtype = "F64";
      t.data = f64_bytes(values);
    }
    const LoadedModel m = load_model_from_bytes(build_file(ts, model_metadata(fixture())), "m");
    require_same(m.weights, fixture());
    REQUIRE(m.weights.dtype == DType::F64);
  }
}

TEST_CASE("model: NaN and Inf weights are rejected naming tensor and index", "[model]") {
  std::vector<RawTensor> ts = fixture_tensors();
  std::vector<double> wu = fixture().W_U.data;
  wu[7] = std::numeric_limits<double>::quiet_NaN();
  find(ts, "unembed.W_U").data = f32_bytes(wu);
  REQUIRE_THAT(load_error(build_file(ts)), Contains("tensor 'unembed.W_U': NaN value at flat index 7"));

  ts = fixture_tensors();
  std::vector<double> bo = zeros(4);
  bo[3] = std::numeric_limits<double>::infinity();
  find(ts, "blocks.0.attn.b_O").data = f32_bytes(bo);
  REQUIRE_THAT(load_error(build_file(ts)),
               Contains("tensor 'blocks.0.attn.b_O': infinite value at flat index 3"));
}

TEST_CASE("model: metadata must be strict decimals that agree with the shapes", "[model]") {
  auto with_meta = [](std::map<std::string, std::string> meta) {
    return build_file(fixture_tensors(), meta);
  };
  REQUIRE(load_error(with_meta({{"k", "3"}, {"vocab", "5"}, {"seed", "0"}, {"other", "x"}})) ==
          "<accepted>");
  REQUIRE_THAT(load_error(with_meta({{"k", "4"}})),
               Contains("header: __metadata__ 'k' = 4 disagrees with tensor 'pos_embed.W_pos' shape [3,4]"));
  REQUIRE_THAT(load_error(with_meta({{"vocab", "64"}})),
               Contains("header: __metadata__ 'vocab' = 64 disagrees with tensor 'embed.W_E' shape [5,4]"));
  for (const std::string bad : {"03", "+3", "-3", "3 ", " 3", "", "3.0", "0x3", "3e0", "1234567890123456789"}) {
    CAPTURE(bad);
    REQUIRE_THAT(load_error(with_meta({{"k", bad}})),
                 Contains("header: __metadata__ 'k' = '") && Contains("is not a decimal integer"));
  }
  REQUIRE_THAT(load_error(with_meta({{"seed", "-1"}})), Contains("'seed'"));
  const LoadedModel m = load_model_from_bytes(with_meta({{"seed", "123"}}), "m");
  REQUIRE(m.weights.seed == 123);
  REQUIRE_THAT(load_error(with_meta({{"task", "sort"}})),
               Contains("header: task 'sort' is not supported"));
}

TEST_CASE("model: other exporters' metadata (TransformerLens config names, task spellings)", "[model]") {
  auto with_meta = [](std::map<std::string, std::string> meta) {
    return build_file(fixture_tensors(), meta);
  };
  // The fixture: k 3, v 5, d 4, d_head 3, v_out 5.
  const std::map<std::string, std::string> tl = {
      {"task", "max_of_k"}, {"n_ctx", "3"},     {"d_vocab", "5"},     {"d_vocab_out", "5"},
      {"d_model", "4"},     {"d_head", "3"},    {"n_heads", "1"},     {"n_layers", "1"},
      {"attn_only", "True"}, {"normalization_type", "None"}, {"positional_embedding_type", "standard"},
      {"act_fn", "relu"},   {"format", "pt"}};
  REQUIRE(load_error(with_meta(tl)) == "<accepted>");
  for (const std::string spelling : {"max-of-k", "max_of_k", "MaxOfK", "Max-Of-K", "max of k", "max-of-3", "max_of_3"}) {
    CAPTURE(spelling);
    REQUIRE(load_model_from_bytes(with_meta({{"task", spelling}}), "m").weights.task == "max-of-k");
  }
  REQUIRE_THAT(load_error(with_meta({{"task", "max-of-4"}})),
               Contains("header: task 'max-of-4' is not supported (known: max-of-k"));
  REQUIRE_THAT(load_error(with_meta({{"task", "sort"}})), Contains("task 'sort' is not supported"));
  // Contradictions with the shapes, each naming the key and the tensor.
  REQUIRE_THAT(load_error(with_meta({{"n_ctx", "4"}})),
               Contains("header: __metadata__ 'n_ctx' = 4 disagrees with tensor 'pos_embed.W_pos'"));
  REQUIRE_THAT(load_error(with_meta({{"d_vocab", "6"}})), Contains("'d_vocab' = 6 disagrees with tensor 'embed.W_E'"));
  REQUIRE_THAT(load_error(with_meta({{"d_vocab_out", "6"}})), Contains("'d_vocab_out' = 6 disagrees with tensor 'unembed.W_U'"));
  REQUIRE_THAT(load_error(with_meta({{"d_model", "5"}})), Contains("'d_model' = 5 disagrees"));
  REQUIRE_THAT(load_error(with_meta({{"d_head", "4"}})), Contains("'d_head' = 4 disagrees with tensor 'blocks.0.attn.W_Q'"));
  REQUIRE_THAT(load_error(with_meta({{"n_heads", "2"}})), Contains("'n_heads' = 2 disagrees"));
  REQUIRE_THAT(load_error(with_meta({{"n_layers", "2"}})), Contains("'n_layers' = 2 disagrees"));
  REQUIRE_THAT(load_error(with_meta({{"n_ctx", "3.0"}})), Contains("'n_ctx' = '3.0' is not a decimal integer"));
  // Config values that would change the meaning of the weights.
  REQUIRE_THAT(load_error(with_meta({{"normalization_type", "LN"}})),
               Contains("'normalization_type' = 'LN': normalisation is not part of the architecture"));
  REQUIRE_THAT(load_error(with_meta({{"attn_only", "False"}})), Contains("attention-only"));
  REQUIRE_THAT(load_error(with_meta({{"use_attn_scale", "false"}})), Contains("1/sqrt(d_head)"));
  REQUIRE_THAT(load_error(with_meta({{"positional_embedding_type", "rotary"}})), Contains("positional"));
  // A --task override replaces a bad spelling; a bad override is refused.
  ModelOverrides o;
  o.task = "MAX_OF_K";
  REQUIRE(load_model_from_bytes(with_meta({{"task", "sort"}}), "m", o).weights.task == "max-of-k");
  o.task = "copy";
  REQUIRE_THAT(load_error(with_meta({}), o), Contains("task 'copy' is not supported"));
  // Numbers and booleans in __metadata__ (not the reference's strings) read like their text.
  std::vector<RawTensor> ts = fixture_tensors();
  const std::string numbers = R"({"__metadata__":{"n_ctx":3,"d_vocab":5,"attn_only":true,"task":"max_of_k"}})";
  REQUIRE(read_safetensors(assemble_with_header(numbers, ts), "m").metadata.at("n_ctx") == "3");
  REQUIRE(load_error(assemble_with_header(numbers, ts)) == "<accepted>");
  REQUIRE_THAT(load_error(assemble_with_header(R"({"__metadata__":{"n_ctx":4}})", ts)),
               Contains("'n_ctx' = 4 disagrees"));
  REQUIRE_THAT(load_error(assemble_with_header(R"({"__metadata__":{"n_ctx":3.0}})", ts)),
               Contains("'n_ctx' = '3.0' is not a decimal integer"));
}

TEST_CASE("model: command-line overrides replace metadata but must agree with shapes", "[model]") {
  const std::vector<uint8_t> wrong_meta = build_file(fixture_tensors(), {{"k", "4"}, {"task", "sort"}});
  ModelOverrides o;
  o.k = 3;
  o.task = "max-of-k";
  const LoadedModel m = load_model_from_bytes(wrong_meta, "m", o);
  REQUIRE(m.weights.k == 3);
  REQUIRE(m.weights.task == "max-of-k");

  const std::vector<uint8_t> bytes = build_file(fixture_tensors(), model_metadata(fixture()));
  ModelOverrides bad_k;
  bad_k.k = 4;
  REQUIRE_THAT(load_error(bytes, bad_k),
               Contains("m.safetensors: k = 4 given on the command line disagrees with tensor "
                        "'pos_embed.W_pos' shape [3,4]"));
  ModelOverrides bad_v;
  bad_v.v = 6;
  REQUIRE_THAT(load_error(bytes, bad_v), Contains("vocab = 6 given on the command line"));
  ModelOverrides bad_task;
  bad_task.task = "sort";
  REQUIRE_THAT(load_error(bytes, bad_task), Contains("task 'sort' is not supported"));
}

TEST_CASE("model: max-of-k needs d_vocab_out == d_vocab", "[model]") {
  std::vector<RawTensor> ts = fixture_tensors();
  find(ts, "unembed.W_U") = {"unembed.W_U", "F32", {4, 6}, f32_bytes(zeros(24))};
  find(ts, "unembed.b_U") = {"unembed.b_U", "F32", {6}, f32_bytes(zeros(6))};
  REQUIRE_THAT(load_error(build_file(ts)),
               Contains("tensor 'unembed.W_U': shape [4,6]: max-of-k needs d_vocab_out = d_vocab = 5"));
}

TEST_CASE("model: absurd dimensions are rejected before decoding", "[model]") {
  auto with = [](const std::string& name, std::vector<int64_t> shape) {
    std::vector<RawTensor> ts = fixture_tensors();
    size_t n = 1;
    for (const int64_t s : shape) n *= static_cast<size_t>(s);
    find(ts, name) = {name, "F32", std::move(shape), f32_bytes(zeros(n))};
    return build_file(ts);
  };
  REQUIRE_THAT(load_error(with("embed.W_E", {5000, 4})),
               Contains("tensor 'embed.W_E': shape [5000,4]: d_vocab = 5000 outside the supported range [1, 4096]"));
  REQUIRE_THAT(load_error(with("embed.W_E", {5, 1025})), Contains("d_model = 1025 outside"));
  REQUIRE_THAT(load_error(with("embed.W_E", {0, 4})), Contains("d_vocab = 0 outside"));
  REQUIRE_THAT(load_error(with("pos_embed.W_pos", {65, 4})),
               Contains("tensor 'pos_embed.W_pos': shape [65,4]: n_ctx = 65 outside the supported range [1, 64]"));
  REQUIRE_THAT(load_error(with("blocks.0.attn.W_Q", {1, 4, 2000})), Contains("d_head = 2000 outside"));
  REQUIRE_THAT(load_error(with("unembed.W_U", {4, 4097})), Contains("d_vocab_out = 4097 outside"));
}

TEST_CASE("model: non-zero biases are detected", "[model]") {
  const char* names[] = {"blocks.0.attn.b_Q", "blocks.0.attn.b_K", "blocks.0.attn.b_V",
                         "blocks.0.attn.b_O", "unembed.b_U"};
  for (const char* name : names) {
    CAPTURE(name);
    std::vector<RawTensor> ts = fixture_tensors();
    RawTensor& t = find(ts, name);
    std::vector<double> b = zeros(t.data.size() / 4);
    b.back() = 0.5;
    t.data = f32_bytes(b);
    const LoadedModel m = load_model_from_bytes(build_file(ts), "m");
    REQUIRE(m.weights.has_nonzero_bias());
  }
  // -0.0 is zero.
  std::vector<RawTensor> ts = fixture_tensors();
  find(ts, "unembed.b_U").data = f32_bytes(std::vector<double>(5, -0.0));
  REQUIRE_FALSE(load_model_from_bytes(build_file(ts), "m").weights.has_nonzero_bias());
  // Non-zero biases survive a save/load round trip.
  ModelWeights w = fixture();
  w.b_K[1] = -0.75;
  const std::string p = temp_path("bias.safetensors");
  save_model(p, w);
  const LoadedModel m = load_model(p);
  REQUIRE(m.weights.b_K == w.b_K);
  REQUIRE(m.weights.has_nonzero_bias());
  std::remove(p.c_str());
}

TEST_CASE("save_model: writes TransformerLens names and metadata, refuses bad models", "[model]") {
  ModelWeights w = fixture();
  w.b_Q.clear();  // empty bias = zero
  const std::string p = temp_path("save.safetensors");
  save_model(p, w);
  const std::vector<uint8_t> bytes = slurp(p);
  const SafetensorsHeader h = parse_safetensors_header(bytes.data(), bytes.size(), p);
  REQUIRE(h.metadata == std::map<std::string, std::string>{
                            {"task", "max-of-k"}, {"k", "3"}, {"vocab", "5"}, {"seed", "1"}});
  REQUIRE(h.tensors.size() == 12);
  REQUIRE(h.tensors.at("blocks.0.attn.b_Q").shape == std::vector<int64_t>{1, 3});
  REQUIRE(h.tensors.at("blocks.0.attn.W_O").shape == std::vector<int64_t>{1, 3, 4});
  REQUIRE(load_model(p).weights.b_Q == zeros(3));

  ModelWeights bad = fixture();
  bad.W_U = Matrix(4, 6);
  REQUIRE_THROWS_WITH(save_model(p, bad), Contains("tensor 'unembed.W_U': matrix is 4x6"));
  bad = fixture();
  bad.v_out = 6;
  bad.W_U = Matrix(4, 6);
  bad.b_U.assign(6, 0.0);
  REQUIRE_THROWS_WITH(save_model(p, bad), Contains("max-of-k needs"));
  bad = fixture();
  bad.W_E(1, 1) = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(save_model(p, bad), Contains("tensor 'embed.W_E': non-finite value at flat index 5"));
  bad = fixture();
  bad.k = 65;
  bad.W_pos = Matrix(65, 4);
  REQUIRE_THROWS_WITH(save_model(p, bad), Contains("outside the limits"));
  bad = fixture();
  bad.b_U.assign(4, 0.0);
  REQUIRE_THROWS_WITH(save_model(p, bad), Contains("tensor 'unembed.b_U': 4 values, expected shape [5]"));
  // The failed saves left the earlier file intact.
  REQUIRE(slurp(p) == bytes);
  std::remove(p.c_str());
  REQUIRE_THROWS_WITH(load_model(p), Contains("cannot open file"));
}

TEST_CASE("model loader survives random corruption", "[model][fuzz]") {
  const std::vector<uint8_t> good = build_file(fixture_tensors(), model_metadata(fixture()));
  uint64_t state = 99;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(next() % 3);
    for (int f = 0; f < flips; ++f) bytes[next() % bytes.size()] = static_cast<uint8_t>(next());
    if (next() % 8 == 0) bytes.resize(next() % bytes.size());
    (void)load_error(bytes);  // FormatError or success; anything else fails the test
  }
}

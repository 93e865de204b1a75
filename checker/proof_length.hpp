// Proof length: what the checker spends to verify a certificate.
//
// Counters, not stopwatches: each strategy counts its operations by kind, by formula from the
// shapes it processed (never by incrementing in hot loops, and never per thread in a way that
// depends on scheduling), so the counts are deterministic and machine-independent. Wall and CPU
// seconds are reported beside them. paper_flops is the same verification charged in the paper's
// FLOP convention (reference-algorithms.md section 7.1), so our figures sit on the paper's axes.
// See SPEC.md "Proof length".
#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>

#include <nlohmann/json.hpp>

namespace mechcert {

struct OpCounts {
  uint64_t exact_mul = 0;     // GMP integer multiply(-add) of dyadic mantissas
  uint64_t exact_add = 0;     // GMP integer add/subtract/compare (incl. exponent alignment)
  uint64_t enclose = 0;       // exact -> [down, up] binary64 conversion (MPFR)
  uint64_t exp = 0;           // exp enclosures (each = one RNDD + one RNDU MPFR exp)
  uint64_t interval_add = 0;  // binary64 add/sub rounded outward (one per bound computed)
  uint64_t interval_mul = 0;  // binary64 multiply rounded outward (one per bound computed)
  uint64_t compare = 0;       // binary64 comparisons
  uint64_t int_op = 0;        // integer bookkeeping charged by the proof (counting, indexing)

  OpCounts& operator+=(const OpCounts& o);
  uint64_t total() const;
  nlohmann::json to_json() const;  // {kind: count} for every kind, counts as JSON integers
};

// Exact op counts of an exact (GMP) matrix product [n x k] * [k x m]: n*k*m multiply-adds.
OpCounts exact_matmul_ops(uint64_t n, uint64_t k, uint64_t m);

// The paper's FLOP convention (reference section 7.1): matmul = outputs * (2k - 1); elementwise
// = 1 per output; reduction over n = n - 1 per output.
inline uint64_t paper_matmul_flops(uint64_t n, uint64_t k, uint64_t m) {
  return k == 0 ? 0 : n * m * (2 * k - 1);
}
inline uint64_t paper_reduce_flops(uint64_t n, uint64_t outputs) {
  return n == 0 ? 0 : (n - 1) * outputs;
}

struct ProofLength {
  OpCounts ops;
  uint64_t paper_flops = 0;  // the same verification in the paper's convention
  double wall_seconds = 0;   // wall time of the whole check (incl. model load and parse)
  double cpu_seconds = 0;    // process CPU time (all threads)
};

// Wall and process-CPU stopwatch, started at construction.
class Stopwatch {
 public:
  Stopwatch();
  double wall_seconds() const;
  double cpu_seconds() const;

 private:
  std::chrono::steady_clock::time_point wall_start_;
  double cpu_start_;
};

}  // namespace mechcert

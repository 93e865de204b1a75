#include "checker/proof_length.hpp"

#include <ctime>

namespace mechcert {

OpCounts& OpCounts::operator+=(const OpCounts& o) {
  exact_mul += o.exact_mul;
  exact_add += o.exact_add;
  enclose += o.enclose;
  exp += o.exp;
  interval_add += o.interval_add;
  interval_mul += o.interval_mul;
  compare += o.compare;
  int_op += o.int_op;
  return *this;
}

uint64_t OpCounts::total() const {
  return exact_mul + exact_add + enclose + exp + interval_add + interval_mul + compare + int_op;
}

nlohmann::json OpCounts::to_json() const {
  return {{"exact_mul", exact_mul},       {"exact_add", exact_add}, {"enclose", enclose},
          {"exp", exp},                   {"interval_add", interval_add},
          {"interval_mul", interval_mul}, {"compare", compare},     {"int_op", int_op}};
}

OpCounts exact_matmul_ops(uint64_t n, uint64_t k, uint64_t m) {
  OpCounts c;
  c.exact_mul = n * k * m;  // one mpz multiply-add each (the add is folded into the multiply)
  return c;
}

namespace {
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

Stopwatch::Stopwatch() : wall_start_(std::chrono::steady_clock::now()), cpu_start_(process_cpu_seconds()) {}

double Stopwatch::wall_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
}

double Stopwatch::cpu_seconds() const { return process_cpu_seconds() - cpu_start_; }

}  // namespace mechcert

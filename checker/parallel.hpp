// The one thread pool of the checker: run `parts` pieces of work, piece 0 on the calling thread,
// the others on threads of their own, and rethrow the exception of the lowest failing piece.
//
// Why a file: the cubic rows, the exp tables and the hybrid residue each split their work this way;
// one copy keeps the rules in one place (each thread sets its own rounding mode inside `work`;
// MPFR's per-thread constant caches are freed when a helper thread ends). Results never depend on
// the split: callers give every piece its own output slot and combine the slots in order.
#pragma once
#include <algorithm>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include <mpfr.h>

namespace mechcert {

// How many parts to split `units` of work into: at most `threads`, at least 1, and none with
// fewer than `min_units`. Starting a thread costs ~0.2 ms on our virtual machines, as much as a
// small check's whole exp table (4,096 exps), so the strategies ask for kMinWorkPerThread.
inline constexpr uint64_t kMinWorkPerThread = 16384;  // exps or rows: ~1 ms
inline int64_t parts_for(int threads, uint64_t units, uint64_t min_units) {
  const uint64_t by_work = min_units == 0 ? units : units / min_units;
  const uint64_t parts = std::min<uint64_t>(static_cast<uint64_t>(std::max(1, threads)), by_work);
  return static_cast<int64_t>(std::max<uint64_t>(1, parts));
}

// Calls work(part) once for every part in [0, parts) (parts >= 1), concurrently; returns when all
// have finished. If any threw, rethrows the exception of the smallest such part.
template <class Work>
void run_parts(int64_t parts, Work&& work) {
  if (parts < 1) parts = 1;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(parts));
  auto run = [&](int64_t part) {
    try {
      work(part);
    } catch (...) {
      errors[static_cast<size_t>(part)] = std::current_exception();
    }
    if (part > 0) mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);  // MPFR's per-thread constant caches
  };
  std::vector<std::thread> pool;
  for (int64_t part = 1; part < parts; ++part) pool.emplace_back(run, part);
  run(0);
  for (auto& t : pool) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace mechcert

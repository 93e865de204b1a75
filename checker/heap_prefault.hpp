// Faulting in the heap the checker is about to use, in one system call.
//
// Why: a check of a small model touches a few MB of fresh heap (mostly the certificate's JSON
// tree), and on the virtual machines we measure on a page fault costs 10-15 µs while populating
// pages in bulk (madvise MADV_POPULATE_WRITE) costs about 1 µs a page: the faults were a large
// part of a 10 ms check (docs/frontier.md "Check speed"). Memory management only: no value the
// checker computes depends on it, and it does nothing (but cost a little) where unsupported.
#pragma once
#include <cstddef>

namespace mechcert {

// Makes malloc keep what is freed (no trimming; blocks below 32 MiB from the heap, not mmap) and
// populates `bytes` of heap (at most 28 MiB), as 2 MiB huge pages where the kernel allows, and
// makes the allocations that follow start there; errors are ignored.
void prefault_heap(size_t bytes);

// The heap a check of the files named on the command line will roughly need, known before the
// arguments are parsed (so that the parser's own allocations land in populated pages): 1 MiB of
// tables plus 12 bytes per byte of the regular files among argv[1..] (a certificate's JSON tree
// takes about 12 per byte of text; the model counts the same, an overestimate); 0 if none.
size_t expected_heap_bytes(int argc, const char* const* argv);

}  // namespace mechcert

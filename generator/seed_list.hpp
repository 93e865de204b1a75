// Seed lists for `mechcert sweep --seeds`: the paper's 151 seeds (`paper`), a list such as
// "1,2,5-9", or a file of seeds (whitespace- or comma-separated, '#' starts a comment).
// Order is kept (the sweep runs seeds in the order given); duplicates are an error, because a
// seed listed twice would mean the same model twice in every mean.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mechcert {

// The paper's seed list (reference-algorithms.md §2, `max_of_4_seeds.txt`), in its order.
const std::vector<uint64_t>& paper_seeds();

// "paper", an existing file's path, or a LIST; throws std::invalid_argument (one line) on a
// malformed item, an empty list, a reversed range or a duplicate.
std::vector<uint64_t> parse_seed_list(const std::string& spec);

// The LIST syntax only: comma- (or whitespace-) separated seeds and inclusive ranges A-B.
std::vector<uint64_t> parse_seed_items(const std::string& text, const std::string& where);

}  // namespace mechcert

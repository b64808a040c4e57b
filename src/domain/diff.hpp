// The line diff of two texts, for an article's version history. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sd {

enum class DiffOp { equal, insert, remove };

struct DiffLine {
  DiffOp op = DiffOp::equal;
  std::string text;  // the line with its newline, when it had one
  bool operator==(const DiffLine&) const = default;
};

// The fewest insertions and removals of whole lines that turn `before` into
// `after` (a longest common subsequence). Texts of more than kMaxDiffLines
// lines each are shown as all removed, then all inserted.
std::vector<DiffLine> diff_lines(std::string_view before, std::string_view after);

constexpr std::size_t kMaxDiffLines = 2000;

}  // namespace sd

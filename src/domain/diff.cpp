#include "domain/diff.hpp"

#include <cstdint>

namespace sd {
namespace {

std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto nl = s.find('\n', i);
    const std::size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    out.push_back(s.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace

std::vector<DiffLine> diff_lines(std::string_view before, std::string_view after) {
  const auto a = lines_of(before), b = lines_of(after);
  std::vector<DiffLine> out;
  // The common head and tail need no table.
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
    ++tail;
  for (std::size_t i = 0; i < head; ++i) out.push_back({DiffOp::equal, std::string(a[i])});
  const std::size_t n = a.size() - head - tail, m = b.size() - head - tail;
  if (n > kMaxDiffLines || m > kMaxDiffLines) {
    for (std::size_t i = 0; i < n; ++i) out.push_back({DiffOp::remove, std::string(a[head + i])});
    for (std::size_t j = 0; j < m; ++j) out.push_back({DiffOp::insert, std::string(b[head + j])});
  } else {
    // len[i][j]: the longest common subsequence of a[i..n) and b[j..m).
    std::vector<std::uint32_t> len((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return len[i * (m + 1) + j]; };
    for (std::size_t i = n; i-- > 0;)
      for (std::size_t j = m; j-- > 0;)
        at(i, j) = a[head + i] == b[head + j] ? at(i + 1, j + 1) + 1
                                              : std::max(at(i + 1, j), at(i, j + 1));
    std::size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[head + i] == b[head + j]) {
        out.push_back({DiffOp::equal, std::string(a[head + i])});
        ++i;
        ++j;
      } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
        out.push_back({DiffOp::remove, std::string(a[head + i])});
        ++i;
      } else {
        out.push_back({DiffOp::insert, std::string(b[head + j])});
        ++j;
      }
    }
  }
  for (std::size_t k = a.size() - tail; k < a.size(); ++k)
    out.push_back({DiffOp::equal, std::string(a[k])});
  return out;
}

}  // namespace sd

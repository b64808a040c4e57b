// A bounded cache of prepared statements by SQL text, least recently used
// dropped first, so a connection's memory does not grow with every distinct
// statement it has seen. Used by one connection, so by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sd::store {

template <class V>
class StatementCache {
 public:
  // `drop` releases a statement that leaves the cache.
  StatementCache(std::size_t capacity, std::function<void(V&)> drop)
      : m_capacity(capacity), m_drop(std::move(drop)) {}
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  V* find(std::string_view sql) {
    auto it = m_index.find(sql);
    if (it == m_index.end()) return nullptr;
    m_order.splice(m_order.begin(), m_order, it->second);
    return &it->second->second;
  }

  V& insert(std::string sql, V v) {
    if (m_index.size() >= m_capacity) {
      auto& last = m_order.back();
      m_index.erase(last.first);
      m_drop(last.second);
      m_order.pop_back();
    }
    m_order.emplace_front(std::move(sql), std::move(v));
    m_index.emplace(m_order.front().first, m_order.begin());
    return m_order.front().second;
  }

  std::size_t size() const { return m_index.size(); }

  void clear() {
    for (auto& [sql, v] : m_order) m_drop(v);
    m_order.clear();
    m_index.clear();
  }

 private:
  using Entry = std::pair<std::string, V>;
  std::size_t m_capacity;
  std::function<void(V&)> m_drop;
  std::list<Entry> m_order;  // most recent first; keys of m_index point into it
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator> m_index;
};

}  // namespace sd::store

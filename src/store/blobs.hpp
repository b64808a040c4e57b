// Files kept by the desk (attachments, mail as received), stored under the
// SHA-256 of their bytes in a folder beside the database: the same bytes are
// kept once, a file never changes once written, and a name says nothing of
// who sent it. A file is durable (fsync'd) before put() returns, so the
// transaction that records it commits only after its bytes are safe; a
// crash in between leaves at most an unreferenced file.
// Thread-safe: files are written to a temporary name and renamed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "domain/error.hpp"

namespace sd::store {

struct BlobRef {
  std::string sha256;  // 64 lower-case hex digits
  std::int64_t size = 0;
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  // Writes bytes that arrive in pieces, hashing them on the way: memory use
  // does not grow with the file.
  class Writer {
   public:
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) = delete;
    ~Writer();
    Status append(std::string_view bytes);
    std::int64_t size() const { return m_size; }
    // Makes the file durable under its hash and returns it.
    Result<BlobRef> finish();

   private:
    friend class BlobStore;
    Writer(const BlobStore& store, std::filesystem::path tmp, int fd);
    const BlobStore* m_store;
    std::filesystem::path m_tmp;
    int m_fd = -1;
    std::int64_t m_size = 0;
    alignas(64) unsigned char m_state[256];  // crypto_hash_sha256_state
  };

  Result<Writer> writer() const;
  Result<BlobRef> put(std::string_view bytes) const;
  // The whole file, refused when larger than `max_bytes`.
  Result<std::string> read(std::string_view sha256, std::size_t max_bytes) const;
  // Where the file of a hash lives (it may not exist): DIR/ab/cd/<hash>.
  std::filesystem::path path_of(std::string_view sha256) const;
  const std::filesystem::path& dir() const { return m_dir; }

  static bool valid_hash(std::string_view sha256);

 private:
  std::filesystem::path m_dir;
};

}  // namespace sd::store

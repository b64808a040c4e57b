#include "store/blobs.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace sd::store {
namespace {

static_assert(sizeof(crypto_hash_sha256_state) <= 256);
static_assert(alignof(crypto_hash_sha256_state) <= 64);

Error unavailable(std::string detail, std::string cause) {
  Error e = make_error(ErrorCode::unavailable, std::move(detail));
  e.cause = std::move(cause);
  return e;
}

Error io_error(const std::string& what, const std::filesystem::path& p) {
  return unavailable(what + " " + p.string(), std::strerror(errno));
}

std::string hex(const unsigned char* d, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
  }
  return out;
}

bool sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool BlobStore::valid_hash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::filesystem::path BlobStore::path_of(std::string_view h) const {
  return m_dir / std::string(h.substr(0, 2)) / std::string(h.substr(2, 2)) / std::string(h);
}

BlobStore::Writer::Writer(const BlobStore& store, std::filesystem::path tmp, int fd)
    : m_store(&store), m_tmp(std::move(tmp)), m_fd(fd) {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(m_state));
}

BlobStore::Writer::Writer(Writer&& o) noexcept
    : m_store(o.m_store), m_tmp(std::move(o.m_tmp)), m_fd(o.m_fd), m_size(o.m_size) {
  std::memcpy(m_state, o.m_state, sizeof m_state);
  o.m_fd = -1;
  o.m_tmp.clear();
}

BlobStore::Writer::~Writer() {
  if (m_fd >= 0) ::close(m_fd);
  if (!m_tmp.empty()) {
    std::error_code ec;
    std::filesystem::remove(m_tmp, ec);
  }
}

Status BlobStore::Writer::append(std::string_view bytes) {
  if (m_fd < 0) return make_error(ErrorCode::internal, "the file is already finished");
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(m_state),
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  while (!bytes.empty()) {
    const auto n = ::write(m_fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("could not write", m_tmp);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    m_size += n;
  }
  return {};
}

Result<BlobRef> BlobStore::Writer::finish() {
  if (m_fd < 0) return make_error(ErrorCode::internal, "the file is already finished");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(m_state), digest);
  BlobRef ref{hex(digest, sizeof digest), m_size};
  if (::fsync(m_fd) != 0) return io_error("could not sync", m_tmp);
  ::close(m_fd);
  m_fd = -1;
  const auto target = m_store->path_of(ref.sha256);
  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    // The same bytes are kept already.
    std::filesystem::remove(m_tmp, ec);
    m_tmp.clear();
    return ref;
  }
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return unavailable("could not create " + target.parent_path().string(), ec.message());
  if (::rename(m_tmp.c_str(), target.c_str()) != 0) return io_error("could not store", target);
  m_tmp.clear();
  if (!sync_dir(target.parent_path())) return io_error("could not sync", target.parent_path());
  return ref;
}

Result<BlobStore::Writer> BlobStore::writer() const {
  std::error_code ec;
  const auto tmp_dir = m_dir / "tmp";
  std::filesystem::create_directories(tmp_dir, ec);
  if (ec) return unavailable("could not create " + tmp_dir.string(), ec.message());
  thread_local std::mt19937_64 rng{std::random_device{}()};
  for (int i = 0; i < 8; ++i) {
    auto tmp = tmp_dir / ("w-" + std::to_string(rng()));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd >= 0) return Writer(*this, std::move(tmp), fd);
    if (errno != EEXIST) return io_error("could not create", tmp);
  }
  return make_error(ErrorCode::unavailable,
                    "could not create a temporary file in " + tmp_dir.string());
}

Result<BlobRef> BlobStore::put(std::string_view bytes) const {
  auto w = writer();
  if (!w) return w.error();
  if (auto s = w->append(bytes); !s) return s.error();
  return w->finish();
}

Result<std::string> BlobStore::read(std::string_view h, std::size_t max_bytes) const {
  if (!valid_hash(h)) return make_error(ErrorCode::invalid_input, "not a file hash");
  const auto p = path_of(h);
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return make_error(ErrorCode::not_found, "the file is missing from the store");
    return io_error("could not open", p);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return io_error("could not read", p);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return make_error(ErrorCode::invalid_input, "the file is larger than allowed");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace sd::store

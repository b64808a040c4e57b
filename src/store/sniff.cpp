#include "store/sniff.hpp"

#include <magic.h>

namespace sd::store {
namespace {

struct Magic {
  magic_t m = nullptr;
  Magic() {
    m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                   MAGIC_NO_CHECK_TAR);
    if (m && magic_load(m, nullptr) != 0) {
      magic_close(m);
      m = nullptr;
    }
  }
  ~Magic() {
    if (m) magic_close(m);
  }
  Magic(const Magic&) = delete;
  Magic& operator=(const Magic&) = delete;
};

}  // namespace

std::string sniff_type(std::string_view head) {
  static constexpr const char* kUnknown = "application/octet-stream";
  if (head.empty()) return "application/x-empty";
  thread_local Magic magic;
  if (!magic.m) return kUnknown;
  if (head.size() > kSniffBytes) head = head.substr(0, kSniffBytes);
  const char* t = magic_buffer(magic.m, head.data(), head.size());
  if (!t || !*t) return kUnknown;
  return t;
}

bool is_raster_image(std::string_view type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" ||
         type == "image/webp" || type == "image/bmp";
}

}  // namespace sd::store

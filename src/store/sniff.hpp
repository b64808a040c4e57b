// The media type of a file by its content (libmagic): what the desk records
// and serves, never what a client or a mail says. Thread-safe (one libmagic
// handle per thread).
#pragma once

#include <string>
#include <string_view>

namespace sd::store {

// At most the first kSniffBytes are looked at; "application/octet-stream"
// when nothing is recognised or libmagic is unavailable.
inline constexpr std::size_t kSniffBytes = 64 * 1024;
std::string sniff_type(std::string_view head);

// Whether a sniffed type may be shown inline as an image thumbnail (never
// SVG, which can carry script).
bool is_raster_image(std::string_view type);

}  // namespace sd::store

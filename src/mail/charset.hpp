// Text that arrives in mail, in whatever charset it declares (or none, or
// a wrong one), as valid UTF-8. For the MIME parser; pure and thread-safe
// (iconv descriptors come from GMime's locked cache: REQUIRES init_mime()).
#pragma once

#include <string>
#include <string_view>

namespace sd::mail {

// `s` with each byte that starts no well-formed UTF-8 sequence replaced by
// U+FFFD.
std::string repair_utf8(std::string_view s);

// `bytes` in charset `label` (a MIME charset name, any case) as UTF-8,
// never losing the text: ISO-8859-1 and ASCII labels are read as
// Windows-1252 (what such mail means in practice); GB2312, EUC-KR and
// Shift_JIS as their Windows supersets; bytes that are valid UTF-8 under a
// label that does not fit them are taken as UTF-8; an empty or unknown
// label means UTF-8 when the bytes are, Windows-1252 when nothing in them
// looks like UTF-8, else UTF-8 with the bad bytes replaced. Bytes that are
// UTF-8 already are moved, not copied.
std::string to_utf8(std::string bytes, std::string_view label);

}  // namespace sd::mail

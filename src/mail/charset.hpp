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

// Header text (an unstructured value, or a display name) as valid UTF-8,
// with its RFC 2047 encoded words decoded; folded text is unfolded (CR and
// LF dropped), nothing is trimmed. An encoded word, =?charset?B|Q?text?=
// (a *language after the charset is ignored), is recognised wherever it
// starts, even inside a word as lenient readers do; its text may hold
// blanks but no '?'. Each word is decoded on its own, and the bytes of
// adjacent words (nothing but blanks between them, and those blanks
// dropped, RFC 2047 6.2) of the same charset are joined before they are
// converted with to_utf8, so that a character split across two words
// survives. A word that does not decode (base64 with a character outside
// its alphabet, an unknown encoding, no "?=" at its end) stays as the
// literal text it is. Text outside words is converted as to_utf8 does with
// no label, word by word (one header may mix Latin-1 words and UTF-8
// ones). Linear in the input's size.
std::string decode_header_words(std::string_view raw);

}  // namespace sd::mail

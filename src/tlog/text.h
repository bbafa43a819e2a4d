// Internal helpers for the line-based C2SP text formats (not part of the public API): strict UTF-8
// decoding, Unicode whitespace, and line splitting.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace keyward::tlog::internal {

// Decodes one code point at s[*i] and advances *i. Strict UTF-8 (RFC 3629): no overlong forms, no
// surrogates, nothing above U+10FFFF. False on invalid input (then *i is unchanged).
bool DecodeUtf8(std::string_view s, size_t* i, uint32_t* code_point);
// True iff `s` is valid UTF-8 with no ASCII control character (below U+0020) except '\n' (signed-note).
bool IsNoteText(std::string_view s);
// Unicode White_Space property (what Go's unicode.IsSpace reports).
bool IsUnicodeSpace(uint32_t cp);

// Splits `text` into lines at '\n'. REQUIRES: text ends with '\n' (the last, empty piece is not
// returned).
std::vector<std::string_view> SplitLines(std::string_view text);

// Takes the next '\n'-terminated line (without the '\n') off the front of *text. False, with *text
// unchanged, when no '\n' is left.
bool NextLine(std::string_view* text, std::string_view* line);

}  // namespace keyward::tlog::internal

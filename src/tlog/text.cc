#include "tlog/text.h"

namespace keyward::tlog::internal {

bool DecodeUtf8(std::string_view s, size_t* i, uint32_t* code_point) {
  size_t p = *i;
  if (p >= s.size()) return false;
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(p);
  if (b0 < 0x80) {
    *code_point = b0;
    *i = p + 1;
    return true;
  }
  size_t len;
  uint32_t cp;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - p < len) return false;
  for (size_t k = 1; k < len; ++k) {
    uint8_t b = byte(p + k);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  *code_point = cp;
  *i = p + len;
  return true;
}

bool IsNoteText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    if (!DecodeUtf8(s, &i, &cp)) return false;
    if (cp < 0x20 && cp != '\n') return false;
  }
  return true;
}

bool IsUnicodeSpace(uint32_t cp) {
  switch (cp) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) break;  // REQUIRES violated: ignore the unterminated tail
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

bool NextLine(std::string_view* text, std::string_view* line) {
  size_t nl = text->find('\n');
  if (nl == std::string_view::npos) return false;
  *line = text->substr(0, nl);
  text->remove_prefix(nl + 1);
  return true;
}

}  // namespace keyward::tlog::internal

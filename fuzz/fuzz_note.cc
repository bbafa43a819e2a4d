// Fuzzes the C2SP signed-note parser and opener: no crash, parse → format is the identity on
// accepted input (the grammar is canonical), and opening never accepts a note that fails to parse.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/check.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"

using namespace keyward;
using namespace keyward::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const NoteVerifierSet* known = [] {
    auto* s = new NoteVerifierSet();
    s->Add(*NoteVerifierFromKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    s->Add(*NoteVerifierFromKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"));
    return s;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto note = ParseNote(text);
  if (note.ok()) KW_CHECK(FormatNote(*note) == text);
  auto opened = OpenNote(text, *known);
  if (opened.ok()) {
    KW_CHECK(note.ok());
    KW_CHECK(!opened->verified.empty());
  }
  (void)ParseVerifierKey(text);
  (void)ParseSignerKey(text);
  return 0;
}

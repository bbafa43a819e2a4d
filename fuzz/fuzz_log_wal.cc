// Fuzzes the log's crash recovery (log::TileStorage::Open) with arbitrary bytes as the write-ahead
// log DIR/.wal: recovery either succeeds with a consistent tree or fails with a Status — it never
// crashes, and a WAL whose records do not match their checkpoints is refused.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "crypto/random.h"
#include "log/tile_storage.h"
#include "tlog/merkle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = (keyward::crypto::Init(), true);
  (void)init;
  char tmpl[] = "/tmp/fuzz-log-wal-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  {
    std::ofstream(dir / ".wal", std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  // Test checkpoints: "<size> <base64 root>".
  auto parse = [](std::string_view note) -> keyward::StatusOr<keyward::log::TileStorage::PublishedTree> {
    size_t sp = note.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp > 6) return keyward::InvalidArgument("bad");
    keyward::log::TileStorage::PublishedTree t;
    for (char c : note.substr(0, sp)) {
      if (c < '0' || c > '9') return keyward::InvalidArgument("bad");
      t.size = t.size * 10 + static_cast<uint64_t>(c - '0');
    }
    auto root = keyward::tlog::HashFromBase64(note.substr(sp + 1));
    if (!root.ok()) return root.status();
    t.root = *root;
    return t;
  };
  auto s = keyward::log::TileStorage::Open(dir, parse);
  if (s.ok()) {
    auto root = (*s)->TreeHash((*s)->published_size());
    if (!root.ok()) abort();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

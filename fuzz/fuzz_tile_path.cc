// Fuzzes tlog-tiles parsing: tile paths (accepted paths are canonical: TilePath(Parse(p)) == p) and
// entry bundles (accepted bundles re-serialise to the same bytes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/check.h"
#include "tlog/tiles.h"

using namespace keyward;
using namespace keyward::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tile = ParseTilePath(text);
  if (tile.ok()) {
    KW_CHECK(TilePath(*tile) == text);
    KW_CHECK(tile->width >= 1 && tile->width <= kTileWidth);
  }
  auto bundle = ParseEntryBundle({data, size});
  if (bundle.ok()) KW_CHECK(FormatEntryBundle(*bundle) == Bytes(data, data + size));
  return 0;
}

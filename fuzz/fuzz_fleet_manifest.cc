// Fuzzes the fleet manifest parser (FleetManifest::Decode, grammar in src/node/fleet_manifest.h),
// the bytes `keyward fleet init` carries to every member and every member keeps in its token, and
// the members' secrets box opener (OpenFleetSecrets), which gets operator-carried bytes.
//
// Properties: Decode never crashes; an accepted manifest is canonical (Encode gives back exactly the
// input) and satisfies the grammar's constraints; a member statement built from it has the fixed
// layout; a random box never opens.
//
// input := u8 selector ‖ bytes   (selector even: manifest; odd: u16-prefixed manifest ‖ box)
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/random.h"
#include "node/fleet_manifest.h"
#include "wire/reader.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  static bool init = [] {
    crypto::Init();
    return true;
  }();
  (void)init;
  if (size == 0) return 0;
  ByteSpan rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto m = node::FleetManifest::Decode(rest);
    if (!m.ok()) return 0;
    Bytes again = m->Encode();
    Require(again.size() == rest.size() && std::equal(again.begin(), again.end(), rest.begin()));
    Require(!m->members.empty() && m->members.size() <= node::kMaxFleetMembers);
    Require(!m->fleet_id.empty() && m->fleet_id.size() <= 64);
    for (size_t i = 0; i < m->members.size(); ++i) {
      Require(m->members[i].id == i + 1);
      Require(m->Find(static_cast<uint32_t>(i + 1)) == &m->members[i]);
      Require(!m->members[i].peer_address.empty() && !m->members[i].client_address.empty());
    }
    Require(m->Find(0) == nullptr);
    Require(m->Find(static_cast<uint32_t>(m->members.size() + 1)) == nullptr);
    std::array<uint8_t, 32> fleet_key{};
    Bytes st = node::MemberStatement(*m, 1, fleet_key);
    Require(st.size() == 23 + 32 + 4 + 32 + 32);
    return 0;
  }
  wire::Reader r(rest);
  std::span<const uint8_t> manifest_bytes;
  if (!r.U16Prefixed(&manifest_bytes)) return 0;
  auto m = node::FleetManifest::Decode(manifest_bytes);
  if (!m.ok()) return 0;
  static const raft::KxKeyPair self = [] {
    std::array<uint8_t, 32> seed{};
    seed[0] = 1;
    return raft::KxKeyPair::FromSeed(seed);
  }();
  auto opened = node::OpenFleetSecrets(*m, r.rest(), m->members[0].kx_public_key, self);
  Require(!opened.ok());  // forging a crypto_box is not expected of a fuzzer
  return 0;
}

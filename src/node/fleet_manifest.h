// Fleet manifest, member statements and the founder's secrets box (docs/replication.md "Fleet
// creation"). Plain values with strict encodings (wire::Writer / wire::Reader).
//
// manifest := u8 version=1 ‖ u8-prefixed fleet_id (1..64 bytes) ‖ u8 count (1..7) ‖
//             count × member
// member   := u32 id (= position, 1..count) ‖ kx_public_key[32] ‖ sign_public_key[32] ‖
//             u8-prefixed peer_address ‖ u8-prefixed client_address   (addresses 1..255 bytes)
// statement := "keyward fleet member v1" ‖ SHA-256(manifest) ‖ u32 member_id ‖
//              fleet_public_key[32] ‖ kx_public_key[32]            (signed with Ed25519)
// box      := nonce[24] ‖ crypto_box_easy(plaintext, nonce, member kx pk, founder kx sk)
// plaintext := SHA-256(manifest) ‖ opaque_setup[128] ‖ sealing_key[32]
//
// Thread-safety: values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "core/raft/peer_channel.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::node {

inline constexpr size_t kOpaqueSetupSize = 128;
inline constexpr size_t kMaxFleetMembers = 7;

struct FleetMember {
  uint32_t id = 0;
  raft::KxPublicKey kx_public_key{};
  std::array<uint8_t, 32> sign_public_key{};
  std::string peer_address;
  std::string client_address;
  bool operator==(const FleetMember&) const = default;
};

struct FleetManifest {
  std::string fleet_id;
  std::vector<FleetMember> members;  // members[i].id == i + 1

  Bytes Encode() const;
  static StatusOr<FleetManifest> Decode(ByteSpan bytes);
  std::array<uint8_t, 32> Hash() const;
  const FleetMember* Find(uint32_t id) const;
  bool operator==(const FleetManifest&) const = default;
};

// The bytes a member signs when it joins: "I, member `id` with these keys, serve the fleet of this
// manifest whose OPAQUE key is `fleet_public_key`".
Bytes MemberStatement(const FleetManifest& manifest, uint32_t member_id,
                      std::span<const uint8_t, 32> fleet_public_key);

// `keyward fleet add`: `next` must be `current` with exactly one member appended (same fleet id,
// existing members byte-for-byte unchanged: identities are never replaced or reused), or equal to
// it (an update applied twice).
Status CheckManifestExtends(const FleetManifest& current, const FleetManifest& next);

// update_statement := "keyward fleet manifest update v1" ‖ SHA-256(current) ‖ SHA-256(next)
// (signed by every member that applied the update; the deployment evidence of `fleet add`).
Bytes ManifestUpdateStatement(const FleetManifest& current, const FleetManifest& next);

// Fleet secrets: the OPAQUE ServerSetup (128 bytes) and the record sealing key (32 bytes).
struct FleetSecrets {
  crypto::SecretBytes opaque_setup;
  crypto::SecretBytes sealing_key;
};

// The founder seals the fleet secrets to one member (authenticated: crypto_box with the founder's
// identity key, bound to the manifest hash).
Bytes SealFleetSecrets(const FleetManifest& manifest, const FleetSecrets& secrets,
                       const raft::KxKeyPair& founder, const raft::KxPublicKey& member, crypto::Rng& rng);
// The member opens the box: fails with kAuthenticationFailed unless it was made by the holder of
// `founder` for this member and this exact manifest.
StatusOr<FleetSecrets> OpenFleetSecrets(const FleetManifest& manifest, ByteSpan box,
                                        const raft::KxPublicKey& founder, const raft::KxKeyPair& self);

}  // namespace keyward::node

#include "node/fleet_manifest.h"

#include <sodium.h>

#include "common/check.h"
#include "crypto/hash.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::node {
namespace {

constexpr std::string_view kStatementContext = "keyward fleet member v1";
constexpr size_t kPlainSize = 32 + kOpaqueSetupSize + 32;

std::string ToString(std::span<const uint8_t> s) { return std::string(AsChars(s)); }

}  // namespace

Bytes FleetManifest::Encode() const {
  wire::Writer w;
  w.U8(1).U8Prefixed(AsBytes(fleet_id)).U8(static_cast<uint8_t>(members.size()));
  for (const FleetMember& m : members) {
    w.U32(m.id).Bytes(m.kx_public_key).Bytes(m.sign_public_key);
    w.U8Prefixed(AsBytes(m.peer_address)).U8Prefixed(AsBytes(m.client_address));
  }
  return w.Take();
}

// Grammar: fleet_manifest.h (docs/replication.md "Fleet manifest").
StatusOr<FleetManifest> FleetManifest::Decode(ByteSpan bytes) {
  wire::Reader r(bytes);
  FleetManifest m;
  uint8_t version = 0, count = 0;
  std::span<const uint8_t> id;
  if (!r.U8(&version) || version != 1) return InvalidArgument("fleet manifest: unknown version");
  if (!r.U8Prefixed(&id) || id.empty() || id.size() > 64) {
    return InvalidArgument("fleet manifest: fleet id must be 1..64 bytes");
  }
  m.fleet_id = ToString(id);
  if (!r.U8(&count) || count == 0 || count > kMaxFleetMembers) {
    return InvalidArgument("fleet manifest: member count must be 1..7");
  }
  for (uint32_t i = 1; i <= count; ++i) {
    FleetMember fm;
    std::span<const uint8_t> peer, client;
    if (!r.U32(&fm.id) || !r.Fixed(&fm.kx_public_key) || !r.Fixed(&fm.sign_public_key) ||
        !r.U8Prefixed(&peer) || !r.U8Prefixed(&client)) {
      return InvalidArgument("fleet manifest: truncated member " + std::to_string(i));
    }
    if (fm.id != i) return InvalidArgument("fleet manifest: member ids must be 1..count in order");
    if (peer.empty() || client.empty()) return InvalidArgument("fleet manifest: empty member address");
    fm.peer_address = ToString(peer);
    fm.client_address = ToString(client);
    m.members.push_back(std::move(fm));
  }
  if (!r.Finish()) return InvalidArgument("fleet manifest: trailing bytes");
  return m;
}

std::array<uint8_t, 32> FleetManifest::Hash() const { return crypto::Sha256(Encode()); }

const FleetMember* FleetManifest::Find(uint32_t id) const {
  if (id == 0 || id > members.size()) return nullptr;
  return &members[id - 1];
}

Bytes MemberStatement(const FleetManifest& manifest, uint32_t member_id,
                      std::span<const uint8_t, 32> fleet_public_key) {
  const FleetMember* m = manifest.Find(member_id);
  wire::Writer w;
  w.Text(kStatementContext).Bytes(manifest.Hash()).U32(member_id).Bytes(fleet_public_key);
  w.Bytes(m != nullptr ? m->kx_public_key : raft::KxPublicKey{});
  return w.Take();
}

Status CheckManifestExtends(const FleetManifest& current, const FleetManifest& next) {
  if (next.fleet_id != current.fleet_id) {
    return InvalidArgument("the new manifest is for fleet '" + next.fleet_id + "', this member serves '" +
                           current.fleet_id + "'");
  }
  if (next == current) return Status::Ok();
  if (next.members.size() != current.members.size() + 1) {
    return InvalidArgument("the new manifest must add exactly one member to the current " +
                           std::to_string(current.members.size()) + " (members are never removed from the manifest)");
  }
  for (size_t i = 0; i < current.members.size(); ++i) {
    if (!(next.members[i] == current.members[i])) {
      return InvalidArgument("the new manifest changes member " + std::to_string(i + 1) +
                             "; identities and addresses of existing members cannot change");
    }
  }
  const FleetMember& added = next.members.back();
  for (const FleetMember& m : current.members) {
    if (m.kx_public_key == added.kx_public_key || m.sign_public_key == added.sign_public_key) {
      return InvalidArgument("the new member reuses the identity keys of member " + std::to_string(m.id));
    }
  }
  return Status::Ok();
}

Bytes ManifestUpdateStatement(const FleetManifest& current, const FleetManifest& next) {
  wire::Writer w;
  w.Text("keyward fleet manifest update v1").Bytes(current.Hash()).Bytes(next.Hash());
  return w.Take();
}

Bytes SealFleetSecrets(const FleetManifest& manifest, const FleetSecrets& secrets,
                       const raft::KxKeyPair& founder, const raft::KxPublicKey& member, crypto::Rng& rng) {
  crypto::SecretBytes plain(kPlainSize);
  auto hash = manifest.Hash();
  auto out = plain.RevealMutable();
  std::copy(hash.begin(), hash.end(), out.begin());
  std::copy(secrets.opaque_setup.Reveal().begin(), secrets.opaque_setup.Reveal().end(), out.begin() + 32);
  std::copy(secrets.sealing_key.Reveal().begin(), secrets.sealing_key.Reveal().end(),
            out.begin() + 32 + kOpaqueSetupSize);
  Bytes box(crypto_box_NONCEBYTES + crypto_box_MACBYTES + kPlainSize);
  rng.Fill(std::span(box).first(crypto_box_NONCEBYTES));
  int rc = crypto_box_easy(box.data() + crypto_box_NONCEBYTES, plain.Reveal().data(), kPlainSize, box.data(),
                           member.data(), founder.secret_key.Reveal().data());
  KW_CHECK(rc == 0);
  return box;
}

StatusOr<FleetSecrets> OpenFleetSecrets(const FleetManifest& manifest, ByteSpan box,
                                        const raft::KxPublicKey& founder, const raft::KxKeyPair& self) {
  if (box.size() != crypto_box_NONCEBYTES + crypto_box_MACBYTES + kPlainSize) {
    return InvalidArgument("fleet secrets box has the wrong size");
  }
  crypto::SecretBytes plain(kPlainSize);
  if (crypto_box_open_easy(plain.RevealMutable().data(), box.data() + crypto_box_NONCEBYTES,
                           box.size() - crypto_box_NONCEBYTES, box.data(), founder.data(),
                           self.secret_key.Reveal().data()) != 0) {
    return AuthenticationFailed("fleet secrets box does not open: not made by the founder for this member");
  }
  auto hash = manifest.Hash();
  if (!crypto::SecretBytes::ConstantTimeEquals(plain.Reveal().first(32), hash)) {
    return AuthenticationFailed("fleet secrets box was made for another manifest");
  }
  FleetSecrets s;
  s.opaque_setup = crypto::SecretBytes(plain.Reveal().subspan(32, kOpaqueSetupSize));
  s.sealing_key = crypto::SecretBytes(plain.Reveal().subspan(32 + kOpaqueSetupSize, 32));
  return s;
}

}  // namespace keyward::node

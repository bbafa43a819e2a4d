#include "node/fleet_manifest.h"

#include <gtest/gtest.h>

namespace keyward::node {
namespace {

FleetManifest Sample(crypto::Rng& rng, std::vector<raft::KxKeyPair>* keys) {
  FleetManifest m;
  m.fleet_id = "test-fleet";
  for (uint32_t id = 1; id <= 3; ++id) {
    keys->push_back(raft::KxKeyPair::Generate(rng));
    FleetMember fm;
    fm.id = id;
    fm.kx_public_key = keys->back().public_key;
    fm.sign_public_key = rng.Array<32>();
    fm.peer_address = "127.0.0.1:" + std::to_string(7000 + id);
    fm.client_address = "127.0.0.1:" + std::to_string(8000 + id);
    m.members.push_back(fm);
  }
  return m;
}

FleetSecrets SampleSecrets(crypto::Rng& rng) {
  FleetSecrets s;
  s.opaque_setup = crypto::SecretBytes(kOpaqueSetupSize);
  rng.Fill(s.opaque_setup.RevealMutable());
  s.sealing_key = crypto::SecretBytes(32);
  rng.Fill(s.sealing_key.RevealMutable());
  return s;
}

TEST(FleetManifestTest, RoundTripsAndRejectsMalformed) {
  crypto::DeterministicRng rng(1);
  std::vector<raft::KxKeyPair> keys;
  FleetManifest m = Sample(rng, &keys);
  Bytes enc = m.Encode();
  auto back = FleetManifest::Decode(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  Bytes trailing = enc;
  trailing.push_back(0);
  EXPECT_FALSE(FleetManifest::Decode(trailing).ok());
  for (size_t cut = 0; cut < enc.size(); cut += 7) {
    EXPECT_FALSE(FleetManifest::Decode(ByteSpan(enc).first(cut)).ok()) << cut;
  }
  FleetManifest bad = m;
  bad.members[1].id = 5;
  EXPECT_FALSE(FleetManifest::Decode(bad.Encode()).ok());
}

TEST(FleetManifestTest, SecretsBoxOpensOnlyForTheMemberFromTheFounderForThisManifest) {
  crypto::DeterministicRng rng(2);
  std::vector<raft::KxKeyPair> keys;
  FleetManifest m = Sample(rng, &keys);
  FleetSecrets s = SampleSecrets(rng);
  Bytes box = SealFleetSecrets(m, s, keys[0], keys[1].public_key, rng);
  auto opened = OpenFleetSecrets(m, box, keys[0].public_key, keys[1]);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->opaque_setup.Equals(s.opaque_setup));
  EXPECT_TRUE(opened->sealing_key.Equals(s.sealing_key));
  // Another member cannot open it; a box from someone else than the founder does not open.
  EXPECT_FALSE(OpenFleetSecrets(m, box, keys[0].public_key, keys[2]).ok());
  Bytes forged = SealFleetSecrets(m, s, keys[2], keys[1].public_key, rng);
  EXPECT_FALSE(OpenFleetSecrets(m, forged, keys[0].public_key, keys[1]).ok());
  // Bound to the manifest.
  FleetManifest other = m;
  other.members[2].peer_address = "127.0.0.1:9";
  EXPECT_FALSE(OpenFleetSecrets(other, box, keys[0].public_key, keys[1]).ok());
  Bytes tampered = box;
  tampered[40] ^= 1;
  EXPECT_FALSE(OpenFleetSecrets(m, tampered, keys[0].public_key, keys[1]).ok());
}

TEST(FleetManifestTest, StatementBindsManifestMemberAndFleetKey) {
  crypto::DeterministicRng rng(3);
  std::vector<raft::KxKeyPair> keys;
  FleetManifest m = Sample(rng, &keys);
  std::array<uint8_t, 32> k1{}, k2{};
  k2[0] = 1;
  EXPECT_NE(MemberStatement(m, 1, k1), MemberStatement(m, 2, k1));
  EXPECT_NE(MemberStatement(m, 1, k1), MemberStatement(m, 1, k2));
}

TEST(FleetManifestTest, AnUpdateMayOnlyAppendOneNewIdentity) {
  crypto::DeterministicRng rng(7);
  std::vector<raft::KxKeyPair> keys;
  FleetManifest current = Sample(rng, &keys);
  EXPECT_TRUE(CheckManifestExtends(current, current).ok());  // applied twice
  FleetManifest next = current;
  FleetMember added;
  added.id = 4;
  added.kx_public_key = raft::KxKeyPair::Generate(rng).public_key;
  added.sign_public_key = rng.Array<32>();
  added.peer_address = "127.0.0.1:7004";
  added.client_address = "127.0.0.1:8004";
  next.members.push_back(added);
  EXPECT_TRUE(CheckManifestExtends(current, next).ok());
  EXPECT_FALSE(CheckManifestExtends(next, current).ok());  // never removes
  FleetManifest swapped = next;
  swapped.members[1].kx_public_key = added.kx_public_key;  // a member's key changed
  EXPECT_FALSE(CheckManifestExtends(current, swapped).ok());
  FleetManifest moved = next;
  moved.members[0].peer_address = "10.0.0.1:7001";
  EXPECT_FALSE(CheckManifestExtends(current, moved).ok());
  FleetManifest reuse = next;
  reuse.members[3].sign_public_key = current.members[2].sign_public_key;
  EXPECT_FALSE(CheckManifestExtends(current, reuse).ok());
  FleetManifest other = next;
  other.fleet_id = "other";
  EXPECT_FALSE(CheckManifestExtends(current, other).ok());
  FleetManifest two = next;
  added.id = 5;
  added.kx_public_key = raft::KxKeyPair::Generate(rng).public_key;
  two.members.push_back(added);
  EXPECT_FALSE(CheckManifestExtends(current, two).ok());
  // The update statement binds both manifests.
  EXPECT_NE(ManifestUpdateStatement(current, next), ManifestUpdateStatement(current, two));
  EXPECT_NE(ManifestUpdateStatement(current, next), ManifestUpdateStatement(next, next));
}

TEST(FleetManifestTest, SecretsBoxedByALaterMemberOpenOnlyForItsSealer) {
  crypto::DeterministicRng rng(8);
  std::vector<raft::KxKeyPair> keys;
  FleetManifest m = Sample(rng, &keys);
  FleetSecrets secrets = SampleSecrets(rng);
  // Member 2 seals for member 3 (as `fleet add` does): opens with 2's key, not the founder's.
  Bytes box = SealFleetSecrets(m, secrets, keys[1], keys[2].public_key, rng);
  auto opened = OpenFleetSecrets(m, box, keys[1].public_key, keys[2]);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(crypto::SecretBytes::ConstantTimeEquals(opened->sealing_key.Reveal(), secrets.sealing_key.Reveal()));
  EXPECT_FALSE(OpenFleetSecrets(m, box, keys[0].public_key, keys[2]).ok());
}

}  // namespace
}  // namespace keyward::node

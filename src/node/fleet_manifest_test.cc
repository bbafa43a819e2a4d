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

}  // namespace
}  // namespace keyward::node

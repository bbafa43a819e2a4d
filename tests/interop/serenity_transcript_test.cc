// Replays the two recorded @serenity-kit/opaque 1.1.0 transcripts
// (testdata/vectors/serenity-kit-transcripts/*.json, provenance in SOURCES.md) with Keyward's OPAQUE,
// injecting opaque-ke's randomness through crypto::FixedRng, and compares every value byte for byte.
// Needs no Node: it checks our implementation against opaque-ke's recorded output.
//
// What the transcripts let us inject, and therefore what is compared:
//   * registration: the blind (clientRegistrationState = blind || blinded) and the envelope nonce
//     (inside the record) -> request, response, record, export key, server public key: all bytes.
//   * client login: blind and client_nonce from clientLoginState (blind || KE1 || client_eph_sk ||
//     client_nonce). opaque-ke does not record the seed its ephemeral key came from, so KE1's key share
//     cannot come out of our seed-based ClientStartLogin; we compare KE1's first 64 bytes, check
//     client_eph_sk·B against its key share, and rebuild the client state from the recorded secret
//     (internal::MakeClientLoginState) to replay the client's finish: KE3, session key and export key
//     must equal opaque-ke's.
//   * server login: masking_nonce and server_nonce from KE2. The server's ephemeral secret is not
//     recorded either, so KE2 is compared up to server_nonce (224 bytes: evaluated element, masking
//     nonce, masked response, server nonce); the 3DH key schedule is covered by the client replay
//     above (it must accept opaque-ke's server MAC and produce its KE3). Our server's finish is run on
//     opaque-ke's serverLoginState (session_key || expected_client_mac, reordered to our
//     expected_client_mac || session_key) with the recorded KE3.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "crypto/opaque.h"
#include "crypto/opaque_internal.h"
#include "crypto/random.h"
#include "crypto/ristretto.h"
#include "support/vectors.h"

namespace keyward::testing {
namespace {

namespace opaque = crypto::opaque;

Bytes Reveal(const crypto::SecretBytes& s) { return Bytes(s.Reveal().begin(), s.Reveal().end()); }
template <size_t N>
Bytes ToVec(const std::array<uint8_t, N>& a) { return Bytes(a.begin(), a.end()); }
Bytes Slice(const Bytes& b, size_t offset, size_t length) {
  KW_CHECK(offset + length <= b.size());
  return Bytes(b.begin() + offset, b.begin() + offset + length);
}

// The transcript's "ksf" is serenity's keyStretching value: "default(memory-constrained)" (i.e.
// omitted) or {"argon2id-custom": {memory, iterations, parallelism}}.
crypto::KsfConfig KsfFromTranscript(const nlohmann::json& ksf) {
  if (ksf.is_string()) {
    EXPECT_EQ(ksf.get<std::string>(), "default(memory-constrained)");
    return crypto::KsfConfig::Default();
  }
  const auto& p = ksf.at("argon2id-custom");
  auto config = crypto::KsfConfig::Argon2id({.memory_kib = p.at("memory").get<uint32_t>(),
                                             .iterations = p.at("iterations").get<uint32_t>(),
                                             .parallelism = p.at("parallelism").get<uint32_t>()});
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : crypto::KsfConfig::Default();
}

class SerenityTranscriptTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SerenityTranscriptTest, ReplaysByteForByte) {
  const nlohmann::json doc = LoadJson("vectors/serenity-kit-transcripts/" + GetParam());
  ASSERT_TRUE(doc.is_object());
  VectorCase v(doc, GetParam());
  v.Ignore("finishRegistrationMs");  // the recorder's timing, not a protocol value

  opaque::Options options;  // serenity: empty context, identities default to the public keys
  options.ksf = KsfFromTranscript(v.Field("ksf"));
  const Bytes password = v.HexField("password");
  const Bytes user = v.HexField("userIdentifier");

  // ServerSetup import/export (128 bytes, 171 base64url characters).
  const Bytes setup = v.HexField("serverSetup");
  auto keys = opaque::InMemoryServerKeys::FromServerSetup(setup);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(Reveal((*keys)->ExportServerSetup()), setup);
  EXPECT_EQ(Base64Encode(setup, Base64Variant::kUrlSafeNoPadding).size(),
            v.Field("serverSetup_b64u_len").get<size_t>());
  EXPECT_EQ(ToVec((*keys)->public_key()), v.HexField("serverPublicKey"));

  // Registration: blind from clientRegistrationState, envelope nonce from the record.
  const Bytes reg_state = v.HexField("clientRegistrationState");
  ASSERT_EQ(reg_state.size(), 64u);
  const Bytes reg_blind = Slice(reg_state, 0, 32);  // FixedRng keeps a view: the bytes must outlive it
  crypto::FixedRng blind_rng(reg_blind);
  auto reg = opaque::ClientStartRegistration(password, blind_rng);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(blind_rng.remaining(), 0u);
  EXPECT_EQ(reg->request, v.HexField("registrationRequest"));
  EXPECT_EQ(reg->request, Slice(reg_state, 32, 32));

  auto response = opaque::ServerRegistrationResponse(**keys, user, reg->request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(*response, v.HexField("registrationResponse"));

  const Bytes record = v.HexField("registrationRecord");
  ASSERT_EQ(record.size(), opaque::kRegistrationRecordSize);
  const Bytes envelope_nonce = Slice(record, 32 + 64, 32);  // client_pk(32) || masking_key(64) || nonce
  crypto::FixedRng nonce_rng(envelope_nonce);
  auto reg_fin = opaque::ClientFinishRegistration(std::move(reg->state), *response, options, nonce_rng);
  ASSERT_TRUE(reg_fin.ok()) << reg_fin.status().ToString();
  EXPECT_EQ(nonce_rng.remaining(), 0u);
  EXPECT_EQ(reg_fin->record, record);
  EXPECT_EQ(Reveal(reg_fin->export_key), v.HexField("exportKey"));
  EXPECT_EQ(ToVec(reg_fin->server_public_key), v.HexField("serverStaticPublicKey"));

  // Client login start: blind || KE1 || client_eph_sk || client_nonce.
  const Bytes login_state = v.HexField("clientLoginState");
  ASSERT_EQ(login_state.size(), 192u);
  const Bytes ke1 = v.HexField("startLoginRequest");
  ASSERT_EQ(ke1.size(), opaque::kKe1Size);
  EXPECT_EQ(Slice(login_state, 32, 96), ke1);
  const Bytes blind = Slice(login_state, 0, 32);
  const Bytes eph_sk = Slice(login_state, 128, 32);
  const Bytes client_nonce = Slice(login_state, 160, 32);
  EXPECT_EQ(Slice(ke1, 32, 32), client_nonce);
  const Bytes any_seed(32, 0x42);  // opaque-ke's ephemeral seed is not recorded (see top)
  const Bytes login_draws = Concat({blind, client_nonce, any_seed});
  crypto::FixedRng login_rng(login_draws);
  auto login = opaque::ClientStartLogin(password, login_rng);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(Slice(login->ke1, 0, 64), Slice(ke1, 0, 64)) << "blinded element || client nonce";
  auto eph = crypto::ristretto::Scalar::Deserialize(eph_sk);
  ASSERT_TRUE(eph.ok()) << eph.status().ToString();
  EXPECT_EQ(ToVec(crypto::ristretto::PublicKeyFor(*eph).bytes()), Slice(ke1, 64, 32));

  // Server login start: masking_nonce and server_nonce from KE2.
  const Bytes ke2 = v.HexField("loginResponse");
  ASSERT_EQ(ke2.size(), opaque::kKe2Size);
  const Bytes server_draws = Concat({Slice(ke2, 32, 32), Slice(ke2, 192, 32), any_seed});
  crypto::FixedRng server_rng(server_draws);
  auto server = opaque::ServerStartLogin(**keys, options, user, ByteSpan(record), ke1, server_rng);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(server_rng.remaining(), 0u);
  EXPECT_EQ(Slice(server->ke2, 0, 224), Slice(ke2, 0, 224))
      << "evaluated element || masking nonce || masked response || server nonce";

  // Client login finish, replayed from opaque-ke's recorded client state.
  auto state = opaque::internal::MakeClientLoginState(password, blind, eph_sk, ke1);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  auto done = opaque::ClientFinishLogin(std::move(*state), ke2, options);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->ke3, v.HexField("finishLoginRequest"));
  EXPECT_EQ(Reveal(done->session_key), v.HexField("clientSessionKey"));
  EXPECT_EQ(Reveal(done->export_key), v.HexField("loginExportKey"));
  EXPECT_EQ(ToVec(done->server_public_key), v.HexField("serverPublicKey"));

  // Server login finish on opaque-ke's state (session_key || expected_client_mac).
  const Bytes server_state = v.HexField("serverLoginState");
  ASSERT_EQ(server_state.size(), 128u);
  EXPECT_EQ(Slice(server_state, 0, 64), v.HexField("serverSessionKey"));
  auto imported = opaque::ServerLoginState::Import(Concat({Slice(server_state, 64, 64), Slice(server_state, 0, 64)}));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  auto session_key = opaque::ServerFinishLogin(std::move(*imported), done->ke3);
  ASSERT_TRUE(session_key.ok()) << session_key.status().ToString();
  EXPECT_EQ(Reveal(*session_key), v.HexField("serverSessionKey"));

  v.ExpectAllFieldsUsed();
}

// The loader asserts the file set: a transcript added, renamed or lost must not pass silently.
TEST(SerenityTranscripts, DirectoryHoldsExactlyTheTwoReplayedFiles) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(TestDataPath("vectors/serenity-kit-transcripts"))) {
    names.insert(e.path().filename().string());
  }
  EXPECT_EQ(names, (std::set<std::string>{"serenity-1.1.0-default-ksf.json",
                                          "serenity-1.1.0-argon2id-m19456-t2-p1.json"}));
}

INSTANTIATE_TEST_SUITE_P(Transcripts, SerenityTranscriptTest,
                         ::testing::Values("serenity-1.1.0-default-ksf.json",
                                           "serenity-1.1.0-argon2id-m19456-t2-p1.json"),
                         [](const auto& param_info) {
                           return param_info.index == 0 ? std::string("DefaultKsf") : std::string("Argon2idM19456T2P1");
                         });

}  // namespace
}  // namespace keyward::testing

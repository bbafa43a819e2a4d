// Live interop between Keyward's OPAQUE (src/crypto/opaque.h) and @serenity-kit/opaque 1.1.0
// (facebook's opaque-ke 4.0 compiled to WASM) driven through tests/interop/serenity_peer.mjs:
//   a) our client registers and logs in against serenity's server;
//   b) serenity's client registers and logs in against our server (our keys exported as serenity's
//      128-byte ServerSetup, serenity's setup imported into ours);
//   c) a KE2 with a flipped bit is rejected by both clients, a KE3 with a flipped bit by both servers;
//   plus custom identities and the fake KE2 for unknown users (RFC 9807 §10.9).
// The happy paths run the default KSF (Argon2id m=65536 KiB, t=3, p=4); the negative tests use a tiny
// Argon2id on both sides so the whole suite stays well under a minute.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/opaque.h"
#include "crypto/random.h"
#include "interop/serenity_peer_client.h"

namespace keyward::testing {
namespace {

namespace opaque = crypto::opaque;
using nlohmann::json;

constexpr char kPassword[] = "correct horse battery staple";
constexpr char kUser[] = "alice@example.com";

// Bit positions spread over every KE2 field: evaluated_message, masking_nonce, masked_response
// (start and end), server_nonce, server_keyshare, server_mac (start and end).
const std::vector<size_t> kKe2Bits = {3, 32 * 8 + 1, 64 * 8 + 7, 191 * 8, 192 * 8 + 5,
                                      224 * 8 + 2, 256 * 8, 319 * 8 + 7};
// KE3 is a single MAC: first, a middle and the last bit.
const std::vector<size_t> kKe3Bits = {0, 33 * 8 + 4, 63 * 8 + 7};

Bytes FlipBit(ByteSpan in, size_t bit) {
  Bytes out(in.begin(), in.end());
  out.at(bit / 8) ^= static_cast<uint8_t>(1u << (bit % 8));
  return out;
}

Bytes Reveal(const crypto::SecretBytes& s) { return Bytes(s.Reveal().begin(), s.Reveal().end()); }
template <size_t N>
Bytes ToVec(const std::array<uint8_t, N>& a) { return Bytes(a.begin(), a.end()); }

// A tiny Argon2id (the smallest both libargon2 and the argon2 crate accept) for the negative tests.
opaque::Options CheapOptions() {
  opaque::Options o;
  auto ksf = crypto::KsfConfig::Argon2id({.memory_kib = 8, .iterations = 1, .parallelism = 1});
  KW_CHECK(ksf.ok());
  o.ksf = *ksf;
  return o;
}
json CheapKsfJson() {
  return {{"argon2id-custom", {{"memory", 8}, {"iterations", 1}, {"parallelism", 1}}}};
}

class SerenityInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto peer = SerenityPeer::Start();
    if (peer.ok()) {
      peer_ = std::move(*peer).release();
    } else {
      start_error_ = new std::string(peer.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete peer_;  // kills and reaps node
    peer_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(peer_, nullptr) << (start_error_ ? *start_error_ : std::string("peer not started"));
    ASSERT_EQ(peer_->version(), "1.1.0") << "the interop suite pins @serenity-kit/opaque 1.1.0";
  }

  // A serenity call that must succeed.
  static json Must(const std::string& fn, const json& args) {
    auto r = peer_->Call(fn, args);
    EXPECT_TRUE(r.ok()) << fn << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }
  // True if serenity rejected the call: it threw, or returned undefined (client.finishLogin).
  static bool Rejected(const std::string& fn, const json& args) {
    auto r = peer_->Call(fn, args);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kAuthenticationFailed)
          << "the peer itself failed: " << r.status().ToString();
      return true;
    }
    return r->is_null();
  }

  // Our client registered at serenity's server; returns the record.
  Bytes RegisterOurClient(const std::string& setup, const opaque::Options& options,
                          Bytes* export_key = nullptr) {
    auto reg = opaque::ClientStartRegistration(AsBytes(kPassword), rng_);
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    if (!reg.ok()) return {};
    json resp = Must("server.createRegistrationResponse",
                     {{"serverSetup", setup}, {"userIdentifier", kUser},
                      {"registrationRequest", B64u(reg->request)}});
    auto fin = opaque::ClientFinishRegistration(std::move(reg->state),
                                                FromB64u(resp, "registrationResponse"), options, rng_);
    EXPECT_TRUE(fin.ok()) << fin.status().ToString();
    if (!fin.ok()) return {};
    if (export_key) *export_key = Reveal(fin->export_key);
    return fin->record;
  }

  static SerenityPeer* peer_;
  static std::string* start_error_;
  crypto::SystemRng rng_;
};
SerenityPeer* SerenityInteropTest::peer_ = nullptr;
std::string* SerenityInteropTest::start_error_ = nullptr;

// a) + the KE3 half of c) on serenity's server.
TEST_F(SerenityInteropTest, OurClientRegistersAndLogsInAtSerenityServer) {
  const std::string setup = Must("server.createSetup", {});
  const Bytes setup_bytes = FromB64uText(setup);
  ASSERT_EQ(setup_bytes.size(), opaque::kServerSetupSize);

  // serenity's setup imported into ours: same public key, same OPRF evaluation, same bytes back.
  auto keys = opaque::InMemoryServerKeys::FromServerSetup(setup_bytes);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  const Bytes serenity_pk = FromB64uText(Must("server.getPublicKey", {{"serverSetup", setup}}));
  EXPECT_EQ(ToVec((*keys)->public_key()), serenity_pk);
  EXPECT_EQ(Reveal((*keys)->ExportServerSetup()), setup_bytes);

  const opaque::Options options;  // empty context, default identities, default Argon2id
  auto reg = opaque::ClientStartRegistration(AsBytes(kPassword), rng_);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  json resp = Must("server.createRegistrationResponse",
                   {{"serverSetup", setup}, {"userIdentifier", kUser},
                    {"registrationRequest", B64u(reg->request)}});
  const Bytes response = FromB64u(resp, "registrationResponse");
  auto our_response = opaque::ServerRegistrationResponse(**keys, AsBytes(kUser), reg->request);
  ASSERT_TRUE(our_response.ok()) << our_response.status().ToString();
  EXPECT_EQ(*our_response, response) << "OPRF evaluation differs from opaque-ke for the same setup";

  auto reg_fin = opaque::ClientFinishRegistration(std::move(reg->state), response, options, rng_);
  ASSERT_TRUE(reg_fin.ok()) << reg_fin.status().ToString();
  EXPECT_EQ(ToVec(reg_fin->server_public_key), serenity_pk);

  auto login = opaque::ClientStartLogin(AsBytes(kPassword), rng_);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  json start = Must("server.startLogin",
                    {{"serverSetup", setup}, {"registrationRecord", B64u(reg_fin->record)},
                     {"startLoginRequest", B64u(login->ke1)}, {"userIdentifier", kUser}});
  auto done = opaque::ClientFinishLogin(std::move(login->state), FromB64u(start, "loginResponse"), options);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(ToVec(done->server_public_key), serenity_pk);
  EXPECT_EQ(Reveal(done->export_key), Reveal(reg_fin->export_key));

  // c) serenity's server rejects our KE3 with any bit flipped; its state string is reusable, so the
  // genuine KE3 must still pass afterwards (the rejections were caused by the flips).
  for (size_t bit : kKe3Bits) {
    EXPECT_TRUE(Rejected("server.finishLogin", {{"serverLoginState", start["serverLoginState"]},
                                                {"finishLoginRequest", B64u(FlipBit(done->ke3, bit))}}))
        << "serenity accepted a KE3 with bit " << bit << " flipped";
  }
  json fin = Must("server.finishLogin", {{"serverLoginState", start["serverLoginState"]},
                                         {"finishLoginRequest", B64u(done->ke3)}});
  EXPECT_EQ(FromB64u(fin, "sessionKey"), Reveal(done->session_key));
}

// b) + the KE3 half of c) on our server.
TEST_F(SerenityInteropTest, SerenityClientRegistersAndLogsInAtOurServer) {
  auto keys = opaque::InMemoryServerKeys::Generate(rng_);
  const std::string setup = B64u(keys->ExportServerSetup().Reveal());
  EXPECT_EQ(setup.size(), 171u);
  // Our keys exported as serenity's ServerSetup: serenity derives the same public key and the same
  // OPRF evaluation from them.
  EXPECT_EQ(FromB64uText(Must("server.getPublicKey", {{"serverSetup", setup}})),
            ToVec(keys->public_key()));

  json reg = Must("client.startRegistration", {{"password", kPassword}});
  const Bytes request = FromB64u(reg, "registrationRequest");
  auto response = opaque::ServerRegistrationResponse(*keys, AsBytes(kUser), request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  json theirs = Must("server.createRegistrationResponse",
                     {{"serverSetup", setup}, {"userIdentifier", kUser}, {"registrationRequest", B64u(request)}});
  EXPECT_EQ(FromB64u(theirs, "registrationResponse"), *response);

  json reg_fin = Must("client.finishRegistration",
                      {{"clientRegistrationState", reg["clientRegistrationState"]},
                       {"registrationResponse", B64u(*response)}, {"password", kPassword}});
  const Bytes record = FromB64u(reg_fin, "registrationRecord");
  ASSERT_EQ(record.size(), opaque::kRegistrationRecordSize);
  EXPECT_EQ(FromB64u(reg_fin, "serverStaticPublicKey"), ToVec(keys->public_key()));

  json login = Must("client.startLogin", {{"password", kPassword}});
  auto server = opaque::ServerStartLogin(*keys, opaque::Options{}, AsBytes(kUser), ByteSpan(record),
                                         FromB64u(login, "startLoginRequest"), rng_);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  json done = Must("client.finishLogin", {{"clientLoginState", login["clientLoginState"]},
                                          {"loginResponse", B64u(server->ke2)}, {"password", kPassword}});
  ASSERT_TRUE(done.is_object()) << "serenity's client rejected our KE2";
  const Bytes ke3 = FromB64u(done, "finishLoginRequest");
  EXPECT_EQ(FromB64u(done, "exportKey"), FromB64u(reg_fin, "exportKey"));

  // c) our server rejects serenity's KE3 with any bit flipped (a copy of the state per attempt).
  for (size_t bit : kKe3Bits) {
    auto copy = opaque::ServerLoginState::Import(server->state.Export().Reveal());
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    auto r = opaque::ServerFinishLogin(std::move(*copy), FlipBit(ke3, bit));
    EXPECT_EQ(r.status().code(), ErrorCode::kAuthenticationFailed) << "accepted KE3 with bit " << bit << " flipped";
  }
  auto session_key = opaque::ServerFinishLogin(std::move(server->state), ke3);
  ASSERT_TRUE(session_key.ok()) << session_key.status().ToString();
  EXPECT_EQ(Reveal(*session_key), FromB64u(done, "sessionKey"));
}

// c) KE2 from serenity's server, one bit flipped per login, rejected by our client.
TEST_F(SerenityInteropTest, OurClientRejectsFlippedKe2) {
  const std::string setup = Must("server.createSetup", {});
  const opaque::Options options = CheapOptions();
  const Bytes record = RegisterOurClient(setup, options);
  ASSERT_FALSE(record.empty());
  auto login_once = [&](std::optional<size_t> flip) -> Status {
    auto login = opaque::ClientStartLogin(AsBytes(kPassword), rng_);
    RETURN_IF_ERROR(login.status());
    json start = Must("server.startLogin",
                      {{"serverSetup", setup}, {"registrationRecord", B64u(record)},
                       {"startLoginRequest", B64u(login->ke1)}, {"userIdentifier", kUser}});
    Bytes ke2 = FromB64u(start, "loginResponse");
    if (flip) ke2 = FlipBit(ke2, *flip);
    return opaque::ClientFinishLogin(std::move(login->state), ke2, options).status();
  };
  for (size_t bit : kKe2Bits) {
    Status st = login_once(bit);
    EXPECT_EQ(st.code(), ErrorCode::kAuthenticationFailed) << "bit " << bit << ": " << st.ToString();
  }
  EXPECT_TRUE(login_once(std::nullopt).ok()) << "the unmodified login must still succeed";
}

// c) KE2 from our server, one bit flipped, rejected by serenity's client (its state is reusable).
TEST_F(SerenityInteropTest, SerenityClientRejectsFlippedKe2) {
  auto keys = opaque::InMemoryServerKeys::Generate(rng_);
  json reg = Must("client.startRegistration", {{"password", kPassword}});
  auto response = opaque::ServerRegistrationResponse(*keys, AsBytes(kUser), FromB64u(reg, "registrationRequest"));
  ASSERT_TRUE(response.ok());
  json reg_fin = Must("client.finishRegistration",
                      {{"clientRegistrationState", reg["clientRegistrationState"]},
                       {"registrationResponse", B64u(*response)}, {"password", kPassword},
                       {"keyStretching", CheapKsfJson()}});
  const Bytes record = FromB64u(reg_fin, "registrationRecord");
  json login = Must("client.startLogin", {{"password", kPassword}});
  auto server = opaque::ServerStartLogin(*keys, CheapOptions(), AsBytes(kUser), ByteSpan(record),
                                         FromB64u(login, "startLoginRequest"), rng_);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto finish = [&](ByteSpan ke2) {
    return json{{"clientLoginState", login["clientLoginState"]}, {"loginResponse", B64u(ke2)},
                {"password", kPassword}, {"keyStretching", CheapKsfJson()}};
  };
  for (size_t bit : kKe2Bits) {
    EXPECT_TRUE(Rejected("client.finishLogin", finish(FlipBit(server->ke2, bit))))
        << "serenity's client accepted our KE2 with bit " << bit << " flipped";
  }
  EXPECT_TRUE(Must("client.finishLogin", finish(server->ke2)).is_object())
      << "the unmodified KE2 must still be accepted";
}

// Custom identities (RFC 9807 §4.1.2) agree: serenity's client with identifiers, our server with
// the same Options.
TEST_F(SerenityInteropTest, CustomIdentitiesAgree) {
  auto keys = opaque::InMemoryServerKeys::Generate(rng_);
  const json ids = {{"client", kUser}, {"server", "vault.keyward.example"}};
  opaque::Options options = CheapOptions();
  options.client_identity = ToBytes(kUser);
  options.server_identity = ToBytes("vault.keyward.example");

  json reg = Must("client.startRegistration", {{"password", kPassword}});
  auto response = opaque::ServerRegistrationResponse(*keys, AsBytes(kUser), FromB64u(reg, "registrationRequest"));
  ASSERT_TRUE(response.ok());
  json reg_fin = Must("client.finishRegistration",
                      {{"clientRegistrationState", reg["clientRegistrationState"]},
                       {"registrationResponse", B64u(*response)}, {"password", kPassword},
                       {"identifiers", ids}, {"keyStretching", CheapKsfJson()}});
  const Bytes record = FromB64u(reg_fin, "registrationRecord");
  json login = Must("client.startLogin", {{"password", kPassword}});
  auto server = opaque::ServerStartLogin(*keys, options, AsBytes(kUser), ByteSpan(record),
                                         FromB64u(login, "startLoginRequest"), rng_);
  ASSERT_TRUE(server.ok());
  json done = Must("client.finishLogin", {{"clientLoginState", login["clientLoginState"]},
                                          {"loginResponse", B64u(server->ke2)}, {"password", kPassword},
                                          {"identifiers", ids}, {"keyStretching", CheapKsfJson()}});
  ASSERT_TRUE(done.is_object()) << "serenity's client rejected a KE2 made with the same identities";
  auto key = opaque::ServerFinishLogin(std::move(server->state), FromB64u(done, "finishLoginRequest"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(Reveal(*key), FromB64u(done, "sessionKey"));
}

// RFC 9807 §10.9: an unknown user gets a well-formed fake KE2 from either server; the other side's
// client fails only at finish.
TEST_F(SerenityInteropTest, UnknownUserFakeKe2FailsOnlyAtClientFinish) {
  auto keys = opaque::InMemoryServerKeys::Generate(rng_);
  json login = Must("client.startLogin", {{"password", kPassword}});
  auto fake = opaque::ServerStartLogin(*keys, CheapOptions(), AsBytes("nobody@example.com"), std::nullopt,
                                       FromB64u(login, "startLoginRequest"), rng_);
  ASSERT_TRUE(fake.ok()) << fake.status().ToString();
  ASSERT_EQ(fake->ke2.size(), opaque::kKe2Size);
  EXPECT_TRUE(Rejected("client.finishLogin", {{"clientLoginState", login["clientLoginState"]},
                                              {"loginResponse", B64u(fake->ke2)}, {"password", kPassword},
                                              {"keyStretching", CheapKsfJson()}}));

  const std::string setup = B64u(keys->ExportServerSetup().Reveal());
  auto ours = opaque::ClientStartLogin(AsBytes(kPassword), rng_);
  ASSERT_TRUE(ours.ok());
  json start = Must("server.startLogin", {{"serverSetup", setup}, {"registrationRecord", nullptr},
                                          {"startLoginRequest", B64u(ours->ke1)},
                                          {"userIdentifier", "nobody@example.com"}});
  const Bytes ke2 = FromB64u(start, "loginResponse");
  ASSERT_EQ(ke2.size(), opaque::kKe2Size);
  auto r = opaque::ClientFinishLogin(std::move(ours->state), ke2, CheapOptions());
  EXPECT_EQ(r.status().code(), ErrorCode::kAuthenticationFailed);
}

}  // namespace
}  // namespace keyward::testing

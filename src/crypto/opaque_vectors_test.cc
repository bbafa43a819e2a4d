// RFC 9807 Appendix C test vectors (ristretto255 configurations: indices 0, 1 and 6 of
// testdata/vectors/opaque-rfc9807-vectors.json), checking every input, intermediate and output.
#include <gtest/gtest.h>

#include "common/bytes.h"
#include "crypto/opaque.h"
#include "crypto/opaque_internal.h"
#include "crypto/oprf.h"
#include "support/vectors.h"

namespace keyward::crypto::opaque {
namespace {

using testing::VectorCase;

nlohmann::json RistrettoConfigs() {
  const auto doc = testing::LoadJson("vectors/opaque-rfc9807-vectors.json");
  EXPECT_EQ(doc.size(), 9u) << "RFC 9807 vectors.json has 9 configurations";
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : doc) {
    if (v.at("config").at("Group") == "ristretto255") out.push_back(v);
  }
  EXPECT_EQ(out.size(), 3u) << "expected 3 ristretto255 configurations (real, real+ids, fake)";
  return out;
}

// Checks the config block: this suite, KSF Identity, and returns the context.
Bytes CheckConfig(const nlohmann::json& config, bool fake) {
  VectorCase c(config, "config");
  EXPECT_EQ(c.StringField("Group"), "ristretto255");
  EXPECT_EQ(c.StringField("OPRF"), "ristretto255-SHA512");
  EXPECT_EQ(c.StringField("Hash"), "SHA512");
  EXPECT_EQ(c.StringField("KDF"), "HKDF-SHA512");
  EXPECT_EQ(c.StringField("MAC"), "HMAC-SHA512");
  EXPECT_EQ(c.StringField("KSF"), "Identity");
  EXPECT_EQ(c.StringField("Name"), "3DH");
  EXPECT_EQ(c.StringField("Fake"), fake ? "True" : "False");
  EXPECT_EQ(c.StringField("Nh"), "64");
  EXPECT_EQ(c.StringField("Nm"), "64");
  EXPECT_EQ(c.StringField("Nok"), "32");
  EXPECT_EQ(c.StringField("Npk"), "32");
  EXPECT_EQ(c.StringField("Nsk"), "32");
  EXPECT_EQ(c.StringField("Nx"), "64");
  Bytes context = c.HexField("Context");
  c.ExpectAllFieldsUsed();
  return context;
}

void RunRealVector(const nlohmann::json& v, bool with_identities) {
  VectorCase top(v, "vector");
  const Bytes context = CheckConfig(top.Field("config"), /*fake=*/false);
  VectorCase in(top.Field("inputs"), "inputs");
  VectorCase mid(top.Field("intermediates"), "intermediates");
  VectorCase out(top.Field("outputs"), "outputs");
  top.ExpectAllFieldsUsed();

  Options options;
  options.context = context;
  options.ksf = KsfConfig::Identity();
  if (with_identities) {
    options.client_identity = in.HexField("client_identity");
    options.server_identity = in.HexField("server_identity");
    EXPECT_EQ(*options.client_identity, ToBytes("alice"));
    EXPECT_EQ(*options.server_identity, ToBytes("bob"));
  }
  const Bytes password = in.HexField("password");
  const Bytes cid = in.HexField("credential_identifier");
  auto keys = InMemoryServerKeys::FromParts(in.HexField("oprf_seed"), in.HexField("server_private_key"));
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(HexEncode((*keys)->public_key()), in.StringField("server_public_key"));

  auto oprf_key = internal::DeriveOprfKey(in.HexField("oprf_seed"), cid);
  ASSERT_TRUE(oprf_key.ok());
  EXPECT_EQ(HexEncode(oprf_key->Reveal()), mid.StringField("oprf_key"));

  // Registration.
  const Bytes blind_reg = in.HexField("blind_registration");
  FixedRng reg_rng(blind_reg);
  auto reg_start = ClientStartRegistration(password, reg_rng);
  ASSERT_TRUE(reg_start.ok());
  EXPECT_EQ(HexEncode(reg_start->request), out.StringField("registration_request"));
  auto response = ServerRegistrationResponse(**keys, cid, reg_start->request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(HexEncode(*response), out.StringField("registration_response"));
  const Bytes envelope_nonce = in.HexField("envelope_nonce");
  FixedRng env_rng(envelope_nonce);
  internal::Trace reg_trace;
  auto reg = internal::ClientFinishRegistration(std::move(reg_start->state), *response, options,
                                                env_rng, &reg_trace);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(HexEncode(reg->record), out.StringField("registration_upload"));
  EXPECT_EQ(HexEncode(reg->export_key.Reveal()), out.StringField("export_key"));
  EXPECT_EQ(HexEncode(reg_trace.randomized_password), mid.StringField("randomized_password"));
  EXPECT_EQ(HexEncode(reg_trace.envelope), mid.StringField("envelope"));
  EXPECT_EQ(HexEncode(reg_trace.masking_key), mid.StringField("masking_key"));
  EXPECT_EQ(HexEncode(reg_trace.auth_key), mid.StringField("auth_key"));
  EXPECT_EQ(HexEncode(reg_trace.client_public_key), mid.StringField("client_public_key"));

  // Login: KE1.
  const Bytes client_rand = Concat({in.HexField("blind_login"), in.HexField("client_nonce"),
                                    in.HexField("client_keyshare_seed")});
  FixedRng client_rng(client_rand);
  auto login = ClientStartLogin(password, client_rng);
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(client_rng.remaining(), 0u);
  EXPECT_EQ(HexEncode(login->ke1), out.StringField("KE1"));

  // KE2.
  const Bytes server_rand = Concat({in.HexField("masking_nonce"), in.HexField("server_nonce"),
                                    in.HexField("server_keyshare_seed")});
  FixedRng server_rng(server_rand);
  internal::Trace server_trace;
  auto ke2 = internal::ServerStartLogin(**keys, options, cid, ByteSpan(reg->record), login->ke1,
                                        server_rng, &server_trace);
  ASSERT_TRUE(ke2.ok()) << ke2.status().ToString();
  EXPECT_EQ(server_rng.remaining(), 0u);
  EXPECT_EQ(HexEncode(ke2->ke2), out.StringField("KE2"));
  EXPECT_EQ(HexEncode(server_trace.handshake_secret), mid.StringField("handshake_secret"));
  EXPECT_EQ(HexEncode(server_trace.server_mac_key), mid.StringField("server_mac_key"));
  EXPECT_EQ(HexEncode(server_trace.client_mac_key), mid.StringField("client_mac_key"));

  // KE3.
  internal::Trace client_trace;
  auto fin = internal::ClientFinishLogin(std::move(login->state), ke2->ke2, options, &client_trace);
  ASSERT_TRUE(fin.ok()) << fin.status().ToString();
  EXPECT_EQ(HexEncode(fin->ke3), out.StringField("KE3"));
  EXPECT_EQ(HexEncode(fin->session_key.Reveal()), out.StringField("session_key"));
  EXPECT_EQ(HexEncode(fin->export_key.Reveal()), HexEncode(reg->export_key.Reveal()));
  EXPECT_EQ(HexEncode(fin->server_public_key), in.StringField("server_public_key"));
  EXPECT_EQ(client_trace.handshake_secret, server_trace.handshake_secret);
  EXPECT_EQ(client_trace.server_mac_key, server_trace.server_mac_key);
  EXPECT_EQ(client_trace.client_mac_key, server_trace.client_mac_key);
  EXPECT_EQ(client_trace.masking_key, reg_trace.masking_key);

  auto session = ServerFinishLogin(std::move(ke2->state), fin->ke3);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(HexEncode(session->Reveal()), out.StringField("session_key"));

  in.ExpectAllFieldsUsed();
  mid.ExpectAllFieldsUsed();
  out.ExpectAllFieldsUsed();
}

TEST(OpaqueVectors, Rfc9807Ristretto255Real) {
  const auto configs = RistrettoConfigs();
  ASSERT_EQ(configs.size(), 3u);
  RunRealVector(configs[0], /*with_identities=*/false);
}

TEST(OpaqueVectors, Rfc9807Ristretto255RealWithIdentities) {
  const auto configs = RistrettoConfigs();
  ASSERT_EQ(configs.size(), 3u);
  RunRealVector(configs[1], /*with_identities=*/true);
}

// Index 6: a fake credential response for an unknown user (RFC 9807 §10.9), built from the fake
// record (client_public_key, masking_key, zero envelope) given as inputs.
TEST(OpaqueVectors, Rfc9807Ristretto255Fake) {
  const auto configs = RistrettoConfigs();
  ASSERT_EQ(configs.size(), 3u);
  VectorCase top(configs[2], "fake vector");
  const Bytes context = CheckConfig(top.Field("config"), /*fake=*/true);
  VectorCase in(top.Field("inputs"), "inputs");
  VectorCase mid(top.Field("intermediates"), "intermediates");
  VectorCase out(top.Field("outputs"), "outputs");
  top.ExpectAllFieldsUsed();
  EXPECT_TRUE(top.Field("intermediates").empty());

  Options options;
  options.context = context;
  options.ksf = KsfConfig::Identity();
  options.client_identity = in.HexField("client_identity");
  options.server_identity = in.HexField("server_identity");
  auto keys = InMemoryServerKeys::FromParts(in.HexField("oprf_seed"), in.HexField("server_private_key"));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(HexEncode((*keys)->public_key()), in.StringField("server_public_key"));
  // The fake record's key pair: the public key is what the server uses.
  auto client_sk = ristretto::Scalar::Deserialize(in.HexField("client_private_key"));
  ASSERT_TRUE(client_sk.ok());
  EXPECT_EQ(HexEncode(ristretto::PublicKeyFor(*client_sk).bytes()), in.StringField("client_public_key"));
  // The client's side of this vector is not run (its KE1 is given); the seed that made its
  // keyshare is checked against the KE1 it produced.
  auto client_eph = oprf::DeriveKeyPair(in.HexField("client_keyshare_seed"),
                                        AsBytes("OPAQUE-DeriveDiffieHellmanKeyPair"));
  ASSERT_TRUE(client_eph.ok());
  const Bytes ke1 = in.HexField("KE1");
  ASSERT_EQ(ke1.size(), kKe1Size);
  EXPECT_EQ(HexEncode(ByteSpan(ke1).subspan(64)), HexEncode(client_eph->public_key.bytes()));

  const Bytes fake_record = Concat({in.HexField("client_public_key"), in.HexField("masking_key"),
                                    Bytes(kEnvelopeSize, 0)});
  const Bytes server_rand = Concat({in.HexField("masking_nonce"), in.HexField("server_nonce"),
                                    in.HexField("server_keyshare_seed")});
  FixedRng rng(server_rand);
  auto ke2 = ServerStartLogin(**keys, options, in.HexField("credential_identifier"),
                              ByteSpan(fake_record), ke1, rng);
  ASSERT_TRUE(ke2.ok()) << ke2.status().ToString();
  EXPECT_EQ(HexEncode(ke2->ke2), out.StringField("KE2"));

  in.ExpectAllFieldsUsed();
  mid.ExpectAllFieldsUsed();
  out.ExpectAllFieldsUsed();
}

}  // namespace
}  // namespace keyward::crypto::opaque

// OPAQUE protocol tests beyond the RFC vectors: rejection of malformed and invalid messages,
// tampering, wrong passwords, unknown users, key handles, and rapidcheck round-trip properties.
#include "crypto/opaque.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "common/bytes.h"
#include "crypto/oprf.h"
#include "support/vectors.h"

namespace keyward::crypto::opaque {
namespace {

using testing::Hex;

Options TestOptions() {
  Options o;
  o.ksf = KsfConfig::Identity();
  return o;
}

// A registered user against fixed server keys; every test gets the same deterministic setup.
struct Fixture {
  DeterministicRng rng{42};
  std::unique_ptr<InMemoryServerKeys> keys = InMemoryServerKeys::Generate(rng);
  Options options = TestOptions();
  Bytes cid = ToBytes("user@example.com");
  Bytes password = ToBytes("correct horse");
  Bytes record;

  Fixture() {
    auto start = ClientStartRegistration(password, rng);
    KW_CHECK(start.ok());
    auto response = ServerRegistrationResponse(*keys, cid, start->request);
    KW_CHECK(response.ok());
    auto fin = ClientFinishRegistration(std::move(start->state), *response, options, rng);
    KW_CHECK(fin.ok());
    record = fin->record;
  }
};

// Encodings that must never be accepted as a group element.
std::vector<Bytes> BadElements() {
  Bytes high_bit = Hex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76");
  high_bit[31] |= 0x80;
  return {
      Bytes(32, 0),  // identity
      Hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  // p (>= p)
      Hex("0100000000000000000000000000000000000000000000000000000000000000"),  // negative
      high_bit,  // bit 255 set: libsodium 1.0.18 ignores it, RFC 9496 rejects it
  };
}

Bytes WithElementAt(ByteSpan msg, size_t offset, ByteSpan element) {
  Bytes out(msg.begin(), msg.end());
  std::copy(element.begin(), element.end(), out.begin() + static_cast<ptrdiff_t>(offset));
  return out;
}

TEST(OpaqueMessages, EveryElementFieldRejectsIdentityAndNonCanonical) {
  Fixture f;
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  auto ke2 = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  Bytes reg_response = Concat({ByteSpan(start->ke1).first(32), f.keys->public_key()});
  ASSERT_TRUE(Ke1::Parse(start->ke1).ok());
  ASSERT_TRUE(Ke2::Parse(ke2->ke2).ok());
  ASSERT_TRUE(RegistrationRecord::Parse(f.record).ok());
  ASSERT_TRUE(RegistrationResponse::Parse(reg_response).ok());
  for (const Bytes& bad : BadElements()) {
    SCOPED_TRACE(HexEncode(bad));
    EXPECT_FALSE(RegistrationRequest::Parse(bad).ok());
    EXPECT_FALSE(RegistrationResponse::Parse(WithElementAt(reg_response, 0, bad)).ok());
    EXPECT_FALSE(RegistrationResponse::Parse(WithElementAt(reg_response, 32, bad)).ok());
    EXPECT_FALSE(RegistrationRecord::Parse(WithElementAt(f.record, 0, bad)).ok());
    EXPECT_FALSE(Ke1::Parse(WithElementAt(start->ke1, 0, bad)).ok());
    EXPECT_FALSE(Ke1::Parse(WithElementAt(start->ke1, 64, bad)).ok());
    EXPECT_FALSE(Ke2::Parse(WithElementAt(ke2->ke2, 0, bad)).ok());
    EXPECT_FALSE(Ke2::Parse(WithElementAt(ke2->ke2, 224, bad)).ok());
    // And the protocol entry points that take raw bytes.
    EXPECT_FALSE(ServerRegistrationResponse(*f.keys, f.cid, bad).ok());
    EXPECT_FALSE(ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record),
                                  WithElementAt(start->ke1, 0, bad), f.rng).ok());
    EXPECT_FALSE(ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record),
                                  WithElementAt(start->ke1, 64, bad), f.rng).ok());
    const Bytes bad_record = WithElementAt(f.record, 0, bad);
    EXPECT_FALSE(ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(bad_record), start->ke1,
                                  f.rng).ok());
  }
}

TEST(OpaqueMessages, WrongLengthsAndTrailingBytesRejected) {
  Fixture f;
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  auto ke2 = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  auto check = [](ByteSpan good, auto parse) {
    Bytes longer(good.begin(), good.end());
    longer.push_back(0);
    EXPECT_FALSE(parse(longer).ok());
    EXPECT_FALSE(parse(good.first(good.size() - 1)).ok());
    EXPECT_FALSE(parse(ByteSpan()).ok());
    EXPECT_TRUE(parse(good).ok());
  };
  check(ByteSpan(start->ke1).first(32), [](ByteSpan b) { return RegistrationRequest::Parse(b); });
  Bytes reg_response = Concat({ByteSpan(start->ke1).first(32), f.keys->public_key()});
  check(reg_response, [](ByteSpan b) { return RegistrationResponse::Parse(b); });
  check(f.record, [](ByteSpan b) { return RegistrationRecord::Parse(b); });
  check(start->ke1, [](ByteSpan b) { return Ke1::Parse(b); });
  check(ke2->ke2, [](ByteSpan b) { return Ke2::Parse(b); });
  check(Bytes(64, 7), [](ByteSpan b) { return Ke3::Parse(b); });
  // Entry points.
  Bytes long_ke1 = start->ke1;
  long_ke1.push_back(0);
  EXPECT_FALSE(ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), long_ke1, f.rng).ok());
  Bytes long_record = f.record;
  long_record.push_back(0);
  EXPECT_FALSE(ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(long_record), start->ke1, f.rng).ok());
  Bytes long_ke2 = ke2->ke2;
  long_ke2.push_back(0);
  EXPECT_FALSE(ClientFinishLogin(std::move(start->state), long_ke2, f.options).ok());
}

TEST(Opaque, LoginSucceedsAndKeysAgree) {
  Fixture f;
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->ke1.size(), kKe1Size);
  auto ke2 = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  EXPECT_EQ(ke2->ke2.size(), kKe2Size);
  auto fin = ClientFinishLogin(std::move(start->state), ke2->ke2, f.options);
  ASSERT_TRUE(fin.ok()) << fin.status().ToString();
  EXPECT_EQ(fin->ke3.size(), kKe3Size);
  EXPECT_EQ(fin->server_public_key, f.keys->public_key());
  auto session = ServerFinishLogin(std::move(ke2->state), fin->ke3);
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(session->Equals(fin->session_key));
}

TEST(Opaque, EveryFlippedBitInKe2FailsUniformly) {
  Fixture f;
  for (size_t byte = 0; byte < kKe2Size; ++byte) {
    auto start = ClientStartLogin(f.password, f.rng);
    ASSERT_TRUE(start.ok());
    auto ke2 = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
    ASSERT_TRUE(ke2.ok());
    Bytes tampered = ke2->ke2;
    tampered[byte] ^= static_cast<uint8_t>(1u << (byte % 8));
    auto fin = ClientFinishLogin(std::move(start->state), tampered, f.options);
    ASSERT_FALSE(fin.ok()) << "byte " << byte;
    EXPECT_EQ(fin.status().code(), ErrorCode::kAuthenticationFailed) << "byte " << byte;
    EXPECT_EQ(fin.status().message(), "OPAQUE login failed") << "byte " << byte;
  }
}

TEST(Opaque, EveryFlippedBitInKe3FailsUniformly) {
  Fixture f;
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  auto ke2 = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  auto fin = ClientFinishLogin(std::move(start->state), ke2->ke2, f.options);
  ASSERT_TRUE(fin.ok());
  const SecretBytes exported = ke2->state.Export();
  for (size_t bit = 0; bit < kKe3Size * 8; ++bit) {
    auto state = ServerLoginState::Import(exported.Reveal());
    ASSERT_TRUE(state.ok());
    Bytes tampered = fin->ke3;
    tampered[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    auto session = ServerFinishLogin(std::move(*state), tampered);
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.status().code(), ErrorCode::kAuthenticationFailed);
    EXPECT_EQ(session.status().message(), "OPAQUE login failed");
  }
  // Wrong lengths too.
  for (size_t len : {0, 63, 65}) {
    auto state = ServerLoginState::Import(exported.Reveal());
    ASSERT_TRUE(state.ok());
    EXPECT_FALSE(ServerFinishLogin(std::move(*state), Bytes(len, 0)).ok());
  }
  // The untampered KE3 still works against the exported state (Export/Import round trip).
  auto state = ServerLoginState::Import(exported.Reveal());
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(ServerFinishLogin(std::move(*state), fin->ke3).ok());
  EXPECT_FALSE(ServerLoginState::Import(Bytes(127, 0)).ok());
}

TEST(Opaque, WrongPasswordFailsUniformly) {
  Fixture f;
  auto start = ClientStartLogin(ToBytes("correct horsf"), f.rng);
  ASSERT_TRUE(start.ok());
  auto ke2 = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  auto fin = ClientFinishLogin(std::move(start->state), ke2->ke2, f.options);
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.status().message(), "OPAQUE login failed");
}

TEST(Opaque, MismatchedContextOrIdentityFails) {
  Fixture f;
  Options server_options = f.options;
  server_options.context = ToBytes("other-context");
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  auto ke2 = ServerStartLogin(*f.keys, server_options, f.cid, ByteSpan(f.record), start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  EXPECT_FALSE(ClientFinishLogin(std::move(start->state), ke2->ke2, f.options).ok());

  Options client_options = f.options;
  client_options.server_identity = ToBytes("evil.example");
  auto start2 = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start2.ok());
  auto ke2b = ServerStartLogin(*f.keys, f.options, f.cid, ByteSpan(f.record), start2->ke1, f.rng);
  ASSERT_TRUE(ke2b.ok());
  EXPECT_FALSE(ClientFinishLogin(std::move(start2->state), ke2b->ke2, client_options).ok());
}

TEST(Opaque, WrongCredentialIdentifierFails) {
  Fixture f;
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  auto ke2 = ServerStartLogin(*f.keys, f.options, ToBytes("someone-else"), ByteSpan(f.record),
                              start->ke1, f.rng);
  ASSERT_TRUE(ke2.ok());
  EXPECT_FALSE(ClientFinishLogin(std::move(start->state), ke2->ke2, f.options).ok());
}

TEST(Opaque, UnknownUserGetsFakeKe2AndClientFailsOnlyAtFinish) {
  Fixture f;
  auto start = ClientStartLogin(f.password, f.rng);
  ASSERT_TRUE(start.ok());
  auto fake = ServerStartLogin(*f.keys, f.options, ToBytes("nobody"), std::nullopt, start->ke1, f.rng);
  ASSERT_TRUE(fake.ok()) << fake.status().ToString();
  EXPECT_EQ(fake->ke2.size(), kKe2Size);
  EXPECT_TRUE(Ke2::Parse(fake->ke2).ok());  // well-formed on the wire
  auto fin = ClientFinishLogin(std::move(start->state), fake->ke2, f.options);
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.status().message(), "OPAQUE login failed");
  // And the server rejects any KE3 for it.
  EXPECT_FALSE(ServerFinishLogin(std::move(fake->state), Bytes(64, 0)).ok());
}

TEST(Opaque, RegistrationWithArgon2idAndLogin) {
  DeterministicRng rng(7);
  auto keys = InMemoryServerKeys::Generate(rng);
  Options options;
  auto ksf = KsfConfig::Argon2id({.memory_kib = 64, .iterations = 1, .parallelism = 2});
  ASSERT_TRUE(ksf.ok());
  options.ksf = *ksf;
  auto start = ClientStartRegistration(ToBytes("pw"), rng);
  ASSERT_TRUE(start.ok());
  auto response = ServerRegistrationResponse(*keys, ToBytes("u"), start->request);
  ASSERT_TRUE(response.ok());
  auto reg = ClientFinishRegistration(std::move(start->state), *response, options, rng);
  ASSERT_TRUE(reg.ok());
  // Logging in with a different KSF fails: both sides of the client must agree.
  Options identity = TestOptions();
  auto login = ClientStartLogin(ToBytes("pw"), rng);
  ASSERT_TRUE(login.ok());
  auto ke2 = ServerStartLogin(*keys, options, ToBytes("u"), ByteSpan(reg->record), login->ke1, rng);
  ASSERT_TRUE(ke2.ok());
  EXPECT_FALSE(ClientFinishLogin(std::move(login->state), ke2->ke2, identity).ok());
  auto login2 = ClientStartLogin(ToBytes("pw"), rng);
  ASSERT_TRUE(login2.ok());
  auto ke2b = ServerStartLogin(*keys, options, ToBytes("u"), ByteSpan(reg->record), login2->ke1, rng);
  ASSERT_TRUE(ke2b.ok());
  auto fin = ClientFinishLogin(std::move(login2->state), ke2b->ke2, options);
  ASSERT_TRUE(fin.ok());
  EXPECT_TRUE(fin->export_key.Equals(reg->export_key));
}

TEST(ServerKeys, ServerSetupMatchesSerenity) {
  const auto t = testing::LoadJson("vectors/serenity-kit-transcripts/serenity-1.1.0-default-ksf.json");
  const Bytes setup = Hex(t.at("serverSetup"));
  auto keys = InMemoryServerKeys::FromServerSetup(setup);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(HexEncode((*keys)->public_key()), t.at("serverPublicKey").get<std::string>());
  EXPECT_EQ(HexEncode((*keys)->ExportServerSetup().Reveal()), HexEncode(setup));
  EXPECT_EQ(HexEncode((*keys)->fake_client_public_key()), HexEncode(ByteSpan(setup).subspan(96)));
  // Serenity's registration response for this user is reproducible from the setup.
  auto response = ServerRegistrationResponse(**keys, Hex(t.at("userIdentifier")),
                                             Hex(t.at("registrationRequest")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(HexEncode(*response), t.at("registrationResponse").get<std::string>());
}

TEST(ServerKeys, RejectsBadParts) {
  EXPECT_FALSE(InMemoryServerKeys::FromParts(Bytes(63, 1), Bytes(32, 1)).ok());
  EXPECT_FALSE(InMemoryServerKeys::FromParts(Bytes(64, 1), Bytes(32, 0)).ok());      // zero key
  EXPECT_FALSE(InMemoryServerKeys::FromParts(Bytes(64, 1), Bytes(32, 0xff)).ok());   // >= L
  EXPECT_FALSE(InMemoryServerKeys::FromServerSetup(Bytes(127, 1)).ok());
  Bytes setup = Concat({Bytes(64, 1), Bytes(1, 5), Bytes(31, 0), Bytes(32, 0)});  // identity fake pk
  EXPECT_FALSE(InMemoryServerKeys::FromServerSetup(setup).ok());
  auto ok = InMemoryServerKeys::FromParts(Bytes(64, 1), Concat({Bytes(1, 5), Bytes(31, 0)}));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ristretto::Element::Deserialize((*ok)->fake_client_public_key()).ok());
}

// ---------------------------------------------------------------- properties

rc::Gen<Bytes> GenBytes(size_t max) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(0, max + 1), [](size_t n) {
    return rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>());
  });
}

RC_GTEST_PROP(OpaqueProperties, RegisterThenLoginRoundTrip, ()) {
  const Bytes password = *GenBytes(64);
  const Bytes cid = *GenBytes(64);
  Options options = TestOptions();
  options.context = *GenBytes(32);
  if (*rc::gen::arbitrary<bool>()) options.client_identity = *GenBytes(32);
  if (*rc::gen::arbitrary<bool>()) options.server_identity = *GenBytes(32);
  DeterministicRng rng(*rc::gen::arbitrary<uint64_t>());
  auto keys = InMemoryServerKeys::Generate(rng);
  auto start = ClientStartRegistration(password, rng);
  RC_ASSERT(start.ok());
  auto response = ServerRegistrationResponse(*keys, cid, start->request);
  RC_ASSERT(response.ok());
  auto reg = ClientFinishRegistration(std::move(start->state), *response, options, rng);
  RC_ASSERT(reg.ok());
  auto login = ClientStartLogin(password, rng);
  RC_ASSERT(login.ok());
  auto ke2 = ServerStartLogin(*keys, options, cid, ByteSpan(reg->record), login->ke1, rng);
  RC_ASSERT(ke2.ok());
  auto fin = ClientFinishLogin(std::move(login->state), ke2->ke2, options);
  RC_ASSERT(fin.ok());
  RC_ASSERT(fin->export_key.Equals(reg->export_key));
  auto session = ServerFinishLogin(std::move(ke2->state), fin->ke3);
  RC_ASSERT(session.ok());
  RC_ASSERT(session->Equals(fin->session_key));
}

RC_GTEST_PROP(OpaqueProperties, WrongPasswordAlwaysFails, ()) {
  const Bytes password = *GenBytes(32);
  const Bytes guess = *GenBytes(32);
  RC_PRE(guess != password);
  Options options = TestOptions();
  DeterministicRng rng(*rc::gen::arbitrary<uint64_t>());
  auto keys = InMemoryServerKeys::Generate(rng);
  auto start = ClientStartRegistration(password, rng);
  RC_ASSERT(start.ok());
  auto response = ServerRegistrationResponse(*keys, ToBytes("u"), start->request);
  RC_ASSERT(response.ok());
  auto reg = ClientFinishRegistration(std::move(start->state), *response, options, rng);
  RC_ASSERT(reg.ok());
  auto login = ClientStartLogin(guess, rng);
  RC_ASSERT(login.ok());
  auto ke2 = ServerStartLogin(*keys, options, ToBytes("u"), ByteSpan(reg->record), login->ke1, rng);
  RC_ASSERT(ke2.ok());
  auto fin = ClientFinishLogin(std::move(login->state), ke2->ke2, options);
  RC_ASSERT(!fin.ok());
  RC_ASSERT(fin.status().code() == ErrorCode::kAuthenticationFailed);
}

Element RandomElement() {
  // Hash-to-group of arbitrary bytes: every value is a valid non-identity element (raw
  // FromUniformBytes maps all-zero input to the identity).
  auto e = oprf::HashToGroup(*rc::gen::container<Bytes>(16, rc::gen::arbitrary<uint8_t>()));
  KW_CHECK(e.ok());
  return *e;
}

template <size_t N>
std::array<uint8_t, N> RandomArray() {
  std::array<uint8_t, N> a;
  for (auto& x : a) x = *rc::gen::arbitrary<uint8_t>();
  return a;
}

RC_GTEST_PROP(OpaqueProperties, ParseSerializeRoundTrip, ()) {
  RegistrationRequest req{RandomElement()};
  RC_ASSERT(*RegistrationRequest::Parse(req.Serialize()) == req);
  RegistrationResponse resp{RandomElement(), RandomElement()};
  RC_ASSERT(*RegistrationResponse::Parse(resp.Serialize()) == resp);
  RegistrationRecord rec{RandomElement(), RandomArray<64>(), {RandomArray<32>(), RandomArray<64>()}};
  RC_ASSERT(*RegistrationRecord::Parse(rec.Serialize()) == rec);
  Ke1 ke1{RandomElement(), RandomArray<32>(), RandomElement()};
  RC_ASSERT(*Ke1::Parse(ke1.Serialize()) == ke1);
  Ke2 ke2{RandomElement(), RandomArray<32>(), RandomArray<128>(), RandomArray<32>(),
          RandomElement(), RandomArray<64>()};
  RC_ASSERT(*Ke2::Parse(ke2.Serialize()) == ke2);
  Ke3 ke3{RandomArray<64>()};
  RC_ASSERT(*Ke3::Parse(ke3.Serialize()) == ke3);
  RC_ASSERT(req.Serialize().size() == kRegistrationRequestSize);
  RC_ASSERT(resp.Serialize().size() == kRegistrationResponseSize);
  RC_ASSERT(rec.Serialize().size() == kRegistrationRecordSize);
  RC_ASSERT(ke1.Serialize().size() == kKe1Size);
  RC_ASSERT(ke2.Serialize().size() == kKe2Size);
  RC_ASSERT(ke3.Serialize().size() == kKe3Size);
}

}  // namespace
}  // namespace keyward::crypto::opaque

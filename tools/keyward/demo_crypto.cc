#include "demo_crypto.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "crypto/opaque.h"
#include "crypto/random.h"

namespace keyward::cli {

namespace {

using Clock = std::chrono::steady_clock;
namespace opaque = crypto::opaque;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string Prefix(ByteSpan b) { return HexEncode(b.first(std::min<size_t>(b.size(), 8))) + "…"; }

void Step(std::string_view who, std::string_view what, ByteSpan bytes, double ms) {
  std::printf("  %-7s %-34s %4zu bytes  %-19s %9.3f ms\n", std::string(who).c_str(),
              std::string(what).c_str(), bytes.size(), Prefix(bytes).c_str(), ms);
}

int Fail(const char* what, const Status& s) {
  std::printf("  UNEXPECTED: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

// One login attempt; returns the client's result status (and prints each message).
Status Login(const opaque::ServerKeys& keys, const opaque::Options& options, ByteSpan user,
             std::optional<ByteSpan> record, std::string_view password, crypto::Rng& rng) {
  auto t = Clock::now();
  auto start = opaque::ClientStartLogin(AsBytes(password), rng);
  if (!start.ok()) return start.status();
  Step("client", "KE1 (blind, nonce, keyshare)", start->ke1, MsSince(t));
  t = Clock::now();
  auto ke2 = opaque::ServerStartLogin(keys, options, user, record, start->ke1, rng);
  if (!ke2.ok()) return ke2.status();
  Step("server", record ? "KE2" : "KE2 (fake record, §10.9)", ke2->ke2, MsSince(t));
  t = Clock::now();
  auto fin = opaque::ClientFinishLogin(std::move(start->state), ke2->ke2, options);
  if (!fin.ok()) {
    std::printf("  client  finish (Argon2id + checks)        -> %s  %9.3f ms\n",
                fin.status().ToString().c_str(), MsSince(t));
    return fin.status();
  }
  Step("client", "KE3 (Argon2id + 3DH + MACs)", fin->ke3, MsSince(t));
  t = Clock::now();
  auto session = opaque::ServerFinishLogin(std::move(ke2->state), fin->ke3);
  if (!session.ok()) return session.status();
  Step("server", "session key (KE3 verified)", session->Reveal(), MsSince(t));
  Step("client", "session key", fin->session_key.Reveal(), 0);
  Step("client", "export key", fin->export_key.Reveal(), 0);
  if (!session->Equals(fin->session_key)) return Internal("session keys differ");
  std::printf("  session keys match; server key %s\n", Prefix(fin->server_public_key).c_str());
  return Status::Ok();
}

}  // namespace

int RunCryptoDemo(const CryptoDemoOptions& demo) {
  crypto::SystemRng rng;
  const opaque::Options options;  // empty context, default identities, Argon2id m=64MiB t=3 p=4
  const ByteSpan user = AsBytes(demo.user);
  std::printf("Keyward crypto core: OPAQUE-3DH (RFC 9807), ristretto255-SHA512, KSF %s\n",
              options.ksf.ToString().c_str());
  std::printf("user %s, credential_identifier = UTF-8 of the user id\n\n", demo.user.c_str());

  auto t = Clock::now();
  auto keys = opaque::InMemoryServerKeys::Generate(rng);
  std::printf("[setup] server keys generated (OPRF seed + static key, behind a ServerKeys handle)\n");
  Step("server", "public key", keys->public_key(), MsSince(t));

  std::printf("\n[registration]\n");
  t = Clock::now();
  auto reg = opaque::ClientStartRegistration(AsBytes(demo.password), rng);
  if (!reg.ok()) return Fail("registration start", reg.status());
  Step("client", "RegistrationRequest", reg->request, MsSince(t));
  t = Clock::now();
  auto response = opaque::ServerRegistrationResponse(*keys, user, reg->request);
  if (!response.ok()) return Fail("registration response", response.status());
  Step("server", "RegistrationResponse", *response, MsSince(t));
  t = Clock::now();
  auto fin = opaque::ClientFinishRegistration(std::move(reg->state), *response, options, rng);
  if (!fin.ok()) return Fail("registration finish", fin.status());
  Step("client", "RegistrationRecord (Argon2id)", fin->record, MsSince(t));
  Step("client", "export key", fin->export_key.Reveal(), 0);
  const Bytes record = fin->record;

  std::printf("\n[login with the right password]\n");
  Status ok = Login(*keys, options, user, ByteSpan(record), demo.password, rng);
  if (!ok.ok()) return Fail("login", ok);

  std::printf("\n[login with a wrong password]\n");
  Status wrong = Login(*keys, options, user, ByteSpan(record), demo.password + "!", rng);
  if (wrong.ok() || wrong.code() != ErrorCode::kAuthenticationFailed) {
    return Fail("wrong password was not rejected", wrong);
  }
  std::printf("  rejected, as it must be (the server never learns why)\n");

  std::printf("\n[login for an unknown user]\n");
  Status unknown = Login(*keys, options, AsBytes("mallory@example.com"), std::nullopt,
                         demo.password, rng);
  if (unknown.ok()) return Fail("unknown user was not rejected", unknown);
  std::printf("  rejected only at the client's finish: the fake KE2 looks like a real one\n");
  std::printf("\ncrypto demo OK\n");
  return 0;
}

}  // namespace keyward::cli

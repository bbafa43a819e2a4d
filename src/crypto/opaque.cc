#include "crypto/opaque.h"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "crypto/hash.h"
#include "crypto/opaque_internal.h"
#include "crypto/oprf.h"

namespace keyward::crypto::opaque {

using ristretto::Element;
using ristretto::ElementBytes;
using ristretto::Scalar;

struct ClientAccess {
  static ClientRegistrationState MakeRegistration(SecretBytes pw, const Scalar& blind) {
    return ClientRegistrationState(std::move(pw), blind);
  }
  static ClientLoginState MakeLogin(SecretBytes pw, const Scalar& blind, const Scalar& secret,
                                    Bytes ke1) {
    return ClientLoginState(std::move(pw), blind, secret, std::move(ke1));
  }
  static const SecretBytes& Password(const ClientRegistrationState& s) { return s.password_; }
  static const Scalar& Blind(const ClientRegistrationState& s) { return s.blind_; }
  static const SecretBytes& Password(const ClientLoginState& s) { return s.password_; }
  static const Scalar& Blind(const ClientLoginState& s) { return s.blind_; }
  static const Scalar& Secret(const ClientLoginState& s) { return s.client_secret_; }
  static const Bytes& Ke1(const ClientLoginState& s) { return s.ke1_; }
};

struct ServerAccess {
  static ServerLoginState Make(SecretBytes data) { return ServerLoginState(std::move(data)); }
  static const SecretBytes& Data(const ServerLoginState& s) { return s.data_; }
};

namespace {

using namespace std::string_view_literals;

constexpr auto kDhLabel = "OPAQUE-DeriveDiffieHellmanKeyPair"sv;
constexpr size_t kMaxField = 0xffff;  // I2OSP(len, 2) bounds every identity and the context

ByteSpan Span(std::string_view s) { return AsBytes(s); }

Status Uniform() { return AuthenticationFailed("OPAQUE login failed"); }

// A fixed-size secret on the stack, wiped when it goes out of scope.
template <size_t N>
struct Wiped {
  std::array<uint8_t, N> b{};
  ~Wiped() { sodium_memzero(b.data(), N); }
  uint8_t* data() { return b.data(); }
  operator std::span<uint8_t, N>() { return b; }            // NOLINT
  operator std::span<uint8_t>() { return b; }               // NOLINT
  operator std::span<const uint8_t>() const { return b; }   // NOLINT
};

// HKDF-Expand with the info given in parts, assembled on the stack (every OPAQUE info string is
// short; the one variable-length case, the credential identifier, is handled by the caller).
void Expand(ByteSpan prk, std::initializer_list<ByteSpan> info_parts, std::span<uint8_t> out) {
  uint8_t info[256];
  size_t n = 0;
  for (auto p : info_parts) {
    KW_CHECK(n + p.size() <= sizeof info);
    std::copy(p.begin(), p.end(), info + n);
    n += p.size();
  }
  HkdfSha512Expand(prk, ByteSpan(info, n), out);
}

// RFC 9807 §6.4.1 Expand-Label(Secret, Label, Context, Length) =
//   Expand(Secret, I2OSP(Length, 2) || I2OSP(len("OPAQUE-" || Label), 1) || "OPAQUE-" || Label ||
//          I2OSP(len(Context), 1) || Context, Length)
// and Derive-Secret(Secret, Label, TranscriptHash) = Expand-Label(Secret, Label, TranscriptHash, Nx).
void DeriveSecret(ByteSpan secret, std::string_view label, ByteSpan context,
                  std::span<uint8_t, 64> out) {
  const uint8_t header[3] = {0, 64, static_cast<uint8_t>(7 + label.size())};
  const uint8_t ctx_len = static_cast<uint8_t>(context.size());
  Expand(secret, {header, Span("OPAQUE-"), Span(label), {&ctx_len, 1}, context}, out);
}

// The OPAQUE-3DH key schedule (RFC 9807 §6.4.1): from ikm = dh1 || dh2 || dh3 and H(preamble),
// the handshake secret, session key and both MAC keys.
struct KeySchedule {
  Wiped<64> handshake_secret, session_key, km2, km3;
  KeySchedule(ByteSpan ikm, const Sha512Digest& preamble_hash) {
    SecretBytes prk = HkdfSha512Extract({}, ikm);
    DeriveSecret(prk.Reveal(), "HandshakeSecret", preamble_hash, handshake_secret);
    DeriveSecret(prk.Reveal(), "SessionKey", preamble_hash, session_key);
    DeriveSecret(handshake_secret.b, "ServerMAC", {}, km2);
    DeriveSecret(handshake_secret.b, "ClientMAC", {}, km3);
  }
};

void U16(uint16_t v, uint8_t out[2]) {
  out[0] = static_cast<uint8_t>(v >> 8);
  out[1] = static_cast<uint8_t>(v);
}

// RFC 9807 §6.4.1 preamble =
//   "OPAQUEv1-" || I2OSP(len(context), 2) || context || I2OSP(len(client_identity), 2) ||
//   client_identity || KE1 || I2OSP(len(server_identity), 2) || server_identity ||
//   KE2.credential_response || KE2.auth_response.server_nonce ||
//   KE2.auth_response.server_public_keyshare
// The last three are exactly the first 256 bytes of the KE2 encoding.
Sha512Hasher Preamble(ByteSpan context, ByteSpan client_identity, ByteSpan ke1,
                      ByteSpan server_identity, ByteSpan ke2_without_mac) {
  uint8_t l1[2], l2[2], l3[2];
  U16(static_cast<uint16_t>(context.size()), l1);
  U16(static_cast<uint16_t>(client_identity.size()), l2);
  U16(static_cast<uint16_t>(server_identity.size()), l3);
  Sha512Hasher h;
  h.Update(Span("OPAQUEv1-")).Update(l1).Update(context).Update(l2).Update(client_identity)
      .Update(ke1).Update(l3).Update(server_identity).Update(ke2_without_mac);
  return h;
}

Status CheckOptions(const Options& o) {
  if (o.context.size() > kMaxField) return InvalidArgument("OPAQUE context longer than 65535 bytes");
  if (o.client_identity && o.client_identity->size() > kMaxField) {
    return InvalidArgument("OPAQUE client identity longer than 65535 bytes");
  }
  if (o.server_identity && o.server_identity->size() > kMaxField) {
    return InvalidArgument("OPAQUE server identity longer than 65535 bytes");
  }
  return Status::Ok();
}

ByteSpan IdentityOr(const std::optional<Bytes>& id, ByteSpan public_key) {
  return id ? ByteSpan(*id) : public_key;
}

// RFC 9807 §4.1.2 auth_tag = MAC(auth_key, envelope_nonce || server_public_key ||
//   I2OSP(len(server_identity), 2) || server_identity ||
//   I2OSP(len(client_identity), 2) || client_identity)     (CleartextCredentials)
Sha512Digest AuthTag(ByteSpan auth_key, ByteSpan nonce, ByteSpan server_pk, ByteSpan server_id,
                     ByteSpan client_id) {
  uint8_t ls[2], lc[2];
  U16(static_cast<uint16_t>(server_id.size()), ls);
  U16(static_cast<uint16_t>(client_id.size()), lc);
  return HmacSha512(auth_key, {nonce, server_pk, ls, server_id, lc, client_id});
}

// Everything the client derives from the randomized password and an envelope nonce
// (RFC 9807 §4.1.2 Store / §4.1.3 Recover).
struct EnvelopeKeys {
  Wiped<64> auth_key, export_key;
  std::optional<oprf::KeyPair> client;  // (client_private_key, client_public_key)
};

Status DeriveEnvelopeKeys(ByteSpan randomized_password, ByteSpan nonce, EnvelopeKeys* k) {
  Expand(randomized_password, {nonce, Span("AuthKey")}, k->auth_key);
  Expand(randomized_password, {nonce, Span("ExportKey")}, k->export_key);
  Wiped<32> seed;
  Expand(randomized_password, {nonce, Span("PrivateKey")}, seed);
  ASSIGN_OR_RETURN(oprf::KeyPair kp, oprf::DeriveKeyPair(seed.b, Span(kDhLabel)));
  k->client = kp;
  return Status::Ok();
}

// oprf_output -> randomized_password = HKDF-Extract("", oprf_output || Stretch(oprf_output))
// (RFC 9807 §5.2.3 / §6.4.3).
StatusOr<SecretBytes> RandomizedPassword(const SecretBytes& password, const Scalar& blind,
                                         const Element& evaluated, const KsfConfig& ksf) {
  auto oprf_output = oprf::Finalize(password.Reveal(), blind, evaluated);
  if (!oprf_output.ok()) return Uniform();
  ASSIGN_OR_RETURN(SecretBytes stretched, ksf.Stretch(oprf_output->Reveal()));
  SecretBytes ikm(oprf_output->size() + stretched.size());
  std::copy(oprf_output->Reveal().begin(), oprf_output->Reveal().end(), ikm.RevealMutable().begin());
  std::copy(stretched.Reveal().begin(), stretched.Reveal().end(),
            ikm.RevealMutable().begin() + static_cast<ptrdiff_t>(oprf_output->size()));
  return HkdfSha512Extract({}, ikm.Reveal());
}

void Put(Bytes* out, ByteSpan b) { out->assign(b.begin(), b.end()); }

}  // namespace

// ------------------------------------------------------------------------- internal

namespace internal {

StatusOr<Scalar> DeriveOprfKey(ByteSpan oprf_seed, ByteSpan credential_identifier) {
  // seed = Expand(oprf_seed, credential_identifier || "OprfKey", Nok) (no length prefix).
  Wiped<32> seed;
  constexpr auto kLabel = "OprfKey"sv;
  if (credential_identifier.size() + kLabel.size() <= 256) {
    Expand(oprf_seed, {credential_identifier, Span(kLabel)}, seed);
  } else {
    Bytes info = Concat({credential_identifier, Span(kLabel)});
    HkdfSha512Expand(oprf_seed, info, std::span<uint8_t>(seed.b));
  }
  return oprf::DerivePrivateKey(seed.b, Span("OPAQUE-DeriveKeyPair"));
}

StatusOr<ClientRegistrationFinishResult> ClientFinishRegistration(ClientRegistrationState state,
                                                                  ByteSpan response,
                                                                  const Options& options, Rng& rng,
                                                                  Trace* trace) {
  RETURN_IF_ERROR(CheckOptions(options));
  auto parsed = RegistrationResponse::Parse(response);
  if (!parsed.ok()) return parsed.status().WithContext("OPAQUE registration");
  ASSIGN_OR_RETURN(SecretBytes rp,
                   RandomizedPassword(ClientAccess::Password(state), ClientAccess::Blind(state),
                                      parsed->evaluated_message, options.ksf));
  // RFC 9807 §4.1.2 Store.
  Nonce nonce = rng.Array<kNonceSize>();
  EnvelopeKeys keys;
  RETURN_IF_ERROR(DeriveEnvelopeKeys(rp.Reveal(), nonce, &keys));
  Wiped<64> masking_key;
  Expand(rp.Reveal(), {Span("MaskingKey")}, masking_key);
  const ElementBytes& server_pk = parsed->server_public_key.bytes();
  const ElementBytes& client_pk = keys.client->public_key.bytes();
  Sha512Digest tag = AuthTag(keys.auth_key.b, nonce, server_pk,
                             IdentityOr(options.server_identity, server_pk),
                             IdentityOr(options.client_identity, client_pk));
  RegistrationRecord record{keys.client->public_key, masking_key.b, Envelope{nonce, tag}};
  if (trace != nullptr) {
    Put(&trace->randomized_password, rp.Reveal());
    trace->envelope = Concat({nonce, tag});
    Put(&trace->masking_key, masking_key.b);
    Put(&trace->auth_key, keys.auth_key.b);
    Put(&trace->client_public_key, client_pk);
  }
  ClientRegistrationFinishResult result{record.Serialize(), SecretBytes(keys.export_key.b), server_pk};
  sodium_memzero(record.masking_key.data(), record.masking_key.size());
  return result;
}

StatusOr<ClientLoginFinishResult> ClientFinishLogin(ClientLoginState state, ByteSpan ke2_bytes,
                                                    const Options& options, Trace* trace) {
  RETURN_IF_ERROR(CheckOptions(options));
  auto ke2 = Ke2::Parse(ke2_bytes);
  if (!ke2.ok()) return Uniform();
  // RFC 9807 §4.2.2 RecoverCredentials.
  ASSIGN_OR_RETURN(SecretBytes rp,
                   RandomizedPassword(ClientAccess::Password(state), ClientAccess::Blind(state),
                                      ke2->evaluated_message, options.ksf));
  Wiped<64> masking_key;
  Expand(rp.Reveal(), {Span("MaskingKey")}, masking_key);
  Wiped<kMaskedResponseSize> pad;
  Expand(masking_key.b, {ke2->masking_nonce, Span("CredentialResponsePad")}, pad);
  for (size_t i = 0; i < kMaskedResponseSize; ++i) pad.b[i] ^= ke2->masked_response[i];
  // pad now holds server_public_key || envelope_nonce || auth_tag.
  auto server_pk = Element::Deserialize(ByteSpan(pad.b).first(kPublicKeySize));
  if (!server_pk.ok()) return Uniform();
  ByteSpan nonce = ByteSpan(pad.b).subspan(kPublicKeySize, kNonceSize);
  ByteSpan tag = ByteSpan(pad.b).subspan(kPublicKeySize + kNonceSize, kMacSize);
  // RFC 9807 §4.1.3 Recover.
  EnvelopeKeys keys;
  if (!DeriveEnvelopeKeys(rp.Reveal(), nonce, &keys).ok()) return Uniform();
  const ElementBytes& client_pk = keys.client->public_key.bytes();
  ByteSpan client_id = IdentityOr(options.client_identity, client_pk);
  ByteSpan server_id = IdentityOr(options.server_identity, server_pk->bytes());
  Sha512Digest expected_tag = AuthTag(keys.auth_key.b, nonce, server_pk->bytes(), server_id, client_id);
  const bool envelope_ok = SecretBytes::ConstantTimeEquals(expected_tag, tag);
  // RFC 9807 §6.4.3 AuthClientFinalize: dh1 = eph_c·eph_S, dh2 = eph_c·pk_S, dh3 = sk_C·eph_S.
  Wiped<96> ikm;
  const Scalar& eph = ClientAccess::Secret(state);
  auto dh1 = ke2->server_public_keyshare.Multiply(eph);
  auto dh2 = server_pk->Multiply(eph);
  auto dh3 = ke2->server_public_keyshare.Multiply(keys.client->private_key);
  if (!envelope_ok || !dh1.ok() || !dh2.ok() || !dh3.ok()) return Uniform();
  std::copy(dh1->bytes().begin(), dh1->bytes().end(), ikm.b.begin());
  std::copy(dh2->bytes().begin(), dh2->bytes().end(), ikm.b.begin() + 32);
  std::copy(dh3->bytes().begin(), dh3->bytes().end(), ikm.b.begin() + 64);
  Sha512Hasher preamble = Preamble(options.context, client_id, ClientAccess::Ke1(state), server_id,
                                   ke2_bytes.first(kKe2Size - kMacSize));
  Sha512Hasher with_mac = preamble;
  const Sha512Digest preamble_hash = preamble.Final();
  KeySchedule ks(ikm.b, preamble_hash);
  Sha512Digest expected_server_mac = HmacSha512(ks.km2.b, {preamble_hash});
  if (trace != nullptr) {
    Put(&trace->randomized_password, rp.Reveal());
    Put(&trace->masking_key, masking_key.b);
    Put(&trace->auth_key, keys.auth_key.b);
    Put(&trace->client_public_key, client_pk);
    Put(&trace->handshake_secret, ks.handshake_secret.b);
    Put(&trace->server_mac_key, ks.km2.b);
    Put(&trace->client_mac_key, ks.km3.b);
  }
  if (!SecretBytes::ConstantTimeEquals(expected_server_mac, ke2->server_mac)) return Uniform();
  Sha512Digest client_mac = HmacSha512(ks.km3.b, {with_mac.Update(expected_server_mac).Final()});
  return ClientLoginFinishResult{Bytes(client_mac.begin(), client_mac.end()),
                                 SecretBytes(ks.session_key.b), SecretBytes(keys.export_key.b),
                                 server_pk->bytes()};
}

StatusOr<ServerLoginStartResult> ServerStartLogin(const ServerKeys& keys, const Options& options,
                                                  ByteSpan credential_identifier,
                                                  std::optional<ByteSpan> record, ByteSpan ke1,
                                                  Rng& rng, Trace* trace) {
  RETURN_IF_ERROR(CheckOptions(options));
  // RFC 9807 §10.9: an unknown user gets a fake record (fake client key, random masking key, zero
  // envelope) that flows through exactly the same code below.
  Wiped<kRegistrationRecordSize> fake;
  if (!record) {
    std::copy(keys.fake_client_public_key().begin(), keys.fake_client_public_key().end(), fake.b.begin());
    rng.Fill(std::span<uint8_t>(fake.b).subspan(kPublicKeySize, kHashSize));
    record = ByteSpan(fake.b);
  }
  if (ke1.size() != kKe1Size || record->size() != kRegistrationRecordSize) return Uniform();
  ByteSpan blinded = ke1.first(32);
  ByteSpan client_keyshare = ke1.subspan(64, 32);
  ByteSpan client_pk = record->first(kPublicKeySize);
  ByteSpan masking_key = record->subspan(kPublicKeySize, kHashSize);
  ByteSpan envelope = record->subspan(kPublicKeySize + kHashSize, kEnvelopeSize);
  // Elements are decoded (and non-canonical encodings rejected) inside libsodium's scalar
  // multiplications; the prechecks add what libsodium 1.0.18 misses (identity, bit 255).
  if (!ristretto::PassesEncodingPrechecks(client_keyshare.first<32>()) ||
      !ristretto::PassesEncodingPrechecks(client_pk.first<32>())) {
    return Uniform();
  }

  // KE2 is assembled in place: evaluated(32) || masking_nonce(32) || masked_response(128) ||
  // server_nonce(32) || server_keyshare(32) || server_mac(64).
  Bytes ke2(kKe2Size);
  std::span<uint8_t> out(ke2);
  // RFC 9807 §5.2.2 / §6.3.2.2 CreateCredentialResponse.
  if (!keys.EvaluateOprf(credential_identifier, blinded, out.first<32>()).ok()) return Uniform();
  std::span<uint8_t> masking_nonce = out.subspan(32, 32);
  rng.Fill(masking_nonce);
  std::span<uint8_t> masked = out.subspan(64, kMaskedResponseSize);
  Expand(masking_key, {masking_nonce, Span("CredentialResponsePad")}, masked);
  const ElementBytes& server_pk = keys.public_key();
  for (size_t i = 0; i < kPublicKeySize; ++i) masked[i] ^= server_pk[i];
  for (size_t i = 0; i < kEnvelopeSize; ++i) masked[kPublicKeySize + i] ^= envelope[i];
  // RFC 9807 §6.4.2 AuthServerRespond.
  rng.Fill(out.subspan(192, 32));  // server_nonce
  Wiped<32> keyshare_seed;
  rng.Fill(keyshare_seed.b);
  auto eph = oprf::DeriveKeyPair(keyshare_seed.b, Span(kDhLabel));
  if (!eph.ok()) return Uniform();
  std::copy(eph->public_key.bytes().begin(), eph->public_key.bytes().end(), out.begin() + 224);
  // dh1 = eph_s·eph_C, dh2 = sk_S·eph_C, dh3 = eph_s·pk_C.
  Wiped<96> ikm;
  const uint8_t* eph_sk = eph->private_key.Reveal().data();
  // All three products are computed before branching, so a bad key share or record costs the same.
  int dh_rc = crypto_scalarmult_ristretto255(ikm.data(), eph_sk, client_keyshare.data());
  dh_rc |= keys.StaticDh(client_keyshare, std::span<uint8_t, 32>(ikm.data() + 32, 32)).ok() ? 0 : -1;
  dh_rc |= crypto_scalarmult_ristretto255(ikm.data() + 64, eph_sk, client_pk.data());
  if (dh_rc != 0) return Uniform();
  ByteSpan client_id = IdentityOr(options.client_identity, client_pk);
  ByteSpan server_id = IdentityOr(options.server_identity, server_pk);
  Sha512Hasher preamble = Preamble(options.context, client_id, ke1, server_id,
                                   ByteSpan(ke2).first(kKe2Size - kMacSize));
  Sha512Hasher with_mac = preamble;
  const Sha512Digest preamble_hash = preamble.Final();
  KeySchedule ks(ikm.b, preamble_hash);
  Sha512Digest server_mac = HmacSha512(ks.km2.b, {preamble_hash});
  std::copy(server_mac.begin(), server_mac.end(), out.begin() + 256);
  Sha512Digest expected_client_mac = HmacSha512(ks.km3.b, {with_mac.Update(server_mac).Final()});
  SecretBytes state(kMacSize + kSessionKeySize);
  std::copy(expected_client_mac.begin(), expected_client_mac.end(), state.RevealMutable().begin());
  std::copy(ks.session_key.b.begin(), ks.session_key.b.end(), state.RevealMutable().begin() + kMacSize);
  sodium_memzero(expected_client_mac.data(), expected_client_mac.size());
  if (trace != nullptr) {
    Put(&trace->handshake_secret, ks.handshake_secret.b);
    Put(&trace->server_mac_key, ks.km2.b);
    Put(&trace->client_mac_key, ks.km3.b);
  }
  return ServerLoginStartResult{std::move(ke2), ServerAccess::Make(std::move(state))};
}

StatusOr<ClientLoginState> MakeClientLoginState(ByteSpan password, ByteSpan blind,
                                                ByteSpan client_secret, ByteSpan ke1) {
  ASSIGN_OR_RETURN(Scalar b, Scalar::Deserialize(blind));
  ASSIGN_OR_RETURN(Scalar sk, Scalar::Deserialize(client_secret));
  if (b.IsZero() || sk.IsZero()) return InvalidArgument("blind and client secret must be non-zero");
  RETURN_IF_ERROR(Ke1::Parse(ke1).status());
  return ClientAccess::MakeLogin(SecretBytes(password), b, sk, Bytes(ke1.begin(), ke1.end()));
}

}  // namespace internal

// ------------------------------------------------------------------------- public API

StatusOr<ClientRegistrationStartResult> ClientStartRegistration(ByteSpan password, Rng& rng) {
  // RFC 9807 §5.2.1 CreateRegistrationRequest: (blind, blinded_element) = Blind(password).
  ASSIGN_OR_RETURN(oprf::BlindResult b, oprf::Blind(password, rng));
  const auto& e = b.blinded_element.bytes();
  return ClientRegistrationStartResult{Bytes(e.begin(), e.end()),
                                       ClientAccess::MakeRegistration(SecretBytes(password), b.blind)};
}

StatusOr<ClientRegistrationFinishResult> ClientFinishRegistration(ClientRegistrationState state,
                                                                  ByteSpan response,
                                                                  const Options& options, Rng& rng) {
  return internal::ClientFinishRegistration(std::move(state), response, options, rng, nullptr);
}

StatusOr<ClientLoginStartResult> ClientStartLogin(ByteSpan password, Rng& rng) {
  // RFC 9807 §6.4.1 GenerateKE1 / §6.3.2.1 CreateCredentialRequest and AuthClientStart.
  ASSIGN_OR_RETURN(oprf::BlindResult b, oprf::Blind(password, rng));
  Nonce client_nonce = rng.Array<kNonceSize>();
  Wiped<32> seed;
  rng.Fill(seed.b);
  ASSIGN_OR_RETURN(oprf::KeyPair eph, oprf::DeriveKeyPair(seed.b, Span(kDhLabel)));
  Ke1 ke1{b.blinded_element, client_nonce, eph.public_key};
  Bytes wire = ke1.Serialize();
  return ClientLoginStartResult{
      wire, ClientAccess::MakeLogin(SecretBytes(password), b.blind, eph.private_key, wire)};
}

StatusOr<ClientLoginFinishResult> ClientFinishLogin(ClientLoginState state, ByteSpan ke2,
                                                    const Options& options) {
  return internal::ClientFinishLogin(std::move(state), ke2, options, nullptr);
}

StatusOr<Bytes> ServerRegistrationResponse(const ServerKeys& keys, ByteSpan credential_identifier,
                                           ByteSpan request) {
  // RFC 9807 §5.2.2 CreateRegistrationResponse; the request is fully validated first so that a
  // bad request gets a descriptive error (registration is not a guessing oracle).
  auto parsed = RegistrationRequest::Parse(request);
  if (!parsed.ok()) return parsed.status().WithContext("OPAQUE registration");
  Bytes out(kRegistrationResponseSize);
  RETURN_IF_ERROR(keys.EvaluateOprf(credential_identifier, request,
                                    std::span<uint8_t, 32>(out.data(), 32)));
  std::copy(keys.public_key().begin(), keys.public_key().end(), out.begin() + 32);
  return out;
}

StatusOr<ServerLoginStartResult> ServerStartLogin(const ServerKeys& keys, const Options& options,
                                                  ByteSpan credential_identifier,
                                                  std::optional<ByteSpan> record, ByteSpan ke1,
                                                  Rng& rng) {
  return internal::ServerStartLogin(keys, options, credential_identifier, record, ke1, rng, nullptr);
}

StatusOr<SecretBytes> ServerFinishLogin(ServerLoginState state, ByteSpan ke3) {
  // RFC 9807 §6.4.4 ServerFinish: constant-time comparison with the expected client MAC.
  const SecretBytes& data = ServerAccess::Data(state);
  if (data.size() != kMacSize + kSessionKeySize) return Uniform();
  if (!SecretBytes::ConstantTimeEquals(data.Reveal().first(kMacSize), ke3)) return Uniform();
  return SecretBytes(data.Reveal().subspan(kMacSize));
}

SecretBytes ServerLoginState::Export() const { return data_.Clone(); }

StatusOr<ServerLoginState> ServerLoginState::Import(ByteSpan exported) {
  if (exported.size() != kMacSize + kSessionKeySize) {
    return InvalidArgument("OPAQUE server login state must be 128 bytes, got " +
                           std::to_string(exported.size()));
  }
  return ServerLoginState(SecretBytes(exported));
}

}  // namespace keyward::crypto::opaque

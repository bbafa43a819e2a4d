#include "core/login_token.h"

#include <algorithm>

#include "crypto/aead.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::core {
namespace {

Bytes TokenAd(ByteSpan user_id) {
  wire::Writer w(300);
  w.Text("keyward login state v1").U16Prefixed(user_id);
  return w.Take();
}

constexpr size_t kPlaintextSize = 1 + 8 + 8 + kServerLoginStateSize;
static_assert(kLoginStateSize == crypto::kAeadNonceBytes + kPlaintextSize + crypto::kAeadTagBytes);

Status BadToken() {
  return PermissionDenied("login_state is not valid for this user (tampered, from another vault, "
                          "or truncated): start the recovery again");
}

}  // namespace

Bytes SealLoginToken(const crypto::SecretBytes& token_key, ByteSpan user_id, const LoginToken& token,
                     crypto::Rng& rng) {
  KW_CHECK(token.server_state.size() == kServerLoginStateSize);
  crypto::SecretBytes plaintext(kPlaintextSize);
  auto p = plaintext.RevealMutable();
  p[0] = static_cast<uint8_t>(token.kind);
  for (int i = 0; i < 8; ++i) {
    p[1 + i] = static_cast<uint8_t>(token.epoch >> (56 - 8 * i));
    p[9 + i] = static_cast<uint8_t>(token.serial >> (56 - 8 * i));
  }
  std::copy(token.server_state.Reveal().begin(), token.server_state.Reveal().end(), p.begin() + 17);
  const auto nonce = rng.Array<crypto::kAeadNonceBytes>();
  Bytes ct = crypto::AeadSeal(token_key.Reveal(), nonce, TokenAd(user_id), plaintext.Reveal());
  return Concat({nonce, ct});
}

// Grammar (after AEAD open): uint8 kind (1|2); uint64 epoch; uint64 serial;
// uint8 server_login_state[128]; nothing after it.
StatusOr<LoginToken> OpenLoginToken(const crypto::SecretBytes& token_key, ByteSpan user_id,
                                    ByteSpan sealed) {
  if (sealed.size() != kLoginStateSize) return BadToken();
  auto opened = crypto::AeadOpen(token_key.Reveal(), sealed.first(crypto::kAeadNonceBytes),
                                 TokenAd(user_id), sealed.subspan(crypto::kAeadNonceBytes));
  if (!opened.ok()) return BadToken();
  wire::Reader r(opened->Reveal());
  uint8_t kind = 0;
  LoginToken t;
  ByteSpan state;
  if (!r.U8(&kind) || (kind != 1 && kind != 2) || !r.U64(&t.epoch) || !r.U64(&t.serial) ||
      !r.Bytes(kServerLoginStateSize, &state) || !r.Finish()) {
    return BadToken();
  }
  t.kind = static_cast<LoginKind>(kind);
  t.server_state = crypto::SecretBytes(state);
  return t;
}

}  // namespace keyward::core

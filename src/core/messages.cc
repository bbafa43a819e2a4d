#include "core/messages.h"

#include <algorithm>

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::core {

Bytes UploadEnvelope::Serialize() const {
  wire::Writer w(64 + ciphertext.size() + login_state.size() + proof.size());
  w.U8(kUploadEnvelopeVersion).U64(epoch).Bytes(ephemeral_public_key).U8Prefixed(ciphertext);
  if (login_state.empty()) {
    w.U8(0);
  } else {
    w.U8(1).Bytes(login_state).Bytes(proof);
  }
  return w.Take();
}

// Grammar: messages.h UploadEnvelope. The ephemeral key's group validity is checked by the core's
// static DH (uniform error), not here, so the parser stays free of crypto.
StatusOr<UploadEnvelope> UploadEnvelope::Parse(ByteSpan bytes) {
  wire::Reader r(bytes);
  UploadEnvelope e;
  uint8_t version = 0, has_proof = 0;
  ByteSpan ciphertext;
  if (!r.U8(&version) || version != kUploadEnvelopeVersion) {
    return InvalidArgument("encrypted_secret: unsupported upload envelope version (expected 1); "
                           "update the client");
  }
  if (!r.U64(&e.epoch) || !r.Fixed(&e.ephemeral_public_key) || !r.U8Prefixed(&ciphertext) ||
      !r.U8(&has_proof)) {
    return InvalidArgument("encrypted_secret: truncated upload envelope");
  }
  if (ciphertext.size() < kUploadCiphertextMin || ciphertext.size() > kUploadCiphertextMax) {
    return InvalidArgument("encrypted_secret: ciphertext must be 17..144 bytes (a secret of 1..128 "
                           "bytes plus the 16-byte tag)");
  }
  e.ciphertext.assign(ciphertext.begin(), ciphertext.end());
  if (has_proof > 1) return InvalidArgument("encrypted_secret: has_proof must be 0 or 1");
  if (has_proof == 1) {
    ByteSpan login_state;
    if (!r.Bytes(kLoginStateSize, &login_state) || !r.Fixed(&e.proof)) {
      return InvalidArgument("encrypted_secret: truncated re-registration proof");
    }
    e.login_state.assign(login_state.begin(), login_state.end());
  }
  if (!r.Finish()) return InvalidArgument("encrypted_secret: trailing bytes after the envelope");
  return e;
}

}  // namespace keyward::core

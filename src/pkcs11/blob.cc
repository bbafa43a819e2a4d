#include "pkcs11/blob.h"

#include "pkcs11/keystore.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::pkcs11 {

StatusOr<WrappedBlobView> ParseWrappedBlob(ByteSpan blob) {
  wire::Reader r(blob);
  uint8_t version = 0;
  WrappedBlobView view;
  if (!r.U8(&version)) return InvalidArgument("wrapped secret blob is empty; the token object is damaged");
  if (version != kWrappedBlobVersion) {
    return InvalidArgument("wrapped secret blob has version " + std::to_string(version) + ", expected " +
                           std::to_string(kWrappedBlobVersion) + "; was it written by a newer Keyward?");
  }
  if (!r.Bytes(kGcmIvBytes, &view.iv)) return InvalidArgument("wrapped secret blob is truncated in its IV");
  // The ciphertext is the rest (Finish() holds trivially after this).
  if (!r.Bytes(r.remaining(), &view.ciphertext_and_tag) || !r.Finish()) {
    return InvalidArgument("wrapped secret blob could not be read");
  }
  if (view.ciphertext_and_tag.size() < kGcmTagBytes + 1) {
    return InvalidArgument("wrapped secret blob is too short to hold a tag and a secret");
  }
  if (view.ciphertext_and_tag.size() > kMaxSecretBytes + kGcmTagBytes) {
    return InvalidArgument("wrapped secret blob is larger than the " + std::to_string(kMaxSecretBytes) +
                           "-byte secret limit");
  }
  return view;
}

Bytes SerializeWrappedBlob(std::span<const uint8_t, kGcmIvBytes> iv, ByteSpan ciphertext_and_tag) {
  wire::Writer w(1 + iv.size() + ciphertext_and_tag.size());
  w.U8(kWrappedBlobVersion).Bytes(iv).Bytes(ciphertext_and_tag);
  return w.Take();
}

Bytes WrappedBlobAad(std::string_view name) {
  wire::Writer w;
  w.Text("keyward-keystore-v1").U8(0).Text(name);
  return w.Take();
}

StatusOr<crypto::Ed25519PublicKey> ParseEd25519EcPoint(ByteSpan ec_point) {
  wire::Reader r(ec_point);
  crypto::Ed25519PublicKey key;
  if (ec_point.size() == key.size()) {
    if (!r.Fixed(&key) || !r.Finish()) return Internal("unreachable: raw EC point read failed");
    return key;
  }
  uint8_t tag = 0;
  uint8_t length = 0;
  if (!r.U8(&tag) || tag != 0x04 || !r.U8(&length) || length != key.size() || !r.Fixed(&key) ||
      !r.Finish()) {
    return InvalidArgument("CKA_EC_POINT of the Ed25519 key is neither 32 raw bytes nor a DER OCTET "
                           "STRING of 32 bytes (" + std::to_string(ec_point.size()) +
                           " bytes); is the object an Ed25519 key?");
  }
  return key;
}

}  // namespace keyward::pkcs11

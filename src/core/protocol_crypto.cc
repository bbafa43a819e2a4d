#include "core/protocol_crypto.h"

#include "wire/writer.h"

namespace keyward::core {
namespace {

void WriteUserId(wire::Writer& w, ByteSpan user_id) { w.U16Prefixed(user_id); }

}  // namespace

std::array<uint8_t, kActivationCommitmentSize> ActivationCommitment(ByteSpan activation_key) {
  return crypto::Sha256({AsBytes("keyward/activation/v1"), activation_key});
}

Bytes UploadAssociatedData(ByteSpan user_id, ByteSpan registration_record, uint64_t epoch,
                           ByteSpan activation_commitment, uint8_t max_attempts) {
  wire::Writer w(160);
  w.Text("keyward upload v1");
  WriteUserId(w, user_id);
  w.Bytes(crypto::Sha512(registration_record)).U64(epoch).Bytes(activation_commitment);
  w.U8(max_attempts);
  return w.Take();
}

crypto::SecretBytes UploadKeyMaterial(ByteSpan dh, ByteSpan ephemeral_public_key,
                                      ByteSpan fleet_public_key) {
  crypto::SecretBytes ikm(dh.size() + ephemeral_public_key.size() + fleet_public_key.size());
  auto out = ikm.RevealMutable();
  std::copy(dh.begin(), dh.end(), out.begin());
  std::copy(ephemeral_public_key.begin(), ephemeral_public_key.end(), out.begin() + dh.size());
  std::copy(fleet_public_key.begin(), fleet_public_key.end(),
            out.begin() + dh.size() + ephemeral_public_key.size());
  crypto::SecretBytes prk = crypto::HkdfSha512Extract(AsBytes("keyward/upload/v1"), ikm.Reveal());
  return crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("keyward upload key"),
                                  kUploadKeyMaterialSize);
}

SessionKeys DeriveSessionKeys(const crypto::SecretBytes& session_key) {
  crypto::SecretBytes prk =
      crypto::HkdfSha512Extract(AsBytes("keyward/session/v1"), session_key.Reveal());
  return SessionKeys{
      .recovery_key = crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("keyward recovered secret"), 32),
      .delete_key = crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("keyward delete proof"), 64),
      .reregister_key =
          crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("keyward reregister proof"), 64),
  };
}

Bytes RecoveredSecretAssociatedData(ByteSpan user_id) {
  wire::Writer w(300);
  w.Text("keyward recovered secret v1");
  WriteUserId(w, user_id);
  return w.Take();
}

std::array<uint8_t, kProofSize> DeleteProof(const crypto::SecretBytes& delete_key, ByteSpan user_id) {
  wire::Writer w(300);
  w.Text("keyward delete v1");
  WriteUserId(w, user_id);
  return crypto::HmacSha512(delete_key.Reveal(), {w.bytes()});
}

std::array<uint8_t, kProofSize> ReregisterProof(const crypto::SecretBytes& reregister_key,
                                                ByteSpan upload_associated_data,
                                                ByteSpan ephemeral_public_key, ByteSpan ciphertext) {
  return crypto::HmacSha512(reregister_key.Reveal(),
                            {AsBytes("keyward reregister v1"), upload_associated_data,
                             ephemeral_public_key, ciphertext});
}

}  // namespace keyward::core

#include "crypto/opaque_messages.h"

#include <string>

#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::crypto::opaque {

namespace {

// Reads one 32-byte group element and validates it (RFC 9497 §2.1 DeserializeElement: canonical,
// not the identity). `what` names the message field in the error.
Status ReadElement(wire::Reader& r, const char* what, std::optional<Element>* out) {
  std::span<const uint8_t> bytes;
  if (!r.Bytes(ristretto::kElementSize, &bytes)) {
    return InvalidArgument(std::string(what) + ": truncated");
  }
  auto e = Element::Deserialize(bytes);
  if (!e.ok()) return e.status().WithContext(what);
  *out = *e;
  return Status::Ok();
}

Status CheckSize(ByteSpan bytes, size_t want, const char* what) {
  if (bytes.size() != want) {
    return InvalidArgument(std::string(what) + " must be exactly " + std::to_string(want) +
                           " bytes (RFC 9807 ristretto255), got " + std::to_string(bytes.size()));
  }
  return Status::Ok();
}

template <size_t N>
Status ReadFixed(wire::Reader& r, const char* what, std::array<uint8_t, N>* out) {
  if (!r.Fixed(out)) return InvalidArgument(std::string(what) + ": truncated");
  return Status::Ok();
}

Status Finish(const wire::Reader& r, const char* what) {
  if (!r.Finish()) return InvalidArgument(std::string(what) + ": trailing bytes");
  return Status::Ok();
}

}  // namespace

// RFC 9807 §5.1: struct { uint8 blinded_message[Noe]; } RegistrationRequest;
StatusOr<RegistrationRequest> RegistrationRequest::Parse(ByteSpan bytes) {
  RETURN_IF_ERROR(CheckSize(bytes, kRegistrationRequestSize, "RegistrationRequest"));
  wire::Reader r(bytes);
  std::optional<Element> blinded;
  RETURN_IF_ERROR(ReadElement(r, "RegistrationRequest.blinded_message", &blinded));
  RETURN_IF_ERROR(Finish(r, "RegistrationRequest"));
  return RegistrationRequest{*blinded};
}

Bytes RegistrationRequest::Serialize() const {
  return Bytes(blinded_message.bytes().begin(), blinded_message.bytes().end());
}

// RFC 9807 §5.1: struct { uint8 evaluated_message[Noe]; uint8 server_public_key[Npk]; }
StatusOr<RegistrationResponse> RegistrationResponse::Parse(ByteSpan bytes) {
  RETURN_IF_ERROR(CheckSize(bytes, kRegistrationResponseSize, "RegistrationResponse"));
  wire::Reader r(bytes);
  std::optional<Element> evaluated, server_pk;
  RETURN_IF_ERROR(ReadElement(r, "RegistrationResponse.evaluated_message", &evaluated));
  RETURN_IF_ERROR(ReadElement(r, "RegistrationResponse.server_public_key", &server_pk));
  RETURN_IF_ERROR(Finish(r, "RegistrationResponse"));
  return RegistrationResponse{*evaluated, *server_pk};
}

Bytes RegistrationResponse::Serialize() const {
  return wire::Writer(kRegistrationResponseSize)
      .Bytes(evaluated_message.bytes())
      .Bytes(server_public_key.bytes())
      .Take();
}

// RFC 9807 §5.1: struct { uint8 client_public_key[Npk]; uint8 masking_key[Nh];
//   Envelope envelope; } RegistrationRecord;  with (§4.1.1)
//   struct { uint8 envelope_nonce[Nn]; uint8 auth_tag[Nm]; } Envelope;
StatusOr<RegistrationRecord> RegistrationRecord::Parse(ByteSpan bytes) {
  RETURN_IF_ERROR(CheckSize(bytes, kRegistrationRecordSize, "RegistrationRecord"));
  wire::Reader r(bytes);
  std::optional<Element> client_pk;
  RETURN_IF_ERROR(ReadElement(r, "RegistrationRecord.client_public_key", &client_pk));
  RegistrationRecord rec{*client_pk, {}, {}};
  RETURN_IF_ERROR(ReadFixed(r, "RegistrationRecord.masking_key", &rec.masking_key));
  RETURN_IF_ERROR(ReadFixed(r, "RegistrationRecord.envelope.nonce", &rec.envelope.nonce));
  RETURN_IF_ERROR(ReadFixed(r, "RegistrationRecord.envelope.auth_tag", &rec.envelope.auth_tag));
  RETURN_IF_ERROR(Finish(r, "RegistrationRecord"));
  return rec;
}

Bytes RegistrationRecord::Serialize() const {
  return wire::Writer(kRegistrationRecordSize)
      .Bytes(client_public_key.bytes())
      .Bytes(masking_key)
      .Bytes(envelope.nonce)
      .Bytes(envelope.auth_tag)
      .Take();
}

// RFC 9807 §6.1: struct { CredentialRequest credential_request; AuthRequest auth_request; } KE1;
//   CredentialRequest = { uint8 blinded_message[Noe]; }
//   AuthRequest = { uint8 client_nonce[Nn]; uint8 client_public_keyshare[Npk]; }
StatusOr<Ke1> Ke1::Parse(ByteSpan bytes) {
  RETURN_IF_ERROR(CheckSize(bytes, kKe1Size, "KE1"));
  wire::Reader r(bytes);
  std::optional<Element> blinded, keyshare;
  Nonce nonce;
  RETURN_IF_ERROR(ReadElement(r, "KE1.blinded_message", &blinded));
  RETURN_IF_ERROR(ReadFixed(r, "KE1.client_nonce", &nonce));
  RETURN_IF_ERROR(ReadElement(r, "KE1.client_public_keyshare", &keyshare));
  RETURN_IF_ERROR(Finish(r, "KE1"));
  return Ke1{*blinded, nonce, *keyshare};
}

Bytes Ke1::Serialize() const {
  return wire::Writer(kKe1Size)
      .Bytes(blinded_message.bytes())
      .Bytes(client_nonce)
      .Bytes(client_public_keyshare.bytes())
      .Take();
}

// RFC 9807 §6.1: struct { CredentialResponse credential_response; AuthResponse auth_response; } KE2;
//   CredentialResponse = { uint8 evaluated_message[Noe]; uint8 masking_nonce[Nn];
//                          uint8 masked_response[Npk + Nn + Nm]; }
//   AuthResponse = { uint8 server_nonce[Nn]; uint8 server_public_keyshare[Npk];
//                    uint8 server_mac[Nm]; }
StatusOr<Ke2> Ke2::Parse(ByteSpan bytes) {
  RETURN_IF_ERROR(CheckSize(bytes, kKe2Size, "KE2"));
  wire::Reader r(bytes);
  std::optional<Element> evaluated, keyshare;
  RETURN_IF_ERROR(ReadElement(r, "KE2.evaluated_message", &evaluated));
  Nonce masking_nonce, server_nonce;
  std::array<uint8_t, kMaskedResponseSize> masked;
  Mac mac;
  RETURN_IF_ERROR(ReadFixed(r, "KE2.masking_nonce", &masking_nonce));
  RETURN_IF_ERROR(ReadFixed(r, "KE2.masked_response", &masked));
  RETURN_IF_ERROR(ReadFixed(r, "KE2.server_nonce", &server_nonce));
  RETURN_IF_ERROR(ReadElement(r, "KE2.server_public_keyshare", &keyshare));
  RETURN_IF_ERROR(ReadFixed(r, "KE2.server_mac", &mac));
  RETURN_IF_ERROR(Finish(r, "KE2"));
  return Ke2{*evaluated, masking_nonce, masked, server_nonce, *keyshare, mac};
}

Bytes Ke2::Serialize() const {
  return wire::Writer(kKe2Size)
      .Bytes(evaluated_message.bytes())
      .Bytes(masking_nonce)
      .Bytes(masked_response)
      .Bytes(server_nonce)
      .Bytes(server_public_keyshare.bytes())
      .Bytes(server_mac)
      .Take();
}

// RFC 9807 §6.1: struct { uint8 client_mac[Nm]; } KE3;
StatusOr<Ke3> Ke3::Parse(ByteSpan bytes) {
  RETURN_IF_ERROR(CheckSize(bytes, kKe3Size, "KE3"));
  wire::Reader r(bytes);
  Ke3 ke3;
  RETURN_IF_ERROR(ReadFixed(r, "KE3.client_mac", &ke3.client_mac));
  RETURN_IF_ERROR(Finish(r, "KE3"));
  return ke3;
}

Bytes Ke3::Serialize() const { return Bytes(client_mac.begin(), client_mac.end()); }

}  // namespace keyward::crypto::opaque

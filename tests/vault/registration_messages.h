// The raw keyward.v1 registration messages a test sends when it drives the Vault service's unary
// calls itself, built from the client protocol's results (src/client/protocol.h). Shared by
// vault_test (a real dev node) and recover_stream_test (an in-process server). Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "client/protocol.h"
#include "common/bytes.h"
#include "keyward/v1/vault.pb.h"

namespace keyward::testing {

inline v1::RegisterStartRequest RegisterStartMessage(const v1::Account& account,
                                                     const client::RegistrationStart& start) {
  v1::RegisterStartRequest req;
  *req.mutable_account() = account;
  req.set_registration_request(std::string(AsChars(start.registration_request)));
  return req;
}

inline v1::RegisterUploadRequest RegisterUploadMessage(const v1::Account& account,
                                                       const client::RegistrationUpload& reg,
                                                       uint32_t max_attempts) {
  v1::RegisterUploadRequest req;
  *req.mutable_account() = account;
  req.set_registration_record(std::string(AsChars(reg.upload.registration_record)));
  req.set_encrypted_secret(std::string(AsChars(reg.upload.encrypted_secret)));
  req.set_activation_commitment(std::string(AsChars(reg.upload.activation_commitment)));
  req.set_max_attempts(max_attempts);
  return req;
}

inline v1::RegisterActivateRequest RegisterActivateMessage(const v1::Account& account,
                                                           const client::RegistrationUpload& reg) {
  v1::RegisterActivateRequest req;
  *req.mutable_account() = account;
  req.set_activation_key(std::string(AsChars(reg.activation_key.Reveal())));
  return req;
}

}  // namespace keyward::testing

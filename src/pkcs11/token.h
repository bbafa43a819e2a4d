// INTERNAL to src/pkcs11 (and its tests): the RAII wrapper over a PKCS#11 module and one logged-in
// session. Other modules use keystore.h / pkcs11_keystore.h / dev_token.h, which do not expose
// PKCS#11 types.
//
// pkcs11.h is p11-kit's, included with CRYPTOKI_GNU so that it does not #define common words
// (`value`, `count`, `params`...) the way its compatibility mode does; hence the lowercase GNU type
// names (ck_rv_t, struct ck_attribute {type, value, value_len}).
//
// Module: one per (process, library path). PKCS#11 v2.40 §5.4 allows C_Initialize once per
// process, so Load() hands out a shared instance and C_Finalize/dlclose happen when the last user
// drops it. C_Initialize is called with CKF_OS_LOCKING_OK, so the module may be used from any thread.
// Thread-safety: Module is thread-safe. Token: one session; callers hold mu() around every call
// that uses session() (a PKCS#11 session must not be used by two threads at once, §5.6 / §6.7.1).
#pragma once

#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/secret.h"

namespace keyward::pkcs11 {

// "CKR_PIN_INCORRECT", or "CKR_0x..." for codes without a name here.
std::string RvName(ck_rv_t rv);
// The Status for a failed call: an ErrorCode that fits `rv`, and the message
// "<what>: <CKR_NAME>; <what to do>".
Status RvError(ck_rv_t rv, std::string_view what);

class Module {
 public:
  // The loaded, initialised module at `path` (shared with other users in this process).
  static StatusOr<std::shared_ptr<Module>> Load(const std::string& path);
  // The value SOFTHSM2_CONF had when the process's live modules were initialised, if any module
  // is loaded whose value differs from `conf` (dev_token.cc refuses to switch then).
  static std::optional<std::string> LoadedWithOtherSoftHsmConf(const std::string& conf);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  struct ck_function_list* f() const { return functions_; }
  const std::string& path() const { return path_; }

  // The slot holding an initialised token whose label (trailing spaces trimmed) is `label`:
  // kNotFound listing the labels present if there is none, kFailedPrecondition if two match.
  StatusOr<ck_slot_id_t> FindTokenSlot(std::string_view label) const;
  // A slot whose token is not initialised yet (SoftHSM2 always keeps one), if any.
  StatusOr<std::optional<ck_slot_id_t>> FindUninitializedSlot() const;

 private:
  Module(std::string path, void* handle, struct ck_function_list* functions, std::string softhsm_conf)
      : path_(std::move(path)), handle_(handle), functions_(functions), softhsm_conf_(std::move(softhsm_conf)) {}
  StatusOr<std::vector<ck_slot_id_t>> TokenSlots() const;

  std::string path_;
  void* handle_;                        // dlopen handle
  struct ck_function_list* functions_;  // owned by the module
  std::string softhsm_conf_;            // SOFTHSM2_CONF at C_Initialize time
};

// PKCS#11 space-padded fixed-width text field → string without the padding.
std::string TrimPadded(std::span<const unsigned char> field);

class Token {
 public:
  // A read-write session on the token labelled `label`, logged in as CKU_USER with `pin`.
  // PKCS#11 login state is per process and token (§5.6): if this process is already logged in
  // (CKR_USER_ALREADY_LOGGED_IN), the session is usable and `pin` is NOT re-checked.
  static StatusOr<std::shared_ptr<Token>> Open(std::shared_ptr<Module> module, std::string_view label,
                                               const crypto::SecretBytes& pin);
  ~Token();  // C_CloseSession (no C_Logout: login state is shared by all sessions of the process)
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;

  std::mutex& mu() const { return mu_; }
  struct ck_function_list* f() const { return module_->f(); }
  ck_session_handle_t session() const { return session_; }

  // REQUIRES: mu() held. Objects matching `tmpl`; more than `max` matches is kFailedPrecondition.
  StatusOr<std::vector<ck_object_handle_t>> FindObjects(std::span<struct ck_attribute> tmpl,
                                                        size_t max) const;
  // REQUIRES: mu() held. The value of one attribute (two-call size query).
  StatusOr<Bytes> GetAttribute(ck_object_handle_t object, ck_attribute_type_t type) const;

 private:
  Token(std::shared_ptr<Module> module, ck_session_handle_t session)
      : module_(std::move(module)), session_(session) {}
  std::shared_ptr<Module> module_;
  ck_session_handle_t session_;
  mutable std::mutex mu_;
};

// Attribute-template helpers (the pointers must outlive the call that uses the template).
inline struct ck_attribute Attr(ck_attribute_type_t type, const void* value, size_t length) {
  return {type, const_cast<void*>(value), static_cast<unsigned long>(length)};
}
template <typename T>
inline struct ck_attribute AttrOf(ck_attribute_type_t type, const T& value) {
  return Attr(type, &value, sizeof(T));
}
inline struct ck_attribute AttrText(ck_attribute_type_t type, std::string_view text) {
  return Attr(type, text.data(), text.size());
}

}  // namespace keyward::pkcs11

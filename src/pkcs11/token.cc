#include "pkcs11/token.h"

#include <dlfcn.h>

#include <condition_variable>
#include <cstdlib>
#include <map>

namespace keyward::pkcs11 {
namespace {

struct RvInfo {
  ck_rv_t rv;
  const char* name;
  ErrorCode code;
  const char* advice;
};

constexpr RvInfo kRvTable[] = {
    {CKR_CANCEL, "CKR_CANCEL", ErrorCode::kInternal, "the operation was cancelled; retry"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", ErrorCode::kResourceExhausted, "the host is out of memory"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", ErrorCode::kNotFound, "the slot disappeared; check the token is connected"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", ErrorCode::kInternal, "the module failed; check its logs (SoftHSM2: syslog)"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", ErrorCode::kInternal, "the module failed; check its logs (SoftHSM2: syslog)"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", ErrorCode::kInternal, "this is a Keyward bug; please report it"},
    {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY", ErrorCode::kFailedPrecondition, "the token refuses this attribute"},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", ErrorCode::kPermissionDenied, "the value is sensitive and cannot be read out of the token (as intended)"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", ErrorCode::kFailedPrecondition, "the token does not support this attribute"},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", ErrorCode::kFailedPrecondition, "the token rejected an attribute value; does it support Ed25519 / AES-256?"},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID", ErrorCode::kInvalidArgument, "the input was rejected by the token"},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", ErrorCode::kInvalidArgument, "the input length was rejected by the token"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", ErrorCode::kUnavailable, "the token device failed; check the HSM"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", ErrorCode::kResourceExhausted, "the token is full; delete unused objects"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", ErrorCode::kUnavailable, "the token was removed; reconnect it"},
    {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", ErrorCode::kAuthenticationFailed, "decryption failed"},
    {CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE", ErrorCode::kAuthenticationFailed, "decryption failed"},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", ErrorCode::kFailedPrecondition, "the module does not implement this function"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", ErrorCode::kNotFound, "the key is gone; was it deleted?"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", ErrorCode::kFailedPrecondition, "an object with this label has the wrong key type"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED", ErrorCode::kFailedPrecondition, "the key's attributes forbid this use"},
    {CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE", ErrorCode::kPermissionDenied, "the key cannot leave the token (as intended)"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", ErrorCode::kFailedPrecondition, "the token lacks a mechanism Keyward needs (CKM_AES_GCM, CKM_EDDSA, CKM_EC_EDWARDS_KEY_PAIR_GEN); see docs/keystore.md"},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", ErrorCode::kFailedPrecondition, "the token rejected the mechanism parameters; see docs/keystore.md for HSM requirements"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", ErrorCode::kNotFound, "the object is gone; was it deleted?"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", ErrorCode::kInternal, "another operation is active on the session; this is a Keyward bug"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", ErrorCode::kPermissionDenied, "the user PIN is wrong; check the PIN source (env var or file); repeated failures may lock the token"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", ErrorCode::kInvalidArgument, "the PIN has characters the token does not accept"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", ErrorCode::kInvalidArgument, "the PIN is too short or too long for this token (SoftHSM2: 4..255 bytes)"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", ErrorCode::kPermissionDenied, "the PIN expired; set a new one with the token's tools"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", ErrorCode::kPermissionDenied, "the PIN is locked after too many failures; the SO must reset it"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", ErrorCode::kUnavailable, "the session was closed; reopen the keystore"},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT", ErrorCode::kResourceExhausted, "the token has too many open sessions"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", ErrorCode::kUnavailable, "the session is no longer valid; reopen the keystore"},
    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY", ErrorCode::kFailedPrecondition, "the token is write-protected"},
    {CKR_SESSION_EXISTS, "CKR_SESSION_EXISTS", ErrorCode::kFailedPrecondition, "close other sessions to this token first"},
    {CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", ErrorCode::kAuthenticationFailed, "the signature is invalid"},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", ErrorCode::kFailedPrecondition, "the token needs more attributes than Keyward gives; see docs/keystore.md"},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", ErrorCode::kFailedPrecondition, "the token rejected the attribute template; see docs/keystore.md"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", ErrorCode::kUnavailable, "no token in the slot; connect it or create it"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", ErrorCode::kUnavailable, "the module does not recognise the token"},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", ErrorCode::kFailedPrecondition, "the token is write-protected"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", ErrorCode::kFailedPrecondition, "already logged in"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", ErrorCode::kPermissionDenied, "log in to the token first"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", ErrorCode::kFailedPrecondition, "the token has no user PIN yet; initialise it (C_InitPIN) first"},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", ErrorCode::kInternal, "this is a Keyward bug"},
    {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN", ErrorCode::kFailedPrecondition, "the SO is logged in to this token in this process; log out first"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", ErrorCode::kInternal, "this is a Keyward bug"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", ErrorCode::kInternal, "the module was finalized underneath us; this is a Keyward bug"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED", ErrorCode::kFailedPrecondition, "the module was initialised by other code in this process"},
    {CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID", ErrorCode::kFailedPrecondition, "the token does not accept these curve parameters (Ed25519); see docs/keystore.md"},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", ErrorCode::kFailedPrecondition, "the token does not support Ed25519; see docs/keystore.md"},
};

const RvInfo* FindRv(ck_rv_t rv) {
  for (const RvInfo& info : kRvTable) {
    if (info.rv == rv) return &info;
  }
  return nullptr;
}

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
// Signalled when a module's destructor has finalized it and removed its registry entry.
std::condition_variable& RegistryChanged() {
  static std::condition_variable cv;
  return cv;
}
// Loaded modules by path, and the SOFTHSM2_CONF each was initialised with. Guarded by RegistryMutex.
std::map<std::string, std::weak_ptr<Module>>& Registry() {
  static auto* registry = new std::map<std::string, std::weak_ptr<Module>>();
  return *registry;
}
std::map<std::string, std::string>& RegistryConf() {
  static auto* confs = new std::map<std::string, std::string>();
  return *confs;
}

std::string CurrentSoftHsmConf() {
  const char* conf = std::getenv("SOFTHSM2_CONF");
  return conf == nullptr ? std::string() : std::string(conf);
}

}  // namespace

std::string RvName(ck_rv_t rv) {
  if (const RvInfo* info = FindRv(rv)) return info->name;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "CKR_0x%08lx", static_cast<unsigned long>(rv));
  return buf;
}

Status RvError(ck_rv_t rv, std::string_view what) {
  KW_CHECK(rv != CKR_OK);
  const RvInfo* info = FindRv(rv);
  const ErrorCode code = info ? info->code : ErrorCode::kInternal;
  std::string advice = info ? info->advice : "unexpected PKCS#11 error; check the module's documentation";
  return Status(code, std::string(what) + ": " + RvName(rv) + "; " + advice);
}

std::string TrimPadded(std::span<const unsigned char> field) {
  size_t n = field.size();
  while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\0')) --n;
  return std::string(reinterpret_cast<const char*>(field.data()), n);
}

StatusOr<std::shared_ptr<Module>> Module::Load(const std::string& path) {
  std::unique_lock<std::mutex> lock(RegistryMutex());
  // An expired entry means the last user just dropped the module and its destructor is waiting for
  // this lock to C_Finalize it; initialising again before that would fail with
  // CKR_CRYPTOKI_ALREADY_INITIALIZED. Bounded: the destructor only needs the lock.
  for (;;) {
    auto it = Registry().find(path);
    if (it == Registry().end()) break;
    if (auto existing = it->second.lock()) return existing;
    RegistryChanged().wait(lock);
  }

  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return NotFound("cannot load PKCS#11 module " + path + ": " + (err ? err : "unknown error") +
                    "; check the module path in the keystore configuration (SoftHSM2: install softhsm2, " +
                    std::string("/usr/lib/softhsm/libsofthsm2.so") + ")");
  }
  auto get_list = reinterpret_cast<ck_rv_t (*)(struct ck_function_list**)>(dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    dlclose(handle);
    return InvalidArgument(path + " is not a PKCS#11 module (no C_GetFunctionList); check the module path");
  }
  struct ck_function_list* functions = nullptr;
  ck_rv_t rv = get_list(&functions);
  if (rv != CKR_OK || functions == nullptr) {
    dlclose(handle);
    return rv != CKR_OK ? RvError(rv, "C_GetFunctionList of " + path)
                        : Internal("C_GetFunctionList of " + path + " returned no function list");
  }
  struct ck_c_initialize_args args = {};
  args.flags = CKF_OS_LOCKING_OK;
  rv = functions->C_Initialize(&args);
  if (rv != CKR_OK) {
    dlclose(handle);
    return RvError(rv, "C_Initialize of " + path);
  }
  std::string conf = CurrentSoftHsmConf();
  RegistryConf()[path] = conf;
  std::shared_ptr<Module> module(new Module(path, handle, functions, conf));
  Registry()[path] = module;
  return module;
}

std::optional<std::string> Module::LoadedWithOtherSoftHsmConf(const std::string& conf) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  for (const auto& [path, weak] : Registry()) {
    if (!weak.expired() && RegistryConf()[path] != conf) return RegistryConf()[path];
  }
  return std::nullopt;
}

Module::~Module() {
  // Under the registry lock, so a concurrent Load() of the same path waits for C_Finalize.
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    functions_->C_Finalize(nullptr);
    dlclose(handle_);
    Registry().erase(path_);
    RegistryConf().erase(path_);
  }
  RegistryChanged().notify_all();
}

StatusOr<std::vector<ck_slot_id_t>> Module::TokenSlots() const {
  unsigned long count = 0;
  ck_rv_t rv = functions_->C_GetSlotList(1, nullptr, &count);
  if (rv != CKR_OK) return RvError(rv, "C_GetSlotList");
  std::vector<ck_slot_id_t> slots(count);
  rv = functions_->C_GetSlotList(1, slots.data(), &count);
  if (rv != CKR_OK) return RvError(rv, "C_GetSlotList");
  slots.resize(count);
  return slots;
}

StatusOr<ck_slot_id_t> Module::FindTokenSlot(std::string_view label) const {
  ASSIGN_OR_RETURN(std::vector<ck_slot_id_t> slots, TokenSlots());
  std::optional<ck_slot_id_t> found;
  std::string present;
  for (ck_slot_id_t slot : slots) {
    struct ck_token_info info = {};
    if (functions_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if (!(info.flags & CKF_TOKEN_INITIALIZED)) continue;
    std::string token_label = TrimPadded(info.label);
    if (token_label == label) {
      if (found) return FailedPrecondition("two tokens are labelled \"" + std::string(label) + "\" in " + path_ + "; relabel one");
      found = slot;
    }
    present += (present.empty() ? "\"" : ", \"") + token_label + "\"";
  }
  if (!found) {
    return NotFound("no token labelled \"" + std::string(label) + "\" in PKCS#11 module " + path_ +
                    " (tokens present: " + (present.empty() ? "none" : present) +
                    "); create it (keyward keygen / node dev mode) or fix the token label" +
                    (path_.find("softhsm") != std::string::npos
                         ? "; SoftHSM2 reads SOFTHSM2_CONF=" + softhsm_conf_
                         : std::string()));
  }
  return *found;
}

StatusOr<std::optional<ck_slot_id_t>> Module::FindUninitializedSlot() const {
  ASSIGN_OR_RETURN(std::vector<ck_slot_id_t> slots, TokenSlots());
  for (ck_slot_id_t slot : slots) {
    struct ck_token_info info = {};
    if (functions_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if (!(info.flags & CKF_TOKEN_INITIALIZED)) return std::optional<ck_slot_id_t>(slot);
  }
  return std::optional<ck_slot_id_t>();
}

StatusOr<std::shared_ptr<Token>> Token::Open(std::shared_ptr<Module> module, std::string_view label,
                                             const crypto::SecretBytes& pin) {
  ASSIGN_OR_RETURN(ck_slot_id_t slot, module->FindTokenSlot(label));
  ck_session_handle_t session = 0;
  ck_rv_t rv = module->f()->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK) return RvError(rv, "opening a session on token \"" + std::string(label) + "\"");
  // Build the Token first so the session is closed on every error path below.
  std::shared_ptr<Token> token(new Token(std::move(module), session));
  auto* pin_ptr = const_cast<unsigned char*>(pin.Reveal().data());
  rv = token->f()->C_Login(session, CKU_USER, pin_ptr, pin.size());
  // Login state is per process and token (PKCS#11 §5.6): another keystore may have logged in.
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return RvError(rv, "logging in to token \"" + std::string(label) + "\"");
  }
  return token;
}

Token::~Token() { f()->C_CloseSession(session_); }

StatusOr<std::vector<ck_object_handle_t>> Token::FindObjects(std::span<struct ck_attribute> tmpl,
                                                             size_t max) const {
  ck_rv_t rv = f()->C_FindObjectsInit(session_, tmpl.data(), tmpl.size());
  if (rv != CKR_OK) return RvError(rv, "C_FindObjectsInit");
  std::vector<ck_object_handle_t> found(max + 1);
  unsigned long count = 0;
  rv = f()->C_FindObjects(session_, found.data(), found.size(), &count);
  ck_rv_t final_rv = f()->C_FindObjectsFinal(session_);
  if (rv != CKR_OK) return RvError(rv, "C_FindObjects");
  if (final_rv != CKR_OK) return RvError(final_rv, "C_FindObjectsFinal");
  if (count > max) {
    return FailedPrecondition("more than " + std::to_string(max) +
                              " token objects share one label; remove the duplicates with the token's tools");
  }
  found.resize(count);
  return found;
}

StatusOr<Bytes> Token::GetAttribute(ck_object_handle_t object, ck_attribute_type_t type) const {
  struct ck_attribute attr = {type, nullptr, 0};
  ck_rv_t rv = f()->C_GetAttributeValue(session_, object, &attr, 1);
  if (rv != CKR_OK) return RvError(rv, "C_GetAttributeValue");
  if (attr.value_len == static_cast<unsigned long>(-1)) {
    return PermissionDenied("C_GetAttributeValue: attribute is unavailable (sensitive or unknown)");
  }
  Bytes value(attr.value_len);
  attr.value = value.data();
  rv = f()->C_GetAttributeValue(session_, object, &attr, 1);
  if (rv != CKR_OK) return RvError(rv, "C_GetAttributeValue");
  value.resize(attr.value_len);
  return value;
}

}  // namespace keyward::pkcs11

#include "pkcs11/dev_token.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <system_error>

#include "common/bytes.h"
#include "crypto/random.h"
#include "pkcs11/token.h"

namespace keyward::pkcs11 {
namespace {

namespace fs = std::filesystem;

Status WriteFileIfMissing(const fs::path& path, std::string_view contents, fs::perms perms) {
  std::error_code ec;
  if (fs::exists(path, ec)) return Status::Ok();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot create " + path.string() + "; check that the directory is writable");
    // Tighten permissions before the contents go in (PIN files).
    fs::permissions(path, perms, ec);
    if (ec) return IoError("cannot set permissions on " + path.string() + ": " + ec.message());
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) return IoError("cannot write " + path.string() + "; is the disk full?");
  }
  return Status::Ok();
}

// Writes `contents` to `path` through a temporary file and rename(2), so a reader (SoftHSM2 in
// another process) never sees a half-written config.
Status WriteFileAtomically(const fs::path& path, std::string_view contents) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) return IoError("cannot write " + tmp.string() + "; check that the directory is writable");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return IoError("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return Status::Ok();
}

Status InitToken(Module& module, ck_slot_id_t slot, std::string_view label, const crypto::SecretBytes& so_pin,
                 const crypto::SecretBytes& user_pin) {
  unsigned char padded_label[32];
  std::fill(std::begin(padded_label), std::end(padded_label), ' ');
  std::copy(label.begin(), label.end(), padded_label);
  auto* so = const_cast<unsigned char*>(so_pin.Reveal().data());
  ck_rv_t rv = module.f()->C_InitToken(slot, so, so_pin.size(), padded_label);
  if (rv != CKR_OK) return RvError(rv, "C_InitToken for dev token \"" + std::string(label) + "\"");
  ck_session_handle_t session = 0;
  rv = module.f()->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK) return RvError(rv, "opening an SO session on dev token \"" + std::string(label) + "\"");
  rv = module.f()->C_Login(session, CKU_SO, so, so_pin.size());
  if (rv == CKR_OK) {
    rv = module.f()->C_InitPIN(session, const_cast<unsigned char*>(user_pin.Reveal().data()), user_pin.size());
    module.f()->C_Logout(session);
  }
  module.f()->C_CloseSession(session);
  if (rv != CKR_OK) return RvError(rv, "setting the user PIN of dev token \"" + std::string(label) + "\"");
  return Status::Ok();
}

}  // namespace

fs::path SoftHsmConfPath(const fs::path& dir) { return dir / "softhsm2.conf"; }

Status UseSoftHsmDevDir(const fs::path& dir) {
  std::error_code ec;
  const fs::path abs = fs::absolute(dir, ec);
  if (ec) return IoError("cannot resolve " + dir.string() + ": " + ec.message());
  fs::create_directories(abs / "tokens", ec);
  if (ec) return IoError("cannot create " + (abs / "tokens").string() + ": " + ec.message());
  fs::permissions(abs / "tokens", fs::perms::owner_all, ec);
  const std::string conf = SoftHsmConfPath(abs).string();
  // Rewritten every time (it is derived from `dir`), so a moved data dir keeps working.
  RETURN_IF_ERROR(WriteFileAtomically(conf,
                                      "# SoftHSM2 development token for Keyward (docs/keystore.md)\n"
                                      "directories.tokendir = " + (abs / "tokens").string() + "\n"
                                      "objectstore.backend = file\n"
                                      "log.level = ERROR\n"
                                      "slots.removable = false\n"));
  if (auto other = Module::LoadedWithOtherSoftHsmConf(conf)) {
    return FailedPrecondition("this process already uses SoftHSM2 with SOFTHSM2_CONF=" + *other +
                              "; SoftHSM2 reads one configuration per process, so close every keystore "
                              "first or use a separate process for " + dir.string());
  }
  if (setenv("SOFTHSM2_CONF", conf.c_str(), 1) != 0) return Internal("setenv(SOFTHSM2_CONF) failed");
  return Status::Ok();
}

Status EnsureSoftHsmDevToken(const fs::path& dir, std::string_view label, const crypto::SecretBytes& so_pin,
                             const crypto::SecretBytes& user_pin, std::string_view module_path) {
  if (label.empty() || label.size() > 32) {
    return InvalidArgument("token label must be 1..32 bytes, got " + std::to_string(label.size()));
  }
  RETURN_IF_ERROR(UseSoftHsmDevDir(dir));
  ASSIGN_OR_RETURN(std::shared_ptr<Module> module, Module::Load(std::string(module_path)));
  auto existing = module->FindTokenSlot(label);
  if (existing.ok()) return Status::Ok();
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
  ASSIGN_OR_RETURN(std::optional<ck_slot_id_t> free_slot, module->FindUninitializedSlot());
  if (!free_slot) return ResourceExhausted("SoftHSM2 offers no free slot for a new token in " + dir.string());
  return InitToken(*module, *free_slot, label, so_pin, user_pin);
}

StatusOr<Pkcs11Config> CreateOrOpenDevToken(const fs::path& dir, std::string_view label,
                                            std::string_view module_path) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir.string() + ": " + ec.message());
  const fs::path user_pin_path = fs::absolute(dir) / "user.pin";
  const fs::path so_pin_path = fs::absolute(dir) / "so.pin";
  crypto::SystemRng rng;
  for (const fs::path& path : {user_pin_path, so_pin_path}) {
    const std::string pin = HexEncode(rng.Array<16>());
    RETURN_IF_ERROR(WriteFileIfMissing(path, pin + "\n", fs::perms::owner_read | fs::perms::owner_write));
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes user_pin, ReadPin(PinSource::File(user_pin_path.string())));
  ASSIGN_OR_RETURN(crypto::SecretBytes so_pin, ReadPin(PinSource::File(so_pin_path.string())));
  RETURN_IF_ERROR(EnsureSoftHsmDevToken(dir, label, so_pin, user_pin, module_path));
  Pkcs11Config config;
  config.module_path = std::string(module_path);
  config.token_label = std::string(label);
  config.pin = PinSource::File(user_pin_path.string());
  return config;
}

}  // namespace keyward::pkcs11

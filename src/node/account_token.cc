#include "node/account_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "crypto/hash.h"

namespace keyward::node {
namespace {

constexpr std::string_view kUserLabel = "keyward-account-v1";
constexpr std::string_view kAuthorityLabel = "keyward-account-authority-v1";

crypto::Sha512Digest TokenMac(const crypto::SecretBytes& key, CredentialScope scope,
                              ByteSpan user_id, ByteSpan expiry) {
  uint8_t len[2] = {static_cast<uint8_t>(user_id.size() >> 8), static_cast<uint8_t>(user_id.size())};
  const std::string_view label =
      scope == CredentialScope::kAccountAuthority ? kAuthorityLabel : kUserLabel;
  return crypto::HmacSha512(key.Reveal(), {AsBytes(label), len, user_id, expiry});
}

}  // namespace

AppKey AppKey::Generate(crypto::Rng& rng) {
  crypto::SecretBytes key(kAppKeySize);
  rng.Fill(key.RevealMutable());
  return AppKey(std::move(key));
}

StatusOr<AppKey> AppKey::FromBytes(ByteSpan key) {
  if (key.size() != kAppKeySize) {
    return InvalidArgument("app key must be " + std::to_string(kAppKeySize) + " bytes, got " +
                           std::to_string(key.size()));
  }
  return AppKey(crypto::SecretBytes(key));
}

StatusOr<AppKey> AppKey::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return IoError("cannot read app key file " + path.string() + "; check --app-key");
  std::string text;
  std::getline(in, text);
  std::string rest;
  if (std::getline(in, rest) && !rest.empty()) {
    return InvalidArgument("app key file " + path.string() + " must hold one line of hex");
  }
  StatusOr<Bytes> raw = HexDecode(text);
  if (!raw.ok() || raw->size() != kAppKeySize) {
    return InvalidArgument("app key file " + path.string() + " must hold " +
                           std::to_string(kAppKeySize * 2) + " hex digits (a 64-byte key)");
  }
  crypto::SecretBytes key(*raw);
  sodium_memzero(raw->data(), raw->size());
  return AppKey(std::move(key));
}

Status AppKey::Save(const std::filesystem::path& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create app key file " + path.string());
  std::string hex = HexEncode(key_.Reveal()) + "\n";
  bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ok = (::fsync(fd) == 0) && ok;
  ::close(fd);
  sodium_memzero(hex.data(), hex.size());
  if (!ok) return IoError("cannot write app key file " + path.string());
  return Status::Ok();
}

Bytes AppKey::Mint(ByteSpan user_id, uint64_t expiry_unix_seconds, CredentialScope scope) const {
  Bytes token(8);
  for (int i = 0; i < 8; ++i) token[i] = static_cast<uint8_t>(expiry_unix_seconds >> (56 - 8 * i));
  crypto::Sha512Digest mac = TokenMac(key_, scope, user_id, ByteSpan(token).first(8));
  token.insert(token.end(), mac.begin(), mac.end());
  return token;
}

Status AppKey::Verify(ByteSpan user_id, ByteSpan token, uint64_t now_unix_seconds,
                      CredentialScope scope) const {
  if (user_id.empty() || user_id.size() > kMaxUserIdSize) {
    return PermissionDenied("account credential rejected: user id must be 1..256 bytes");
  }
  if (token.size() != kAccountTokenSize) {
    return PermissionDenied("account credential rejected: must be 72 bytes, got " +
                            std::to_string(token.size()) + "; ask the app for a fresh token");
  }
  crypto::Sha512Digest mac = TokenMac(key_, scope, user_id, token.first(8));
  if (!crypto::SecretBytes::ConstantTimeEquals(mac, token.subspan(8))) {
    return PermissionDenied(scope == CredentialScope::kAccountAuthority
                                ? "account credential rejected: not an account-authority "
                                  "credential for this user from this vault's app key"
                                : "account credential rejected: not issued for this user by "
                                  "this vault's account authority");
  }
  uint64_t expiry = 0;
  for (int i = 0; i < 8; ++i) expiry = (expiry << 8) | token[i];
  if (now_unix_seconds >= expiry) {
    return PermissionDenied("account credential expired; ask the app for a fresh token");
  }
  return Status::Ok();
}

uint64_t NowUnixSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace keyward::node

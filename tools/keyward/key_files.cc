#include "key_files.h"

#include <sys/stat.h>

#include <cstdio>

#include "log/durable_file.h"
#include "pkcs11/config.h"
#include "pkcs11/keystore.h"
#include "pkcs11/token_signer.h"
#include "tlog/note.h"
#include <optional>

namespace keyward::cli {
namespace {

StatusOr<LoadedKey> OpenPkcs11Key(const Pkcs11KeyRef& ref) {
  pkcs11::Pkcs11Config config;
  config.module_path = ref.module;
  config.token_label = ref.token;
  ASSIGN_OR_RETURN(config.pin, pkcs11::PinSource::Parse(ref.pin));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::Ed25519Signer> key, pkcs11::OpenTokenEd25519Signer(config, ref.object));
  return LoadedKey{ref.name, std::shared_ptr<const crypto::Ed25519Signer>(std::move(key))};
}

}  // namespace

std::string SanitizedObjectLabel(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    out.push_back(ok ? c : '_');
    if (out.size() == pkcs11::kMaxKeyNameLength) break;
  }
  return out;
}

StatusOr<Pkcs11KeyRef> ParsePkcs11KeyRef(std::string_view text) {
  auto bad = [](const std::string& why) {
    return InvalidArgument("malformed PKCS#11 key reference (" + why + "); recreate it with `keyward keygen`");
  };
  auto line = [&](std::string_view* rest) -> std::optional<std::string_view> {
    size_t nl = rest->find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view l = rest->substr(0, nl);
    rest->remove_prefix(nl + 1);
    return l;
  };
  std::string_view rest = text;
  auto header = line(&rest);
  if (!header || *header != kPkcs11KeyFileHeader) return bad("first line must be " + std::string(kPkcs11KeyFileHeader));
  Pkcs11KeyRef ref;
  const std::pair<std::string_view, std::string*> fields[] = {
      {"name", &ref.name}, {"module", &ref.module}, {"token", &ref.token}, {"object", &ref.object}, {"pin", &ref.pin}};
  for (const auto& [key, out] : fields) {
    auto l = line(&rest);
    if (!l || l->size() <= key.size() + 1 || l->substr(0, key.size()) != key || (*l)[key.size()] != ' ') {
      return bad("expected a \"" + std::string(key) + " VALUE\" line");
    }
    std::string_view v = l->substr(key.size() + 1);
    for (char c : v) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad(std::string(key) + " has a control character");
    }
    *out = std::string(v);
  }
  if (!rest.empty()) return bad("trailing data after the pin line");
  if (!tlog::IsValidKeyName(ref.name)) return bad("name is not a valid note key name");
  return ref;
}

std::string FormatPkcs11KeyRef(const Pkcs11KeyRef& ref) {
  return std::string(kPkcs11KeyFileHeader) + "\nname " + ref.name + "\nmodule " + ref.module + "\ntoken " + ref.token +
         "\nobject " + ref.object + "\npin " + ref.pin + "\n";
}

StatusOr<LoadedKey> LoadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
    std::fprintf(stderr, "warning: key file %s is accessible by other users; chmod 600 it\n", path.c_str());
  }
  auto text = log::ReadFileText(path, 4096);
  if (!text.ok()) return text.status().WithContext("reading key file");
  std::string s = std::move(*text);
  if (s.rfind(std::string(kPkcs11KeyFileHeader) + "\n", 0) == 0) {
    auto ref = ParsePkcs11KeyRef(s);
    if (!ref.ok()) return ref.status().WithContext("key file " + path);
    auto key = OpenPkcs11Key(*ref);
    if (!key.ok()) return key.status().WithContext("opening the PKCS#11 key of key file " + path);
    return key;
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  auto parsed = tlog::ParseSignerKey(s);
  crypto::SecretBytes wipe(AsBytes(s));
  std::fill(s.begin(), s.end(), '\0');
  if (!parsed.ok()) {
    return parsed.status().WithContext("key file " + path +
                                       " is not a PRIVATE+KEY+... signer key (create one with `keyward keygen`)");
  }
  return LoadedKey{parsed->name, parsed->key};
}

}  // namespace keyward::cli

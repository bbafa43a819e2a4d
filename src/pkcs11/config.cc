#include "pkcs11/config.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace keyward::pkcs11 {

StatusOr<PinSource> PinSource::Parse(std::string_view spec) {
  auto rest = [&](std::string_view prefix) { return std::string(spec.substr(prefix.size())); };
  if (spec.starts_with("env:") && spec.size() > 4) return Env(rest("env:"));
  if (spec.starts_with("file:") && spec.size() > 5) return File(rest("file:"));
  return InvalidArgument("PIN source must be \"env:VARIABLE\" or \"file:PATH\" (never the PIN itself), got a "
                         "value of " + std::to_string(spec.size()) + " characters");
}

std::string PinSource::ToString() const { return (kind == Kind::kEnv ? "env:" : "file:") + name; }

StatusOr<crypto::SecretBytes> ReadPin(const PinSource& source) {
  crypto::SecretBytes pin;
  if (source.kind == PinSource::Kind::kEnv) {
    const char* value = std::getenv(source.name.c_str());
    if (value == nullptr) {
      return NotFound("PIN environment variable " + source.name + " is not set; export it before starting");
    }
    pin = crypto::SecretBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value), std::strlen(value)));
  } else {
    std::ifstream in(source.name, std::ios::binary);
    if (!in) return NotFound("cannot read PIN file " + source.name + "; check the path and its permissions");
    std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t n = contents.size();
    if (n > 0 && contents[n - 1] == '\n') --n;
    if (n > 0 && contents[n - 1] == '\r') --n;
    pin = crypto::SecretBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(contents.data()), n));
    std::fill(contents.begin(), contents.end(), '\0');
  }
  if (pin.empty()) return InvalidArgument("PIN from " + source.ToString() + " is empty; set a PIN");
  return pin;
}

}  // namespace keyward::pkcs11

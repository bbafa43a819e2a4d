#include <sodium.h>
#include <openssl/opensslv.h>

#include <cstdio>

#include "commands.h"

namespace keyward::cli {

void RegisterVersionCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the Keyward version and the crypto libraries it uses");
  cmd->callback([] {
    std::printf("keyward %s\n", KEYWARD_VERSION);
    std::printf("libsodium %s, %s\n", sodium_version_string(), OPENSSL_VERSION_TEXT);
    std::printf("suite: OPAQUE-3DH (RFC 9807) ristretto255-SHA512, Argon2id KSF\n");
  });
}

}  // namespace keyward::cli

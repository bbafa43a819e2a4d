// The crypto-core walkthrough behind `keyward demo --crypto-only`: a local OPAQUE (RFC 9807)
// registration and login with the production Argon2id KSF, printed step by step, followed by a
// wrong-password and an unknown-user attempt that must both be rejected. No network, no files.
#pragma once

#include <string>

namespace keyward::cli {

struct CryptoDemoOptions {
  std::string user = "alice@example.com";
  std::string password = "correct horse battery staple";
};

// Returns the process exit code: 0 if every step behaved as expected, 1 otherwise.
int RunCryptoDemo(const CryptoDemoOptions& options = {});

}  // namespace keyward::cli

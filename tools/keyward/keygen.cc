// `keyward keygen`: creates an Ed25519 signing key for a log, witness or signer and prints its
// verifier key.
#include <cstdio>
#include <string>

#include "commands.h"
#include "crypto/random.h"
#include "log/durable_file.h"
#include "tlog/note.h"

namespace keyward::cli {
namespace {

struct KeygenArgs {
  std::string name;
  std::string out;
  bool witness = false;
};

int RunKeygen(const KeygenArgs& a) {
  if (!tlog::IsValidKeyName(a.name)) {
    std::fprintf(stderr, "keygen: --name \"%s\" is not a valid key name (no spaces, no '+')\n", a.name.c_str());
    return 1;
  }
  crypto::SystemRng rng;
  auto key = crypto::Ed25519PrivateKey::Generate(rng);
  crypto::SecretBytes skey = tlog::FormatSignerKey(a.name, key);
  crypto::SecretBytes file(skey.size() + 1);
  std::copy(skey.Reveal().begin(), skey.Reveal().end(), file.RevealMutable().begin());
  file.RevealMutable()[skey.size()] = '\n';
  if (Status st = log::WriteNewPrivateFile(a.out, file.Reveal()); !st.ok()) {
    std::fprintf(stderr, "keygen: %s\n", st.ToString().c_str());
    return 1;
  }
  uint8_t type = a.witness ? tlog::kSigTypeCosignatureV1 : tlog::kSigTypeEd25519;
  std::printf("%s\n", tlog::Ed25519VerifierKeyString(a.name, type, key.public_key()).c_str());
  return 0;
}

}  // namespace

void RegisterKeygenCommand(CLI::App& app) {
  auto args = std::make_shared<KeygenArgs>();
  auto* cmd = app.add_subcommand(
      "keygen",
      "Create an Ed25519 signing key and print its verifier key (vkey).\n"
      "The key file holds a Go signer key (PRIVATE+KEY+name+id+base64, golang.org/x/mod/sumdb/note format),\n"
      "mode 0600; it is never overwritten. Exit status: 0 ok, 1 usage or I/O error.");
  cmd->add_option("--name", args->name,
                   "Key name: a log's origin (e.g. example.com/log) or a witness's name")
      ->required();
  cmd->add_option("--out", args->out, "File to create (must not exist)")->required();
  cmd->add_flag("--witness", args->witness,
                "Print the C2SP tlog-cosignature verifier key (type 0x04) of the key, for policies");
  cmd->callback([args] { ExitCode() = RunKeygen(*args); });
}

}  // namespace keyward::cli

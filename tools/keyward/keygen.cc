// `keyward keygen`: creates an Ed25519 signing key for a log, witness or signer and prints its
// verifier key — in a key file, or inside a PKCS#11 token (the file then holds only a reference).
#include <cstdio>
#include <string>

#include "commands.h"
#include "crypto/random.h"
#include "key_files.h"
#include "log/durable_file.h"
#include "pkcs11/config.h"
#include "pkcs11/token_signer.h"
#include "tlog/note.h"

namespace keyward::cli {
namespace {

struct KeygenArgs {
  std::string name;
  std::string out;
  bool witness = false;
  std::string pkcs11_module;
  std::string token_label;
  std::string pin_env;
  std::string key_label;
};

// Generates the key inside the token and writes the reference file; returns its public key.
StatusOr<crypto::Ed25519PublicKey> KeygenInToken(const KeygenArgs& a) {
  Pkcs11KeyRef ref;
  ref.name = a.name;
  ref.module = a.pkcs11_module.empty() ? std::string(pkcs11::kSoftHsmModulePath) : a.pkcs11_module;
  ref.token = a.token_label;
  ref.object = a.key_label.empty() ? SanitizedObjectLabel(a.name) : a.key_label;
  ref.pin = "env:" + a.pin_env;
  // Refuse an existing --out before touching the token.
  if (std::FILE* f = std::fopen(a.out.c_str(), "r")) {
    std::fclose(f);
    return Status(ErrorCode::kAlreadyExists, "--out " + a.out + " already exists; key files are never overwritten");
  }
  pkcs11::Pkcs11Config config;
  config.module_path = ref.module;
  config.token_label = ref.token;
  config.pin = pkcs11::PinSource::Env(a.pin_env);
  ASSIGN_OR_RETURN(auto key, pkcs11::CreateTokenEd25519Signer(config, ref.object));
  std::string text = FormatPkcs11KeyRef(ref);
  RETURN_IF_ERROR(log::WriteNewPrivateFile(a.out, AsBytes(text)));
  return key->public_key();
}

int RunKeygen(const KeygenArgs& a) {
  if (!tlog::IsValidKeyName(a.name)) {
    std::fprintf(stderr, "keygen: --name \"%s\" is not a valid key name (no spaces, no '+')\n", a.name.c_str());
    return 1;
  }
  const bool token = !a.token_label.empty() || !a.pin_env.empty() || !a.pkcs11_module.empty() || !a.key_label.empty();
  crypto::Ed25519PublicKey public_key;
  if (token) {
    if (a.token_label.empty() || a.pin_env.empty()) {
      std::fprintf(stderr, "keygen: a key in a PKCS#11 token needs --token-label and --pin-env\n");
      return 1;
    }
    auto pk = KeygenInToken(a);
    if (!pk.ok()) {
      std::fprintf(stderr, "keygen: %s\n", pk.status().ToString().c_str());
      return 1;
    }
    public_key = *pk;
  } else {
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
    public_key = key.public_key();
  }
  uint8_t type = a.witness ? tlog::kSigTypeCosignatureV1 : tlog::kSigTypeEd25519;
  std::printf("%s\n", tlog::Ed25519VerifierKeyString(a.name, type, public_key).c_str());
  return 0;
}

}  // namespace

void RegisterKeygenCommand(CLI::App& app) {
  auto args = std::make_shared<KeygenArgs>();
  auto* cmd = app.add_subcommand(
      "keygen",
      "Create an Ed25519 signing key and print its verifier key (vkey).\n"
      "By default the key file holds a Go signer key (PRIVATE+KEY+name+id+base64, golang.org/x/mod/sumdb/note\n"
      "format). With --token-label/--pin-env the key pair is generated inside a PKCS#11 token (CKM_EDDSA; the\n"
      "private key never leaves it) and the file holds a keyward-pkcs11-key/v1 reference (name, module, token,\n"
      "object label, PIN source) that `log serve --key` and `witness serve --key` accept. The file is mode 0600\n"
      "and never overwritten. Exit status: 0 ok, 1 usage, token or I/O error.");
  cmd->add_option("--name", args->name,
                   "Key name: a log's origin (e.g. example.com/log) or a witness's name")
      ->required();
  cmd->add_option("--out", args->out, "File to create (must not exist): the key, or the token reference")->required();
  cmd->add_flag("--witness", args->witness,
                "Print the C2SP tlog-cosignature verifier key (type 0x04) of the key, for policies");
  cmd->add_option("--pkcs11-module", args->pkcs11_module,
                  "PKCS#11 library of the token (default: SoftHSM2, " + std::string(pkcs11::kSoftHsmModulePath) + ")");
  cmd->add_option("--token-label", args->token_label, "Label of the PKCS#11 token to generate the key in");
  cmd->add_option("--pin-env", args->pin_env,
                  "Environment variable holding the token's user PIN (read again by the daemons; never the PIN)");
  cmd->add_option("--key-label", args->key_label,
                  "CKA_LABEL for the key pair in the token ([A-Za-z0-9._-], ≤ 64); default: the name with other "
                  "characters replaced by '_'");
  cmd->callback([args] { ExitCode() = RunKeygen(*args); });
}

}  // namespace keyward::cli

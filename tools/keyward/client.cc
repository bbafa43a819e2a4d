// `keyward client register|recover|delete|backup|restore`: the client SDK (include/keyward/client.h)
// as a command line tool.
//
// Exit codes: 0 ok, 1 usage, 2 trust failure (fleet key not pinned / bad policy), 3 wrong password
// (stderr: `attempts remaining: N`), 4 locked or not registered, 5 vault unavailable (or rate
// limited: retry later), 6 refused by the vault (bad account credential, invalid request) or a
// tampered answer, 7 local I/O error.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "crypto/hash.h"
#include "keyward/client.h"
#include "node/account_token.h"

namespace keyward::cli {
namespace {

constexpr int kExitUsage = 1, kExitTrust = 2, kExitWrongPassword = 3, kExitLocked = 4,
              kExitUnavailable = 5, kExitRejected = 6, kExitIo = 7;
constexpr size_t kChunk = 64 * 1024;
constexpr char kBackupMagic[8] = {'K', 'W', 'B', 'A', 'C', 'K', '0', '1'};

struct ClientFlags {
  std::string vault = "127.0.0.1:7443";
  std::string trust;
  std::string state;      // over-the-air trust state file (--state)
  bool trust_offline = false;  // --trust-offline: no online log consistency proofs
  bool reregister = false;  // recover: move a registration off a retiring fleet (--reregister)
  std::string fleet_id;
  std::string user;
  std::string password_file;
  std::string secret_file;
  std::string out;
  std::string in;
  std::string app_key;
  std::string credential_file;
  uint32_t max_attempts = 10;
  bool as_authority = false;
  crypto::Argon2idParams argon2;
  int64_t timeout_ms = 10000;
};

int ExitFor(ClientErrorKind kind) {
  switch (kind) {
    case ClientErrorKind::kOk: return 0;
    case ClientErrorKind::kInvalidArgument: return kExitUsage;
    case ClientErrorKind::kTrust: return kExitTrust;
    case ClientErrorKind::kWrongPassword: return kExitWrongPassword;
    case ClientErrorKind::kLocked: return kExitLocked;
    case ClientErrorKind::kUnavailable: return kExitUnavailable;
    default: return kExitRejected;
  }
}

StatusOr<crypto::SecretBytes> ReadSecretFile(const std::string& path, bool strip_newline) {
  std::string data;
  if (path.empty() || path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    data = ss.str();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return IoError("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  if (strip_newline && !data.empty() && data.back() == '\n') data.pop_back();
  if (strip_newline && !data.empty() && data.back() == '\r') data.pop_back();
  crypto::SecretBytes out(AsBytes(data));
  sodium_memzero(data.data(), data.size());
  if (out.empty()) return InvalidArgument("empty " + (path.empty() ? std::string("stdin") : path));
  return out;
}

Status WritePrivateFile(const std::string& path, ByteSpan data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return IoError("cannot write " + path);
  ::fchmod(::fileno(f), 0600);
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? Status::Ok() : IoError("cannot write " + path);
}

// Builds the SDK client; on error sets the exit code and returns nullptr.
std::unique_ptr<VaultClient> MakeClient(const ClientFlags& f) {
  VaultClient::Config config;
  config.vault_address = f.vault;
  config.trust_policy_path = f.trust;
  config.trust_state_path = f.state;
  config.trust_online_consistency = !f.trust_offline;
  config.fleet_id = f.fleet_id;
  config.call_timeout = std::chrono::milliseconds(f.timeout_ms);
  auto ksf = crypto::KsfConfig::Argon2id(f.argon2);
  if (!ksf.ok()) {
    std::fprintf(stderr, "keyward client: %s\n", ksf.status().message().c_str());
    ExitCode() = kExitUsage;
    return nullptr;
  }
  config.ksf = *ksf;
  if (!f.app_key.empty()) {
    auto key = node::AppKey::Load(f.app_key);
    if (!key.ok()) {
      std::fprintf(stderr, "keyward client: %s\n", key.status().message().c_str());
      ExitCode() = kExitUsage;
      return nullptr;
    }
    auto shared = std::make_shared<node::AppKey>(std::move(*key));
    config.credentials = [shared](std::string_view user) -> StatusOr<Bytes> {
      return shared->Mint(AsBytes(user), node::NowUnixSeconds() + 300);
    };
    config.authority_credentials = [shared](std::string_view user) -> StatusOr<Bytes> {
      return shared->Mint(AsBytes(user), node::NowUnixSeconds() + 300,
                          node::CredentialScope::kAccountAuthority);
    };
  } else if (!f.credential_file.empty()) {
    // A minted credential is used in the scope the flags ask for (--as-authority).
    std::string path = f.credential_file;
    auto read = [path](std::string_view) -> StatusOr<Bytes> {
      std::ifstream in(path);
      std::string hex;
      std::getline(in, hex);
      return HexDecode(hex);
    };
    (f.as_authority ? config.authority_credentials : config.credentials) = read;
    if (f.as_authority) {
      config.credentials = [](std::string_view) -> StatusOr<Bytes> {
        return InvalidArgument("--as-authority: the credential file holds an authority credential");
      };
    }
  } else {
    std::fprintf(stderr, "keyward client: give --app-key FILE or --credential-file FILE\n");
    ExitCode() = kExitUsage;
    return nullptr;
  }
  auto client = VaultClient::Create(std::move(config));
  if (!client.ok()) {
    std::fprintf(stderr, "keyward client: %s\n", client.status().message().c_str());
    ExitCode() = client.status().code() == ErrorCode::kInvalidArgument ? kExitTrust : kExitTrust;
    return nullptr;
  }
  return std::move(*client);
}

// Over-the-air trust warnings (a refused policy update, an offline consistency fallback) go to
// stderr whatever the outcome.
void WarnTrust(const Outcome& o) {
  if (!o.trust_warning.empty()) std::fprintf(stderr, "keyward client: warning: %s\n", o.trust_warning.c_str());
}

int Report(const Outcome& o) {
  WarnTrust(o);
  if (o.ok()) return 0;
  std::fprintf(stderr, "keyward client: %s: %s\n", ClientErrorKindName(o.kind), o.message.c_str());
  if (o.attempts_remaining && o.kind == ClientErrorKind::kWrongPassword) {
    std::fprintf(stderr, "attempts remaining: %u\n", *o.attempts_remaining);
  }
  return ExitFor(o.kind);
}

// The record was recovered from a fleet the bundle marks `retiring`: tell the user and, with
// --reregister, register the secret again on the active fleet the bundle names (over-the-air).
void ReregisterFromRetiring(const ClientFlags& f, const Outcome& o, const crypto::SecretBytes& password) {
  std::fprintf(stderr, "keyward client: %s\n", o.message.c_str());
  if (!f.reregister) return;
  if (o.reregister_endpoint.empty()) {
    std::fprintf(stderr, "keyward client: the bundle names no active fleet with an endpoint; not re-registered\n");
    return;
  }
  ClientFlags to = f;
  to.vault = o.reregister_endpoint;
  to.fleet_id.clear();
  auto client = MakeClient(to);
  if (!client) return;
  Outcome r = client->Register(f.user, password, o.secret, {.max_attempts = f.max_attempts});
  if (r.ok()) {
    std::fprintf(stderr, "keyward client: re-registered on the active fleet at %s\n", to.vault.c_str());
  } else {
    std::fprintf(stderr, "keyward client: re-registering on %s failed (%s): %s\n", to.vault.c_str(),
                 ClientErrorKindName(r.kind), r.message.c_str());
  }
}

// Recovers the user's secret; nullopt (exit code set) on failure.
std::optional<crypto::SecretBytes> RecoverSecret(const ClientFlags& f) {
  auto client = MakeClient(f);
  if (!client) return std::nullopt;
  auto password = ReadSecretFile(f.password_file, true);
  if (!password.ok()) {
    std::fprintf(stderr, "keyward client: password: %s\n", password.status().message().c_str());
    ExitCode() = kExitUsage;
    return std::nullopt;
  }
  Outcome o = client->Recover(f.user, *password);
  if (!o.ok()) {
    ExitCode() = Report(o);
    return std::nullopt;
  }
  WarnTrust(o);
  if (o.fleet_retiring) ReregisterFromRetiring(f, o, *password);
  return std::move(o.secret);
}

void Progress(size_t done, size_t total) {
  if (!::isatty(STDERR_FILENO) || total == 0) return;
  int pct = static_cast<int>(done * 100 / total);
  int bars = pct / 5;
  std::fprintf(stderr, "\r[%-20.*s] %3d%% %zu/%zu bytes", bars, "####################", pct, done, total);
  if (done == total) std::fprintf(stderr, "\n");
}

crypto::SecretBytes BackupKey(const crypto::SecretBytes& secret) {
  crypto::SecretBytes prk = crypto::HkdfSha512Extract(AsBytes("keyward-backup-v1"), secret.Reveal());
  return crypto::HkdfSha512Expand(prk.Reveal(), AsBytes("file key"),
                                  crypto_secretstream_xchacha20poly1305_KEYBYTES);
}

// Backup file: "KWBACK01" || secretstream header (24) || chunks of 64 KiB plaintext each
// (+17 bytes), the last tagged FINAL (libsodium crypto_secretstream_xchacha20poly1305).
Status EncryptFile(const crypto::SecretBytes& key, const std::string& in_path, const std::string& out_path) {
  std::ifstream in(in_path, std::ios::binary | std::ios::ate);
  if (!in) return IoError("cannot read " + in_path);
  size_t total = static_cast<size_t>(in.tellg());
  in.seekg(0);
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("cannot write " + out_path);
  crypto_secretstream_xchacha20poly1305_state st;
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&st, header, key.Reveal().data());
  out.write(kBackupMagic, sizeof kBackupMagic);
  out.write(reinterpret_cast<char*>(header), sizeof header);
  std::vector<unsigned char> buf(kChunk), ct(kChunk + crypto_secretstream_xchacha20poly1305_ABYTES);
  size_t done = 0;
  do {
    size_t n = std::min(kChunk, total - done);
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n));
    if (static_cast<size_t>(in.gcount()) != n) return IoError("short read on " + in_path);
    done += n;
    unsigned char tag = done == total ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&st, ct.data(), &clen, buf.data(), n, nullptr, 0, tag);
    out.write(reinterpret_cast<char*>(ct.data()), static_cast<std::streamsize>(clen));
    Progress(done, total);
  } while (done < total);
  sodium_memzero(buf.data(), buf.size());
  if (!out.flush()) return IoError("cannot write " + out_path);
  return Status::Ok();
}

Status DecryptFile(const crypto::SecretBytes& key, const std::string& in_path, const std::string& out_path) {
  std::ifstream in(in_path, std::ios::binary | std::ios::ate);
  if (!in) return IoError("cannot read " + in_path);
  size_t total = static_cast<size_t>(in.tellg());
  in.seekg(0);
  char magic[8];
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (!in || std::memcmp(magic, kBackupMagic, sizeof magic) != 0) {
    return InvalidArgument(in_path + " is not a Keyward backup file");
  }
  crypto_secretstream_xchacha20poly1305_state st;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&st, header, key.Reveal().data()) != 0) {
    return AuthenticationFailed("backup does not decrypt");
  }
  std::string tmp = out_path + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("cannot write " + tmp);
  std::vector<unsigned char> ct(kChunk + crypto_secretstream_xchacha20poly1305_ABYTES), pt(kChunk);
  size_t done = sizeof magic + sizeof header;
  bool final_seen = false;
  while (done < total && !final_seen) {
    size_t n = std::min(ct.size(), total - done);
    in.read(reinterpret_cast<char*>(ct.data()), static_cast<std::streamsize>(n));
    done += n;
    unsigned long long plen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&st, pt.data(), &plen, &tag, ct.data(), n, nullptr, 0) != 0) {
      std::filesystem::remove(tmp);
      return AuthenticationFailed("backup does not decrypt (wrong key, or the file was modified)");
    }
    out.write(reinterpret_cast<char*>(pt.data()), static_cast<std::streamsize>(plen));
    final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    Progress(done, total);
  }
  sodium_memzero(pt.data(), pt.size());
  out.close();
  if (!final_seen || done != total) {
    std::filesystem::remove(tmp);
    return AuthenticationFailed("backup is truncated or has trailing data");
  }
  std::filesystem::rename(tmp, out_path);
  return Status::Ok();
}

void AddCommon(CLI::App* cmd, ClientFlags& f) {
  cmd->add_option("--vault", f.vault, "Vault address HOST:PORT, or a fleet's members HOST:PORT,HOST:PORT,... (the client follows the members' leader hint and fails over between them)")->capture_default_str();
  cmd->add_option("--trust", f.trust,
                  "Trust policy file: pinned (fleet keys; dev: DATA_DIR/trust.policy) or over-the-air (signers, "
                  "log, witnesses; fleet keys arrive in verified bundles from the vault; docs/trust.md)")
      ->required();
  cmd->add_option("--state", f.state,
                  "Trust state file for an over-the-air policy (epoch and log high-water marks; created if "
                  "missing); required with such a policy");
  cmd->add_flag("--trust-offline", f.trust_offline,
                "Over-the-air: do not fetch log consistency proofs from the policy's log URL; a new checkpoint is "
                "accepted on its witness quorum alone (by default a fetch failure falls back to that, with a warning)");
  cmd->add_option("--fleet-id", f.fleet_id, "Which pinned fleet the vault belongs to (if the policy pins several)");
  cmd->add_option("--user", f.user, "User id (1..256 bytes)")->required();
  cmd->add_option("--password-file", f.password_file,
                  "File holding the password (one trailing newline stripped); default: read stdin");
  cmd->add_option("--app-key", f.app_key,
                  "Account-authority key file: the CLI mints the app credential itself (stand-in for an app server)");
  cmd->add_option("--credential-file", f.credential_file, "File holding an app-issued credential (hex)");
  cmd->add_option("--argon2-memory-kib", f.argon2.memory_kib,
                  "Argon2id memory in KiB; MUST match the value used at registration")
      ->capture_default_str();
  cmd->add_option("--argon2-iterations", f.argon2.iterations,
                  "Argon2id iterations; MUST match the value used at registration")
      ->capture_default_str();
  cmd->add_option("--argon2-parallelism", f.argon2.parallelism,
                  "Argon2id lanes; MUST match the value used at registration")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", f.timeout_ms, "Per-call deadline")->capture_default_str();
}

}  // namespace

void AddClientBenchCommand(CLI::App* client);  // client_bench.cc

void RegisterClientCommand(CLI::App& app) {
  auto* client = app.add_subcommand(
      "client",
      "Vault client: register, recover or delete a secret; encrypt/decrypt backups with it.\n"
      "Exit codes: 0 ok, 1 usage, 2 trust failure, 3 wrong password (stderr: `attempts remaining: N`),\n"
      "4 locked or not registered, 5 vault unavailable or rate limited, 6 refused by the vault, 7 I/O error.");
  client->require_subcommand(1);
  auto f = std::make_shared<ClientFlags>();

  auto* reg = client->add_subcommand("register", "Store a secret (1..128 bytes) under a password");
  AddCommon(reg, *f);
  reg->add_option("--secret-file", f->secret_file, "File holding the secret (1..128 bytes)")->required();
  reg->add_option("--max-attempts", f->max_attempts, "Wrong guesses before the secret is destroyed (1..255)")
      ->capture_default_str()
      ->check(CLI::Range(1, 255));
  reg->add_flag("--as-authority", f->as_authority,
                 "Use the account-authority credential (may replace an ACTIVE record); without it "
                 "an active record is refused: delete it first");
  reg->callback([f] {
    auto c = MakeClient(*f);
    if (!c) return;
    auto secret = ReadSecretFile(f->secret_file, false);
    auto password = ReadSecretFile(f->password_file, true);
    if (!secret.ok() || !password.ok()) {
      std::fprintf(stderr, "keyward client: %s\n",
                   (!secret.ok() ? secret.status() : password.status()).message().c_str());
      ExitCode() = kExitUsage;
      return;
    }
    Outcome o = c->Register(f->user, *password, *secret,
                            {.max_attempts = f->max_attempts, .as_account_authority = f->as_authority});
    if (o.ok()) std::printf("registered; attempts allowed: %u\n", o.attempts_remaining.value_or(0));
    ExitCode() = Report(o);
  });

  auto* rec = client->add_subcommand("recover", "Recover the secret with the password");
  AddCommon(rec, *f);
  rec->add_option("--out", f->out, "Write the secret to this file (mode 0600); default: hex on stdout");
  rec->add_flag("--reregister", f->reregister,
                "If the record is on a fleet the bundle marks retiring, register the recovered secret again on "
                "the bundle's active fleet (same user, password and --max-attempts)");
  rec->add_option("--max-attempts", f->max_attempts, "With --reregister: guess limit of the new registration")
      ->capture_default_str()
      ->check(CLI::Range(1, 255));
  rec->callback([f] {
    auto secret = RecoverSecret(*f);
    if (!secret) return;
    if (f->out.empty()) {
      std::printf("%s\n", HexEncode(secret->Reveal()).c_str());
    } else if (Status s = WritePrivateFile(f->out, secret->Reveal()); !s.ok()) {
      std::fprintf(stderr, "keyward client: %s\n", s.message().c_str());
      ExitCode() = kExitIo;
    }
  });

  auto* del = client->add_subcommand(
      "delete", "Delete the user's record: proves the password with a recovery first (counted like "
                "a recovery), or with --as-authority uses the account authority and no password");
  AddCommon(del, *f);
  del->add_flag("--as-authority", f->as_authority,
                "Delete with the account-authority credential (--app-key, or an authority "
                "--credential-file) instead of proving the password");
  del->callback([f] {
    auto c = MakeClient(*f);
    if (!c) return;
    Outcome o;
    if (f->as_authority) {
      o = c->DeleteAsAuthority(f->user);
    } else {
      auto password = ReadSecretFile(f->password_file, true);
      if (!password.ok()) {
        std::fprintf(stderr, "keyward client: %s\n", password.status().message().c_str());
        ExitCode() = kExitUsage;
        return;
      }
      o = c->Delete(f->user, *password);
    }
    if (o.ok()) std::printf("%s\n", o.message.c_str());
    ExitCode() = Report(o);
  });

  AddClientBenchCommand(client);

  for (bool backup : {true, false}) {
    auto* cmd = client->add_subcommand(
        backup ? "backup" : "restore",
        backup ? "Recover the secret, then encrypt --in (any size) to --out (XChaCha20-Poly1305 secretstream)"
               : "Recover the secret, then decrypt a backup --in to --out");
    AddCommon(cmd, *f);
    cmd->add_option("--in", f->in, "Input file")->required();
    cmd->add_option("--out", f->out, "Output file")->required();
    cmd->callback([f, backup] {
      auto secret = RecoverSecret(*f);
      if (!secret) return;
      crypto::SecretBytes key = BackupKey(*secret);
      Status s = backup ? EncryptFile(key, f->in, f->out) : DecryptFile(key, f->in, f->out);
      if (!s.ok()) {
        std::fprintf(stderr, "keyward client: %s\n", s.message().c_str());
        ExitCode() = s.code() == ErrorCode::kIoError ? kExitIo : kExitRejected;
      }
    });
  }
}

}  // namespace keyward::cli

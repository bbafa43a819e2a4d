// Fuzzes the vault core's state machine: arbitrary command bytes (a sequence of u16-length-prefixed
// commands) are applied to a populated core. Whatever the bytes, Apply never crashes and the
// invariants hold after every command: attempts never exceed max, locked and deleted records hold
// no secret, pending records were never guessed (core/record.h; VaultCore::CheckInvariants).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/check.h"
#include "core/commands.h"
#include "core/vault_core.h"
#include "crypto/opaque_server_keys.h"
#include "crypto/random.h"
#include "wire/reader.h"

namespace {

using namespace keyward;
using namespace keyward::core;

const crypto::opaque::ServerKeys& Keys() {
  static auto* keys = [] {
    crypto::Init();
    crypto::DeterministicRng rng(1);
    return crypto::opaque::InMemoryServerKeys::Generate(rng).release();
  }();
  return *keys;
}

// Three users: "a" active with 1 guess used, "b" pending, "c" locked; commands name them.
std::unique_ptr<VaultCore> Populated() {
  auto core = VaultCore::Create(Keys(), crypto::SecretBytes(Bytes(32, 7))).value();
  for (const char* id : {"a", "b", "c"}) {
    UploadCommand up;
    up.user_id = ToBytes(id);
    up.epoch = 1;
    up.opaque_record.fill(static_cast<uint8_t>(id[0]));
    up.sealed_secret = Bytes(kSealedSecretMin + 8, 0x5a);
    up.activation_commitment = ActivationCommitment(Bytes(kActivationKeySize, static_cast<uint8_t>(id[0])));
    up.max_attempts = 2;
    KW_CHECK(core->Apply(up).code == ApplyCode::kOk);
  }
  for (const char* id : {"a", "c"}) {
    ActivateCommand act{.user_id = ToBytes(id)};
    act.activation_key.fill(static_cast<uint8_t>(id[0]));
    KW_CHECK(core->Apply(act).code == ApplyCode::kOk);
  }
  KW_CHECK(core->Apply(BeginLoginCommand{ToBytes("a")}).code == ApplyCode::kOk);
  for (int i = 0; i < 3; ++i) (void)core->Apply(BeginLoginCommand{ToBytes("c")});
  KW_CHECK(core->Find(AsBytes("c"))->state == RecordState::kLocked);
  core->CheckInvariants();
  return core;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto core = Populated();
  wire::Reader r({data, size});
  for (int i = 0; i < 64 && !r.empty(); ++i) {
    std::span<const uint8_t> command;
    if (!r.U16Prefixed(&command)) command = r.rest(), (void)r.Skip(r.remaining());
    const auto before = core->StateDigest();
    const ApplyResult result = core->ApplySerialized(command);
    core->CheckInvariants();
    KW_CHECK(result.attempts_used <= result.max_attempts || result.code == ApplyCode::kInvalid ||
             result.max_attempts == 0);
    if (!result.changed) KW_CHECK(core->StateDigest() == before);
    // Every parsed command re-serializes to the same bytes (strict, canonical codec).
    auto parsed = ParseCommand(command);
    if (parsed.ok()) KW_CHECK(SerializeCommand(*parsed) == Bytes(command.begin(), command.end()));
  }
  return 0;
}

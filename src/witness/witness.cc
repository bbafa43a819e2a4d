#include "witness/witness.h"

#include <ctime>

#include <spdlog/spdlog.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "log/durable_file.h"
#include "tlog/checkpoint.h"
#include "wire/reader.h"

namespace keyward::witness {
namespace {

constexpr std::string_view kStateHeader = "keyward-witness-state/v1";

std::string StateFileName(std::string_view origin) {
  return HexEncode(crypto::Sha256(AsBytes(origin))) + ".state";
}

}  // namespace

// Grammar (this file's own format, see witness.h):
//   "keyward-witness-state/v1" LF origin LF decimal-size LF base64-root LF   (nothing after)
StatusOr<WitnessState> ParseWitnessState(std::string_view text) {
  wire::Reader r(AsBytes(text));
  std::span<const uint8_t> header, origin, size, root;
  if (!r.Until('\n', &header) || !r.Until('\n', &origin) || !r.Until('\n', &size) || !r.Until('\n', &root) ||
      !r.Finish()) {
    return InvalidArgument("witness state file must be exactly four lines");
  }
  if (AsChars(header) != kStateHeader) return InvalidArgument("witness state file has an unknown header");
  WitnessState st;
  st.origin = std::string(AsChars(origin));
  ASSIGN_OR_RETURN(st.size, tlog::ParseDecimalU64(AsChars(size)));
  ASSIGN_OR_RETURN(st.root, tlog::HashFromBase64(AsChars(root)));
  return st;
}

std::string FormatWitnessState(const WitnessState& state) {
  return std::string(kStateHeader) + "\n" + state.origin + "\n" + std::to_string(state.size) + "\n" +
         tlog::HashToBase64(state.root) + "\n";
}

StatusOr<std::unique_ptr<Witness>> Witness::Open(const std::filesystem::path& state_dir,
                                                 const std::vector<std::string>& log_vkeys, std::string name,
                                                 std::shared_ptr<const crypto::Ed25519Signer> key, Clock clock) {
  if (!tlog::IsValidKeyName(name)) return InvalidArgument("witness name \"" + name + "\" is not a valid key name");
  if (log_vkeys.empty()) return InvalidArgument("no --log given; a witness needs at least one log verifier key");
  if (!clock) clock = [] { return static_cast<uint64_t>(std::time(nullptr)); };
  RETURN_IF_ERROR(log::MakeDirs(state_dir));
  std::unique_ptr<Witness> w(new Witness(tlog::Cosigner(std::move(name), std::move(key)), std::move(clock)));
  for (const auto& vkey : log_vkeys) {
    auto v = tlog::Ed25519NoteVerifier::FromVerifierKey(vkey);
    if (!v.ok()) return v.status().WithContext("--log " + vkey);
    auto& slot = w->logs_[(*v)->name()];
    if (!slot) {
      slot = std::make_unique<Slot>();
      slot->origin = (*v)->name();
      slot->path = state_dir / StateFileName(slot->origin);
      slot->state.root = tlog::EmptyTreeHash();
    }
    slot->state.log_keys.Add(*v);
  }
  for (auto& [origin, slot] : w->logs_) RETURN_IF_ERROR(w->LoadState(*slot));
  return w;
}

Status Witness::LoadState(Slot& slot) {
  auto text = log::ReadFileText(slot.path, 4096);
  if (!text.ok()) {
    if (text.status().code() == ErrorCode::kNotFound) return Status::Ok();
    return text.status();
  }
  auto st = ParseWitnessState(*text);
  if (!st.ok()) return st.status().WithContext("state file " + slot.path.string() + " is corrupt; restore it from a backup");
  if (st->origin != slot.origin) return IoError("state file " + slot.path.string() + " belongs to another origin");
  slot.state.size = st->size;
  slot.state.root = st->root;
  return Status::Ok();
}

Status Witness::SaveState(const Slot& slot, uint64_t size, const tlog::Hash& root) {
  WitnessState st{slot.origin, size, root};
  return log::WriteFileDurably(slot.path, AsBytes(FormatWitnessState(st)));
}

uint64_t Witness::CosignedSize(std::string_view origin) const {
  auto it = logs_.find(origin);
  if (it == logs_.end()) return 0;
  std::lock_guard<std::mutex> l(it->second->mu);
  return it->second->state.size;
}

WitnessResponse Witness::AddCheckpoint(std::string_view body) {
  // Find the log first so that evaluation and persistence happen under its lock.
  Slot* slot = nullptr;
  if (auto req = tlog::ParseAddCheckpointRequest(body); req.ok()) {
    std::string_view origin = std::string_view(req->checkpoint).substr(0, req->checkpoint.find('\n'));
    if (auto it = logs_.find(origin); it != logs_.end()) slot = it->second.get();
  }
  std::unique_lock<std::mutex> lock;
  if (slot) lock = std::unique_lock<std::mutex>(slot->mu);
  auto decision = tlog::EvaluateAddCheckpoint(body, [&](std::string_view origin) -> const tlog::WitnessedLog* {
    return slot && origin == slot->origin ? &slot->state : nullptr;
  });
  WitnessResponse res;
  res.status = decision.http_status;
  if (decision.http_status == 409) {
    res.body = std::to_string(decision.conflict_size) + "\n";
    res.content_type = "text/x.tlog.size";
    return res;
  }
  if (decision.http_status != 200) {
    res.body = decision.message + "\n";
    return res;
  }
  KW_CHECK(slot != nullptr && decision.checkpoint.has_value());
  const auto& cp = decision.checkpoint->checkpoint;
  // Persist BEFORE cosigning: a cosignature is only ever issued for durable state.
  if (Status st = SaveState(*slot, cp.size, cp.root); !st.ok()) {
    spdlog::error("event=state_write_failed origin={} error=\"{}\"", slot->origin, st.ToString());
    return {500, "the witness could not persist its state; try again later\n"};
  }
  slot->state.size = cp.size;
  slot->state.root = cp.root;
  auto sig = cosigner_.Cosign(decision.checkpoint->body, clock_());
  if (!sig.ok()) {
    spdlog::error("event=cosign_failed origin={} error=\"{}\"", slot->origin, sig.status().ToString());
    return {500, "the witness could not sign; try again later\n"};
  }
  spdlog::info("event=cosigned origin={} size={}", slot->origin, cp.size);
  res.body = tlog::FormatSignatureLine(*sig);
  return res;
}

}  // namespace keyward::witness

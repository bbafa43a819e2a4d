#include "log/log_verifier.h"

#include <set>

#include "log/durable_file.h"
#include "log/http_util.h"
#include "tlog/cosignature.h"

namespace keyward::log {

StatusOr<std::vector<Bytes>> HttpTileReader::ReadTiles(std::span<const tlog::Tile> tiles) const {
  std::vector<Bytes> out;
  out.reserve(tiles.size());
  for (const auto& t : tiles) {
    std::string url = base_ + "/" + tlog::TilePath(t);
    ASSIGN_OR_RETURN(HttpResult r, HttpGet(url));
    if (r.status != 200) return Unavailable("GET " + url + ": HTTP " + std::to_string(r.status));
    out.push_back(ToBytes(r.body));
  }
  return out;
}

namespace {

Status CheckFull(const std::string& base, const tlog::Checkpoint& cp,
                 const std::function<void(uint64_t, uint64_t)>& progress) {
  HttpTileReader reader(base);
  std::vector<tlog::Hash> leaves;
  leaves.reserve(cp.size);
  for (uint64_t n = 0; n * tlog::kTileWidth < cp.size; ++n) {
    tlog::Tile t;
    t.level = -1;
    t.entries = true;
    t.n = n;
    t.width = static_cast<uint32_t>(std::min<uint64_t>(tlog::kTileWidth, cp.size - n * tlog::kTileWidth));
    ASSIGN_OR_RETURN(auto data, reader.ReadTiles(std::span<const tlog::Tile>(&t, 1)));
    auto entries = tlog::ParseEntryBundle(data[0], t.width);
    if (!entries.ok()) return entries.status().WithContext("entry bundle " + tlog::TilePath(t));
    for (const auto& e : *entries) leaves.push_back(tlog::LeafHash(e));
    if (progress) progress(leaves.size(), cp.size);
  }
  if (tlog::RootFromLeafHashes(leaves) != cp.root) {
    return AuthenticationFailed("the entries served by the log do not hash to the checkpoint root");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<LogVerifyReport> VerifyLog(const LogVerifyOptions& o) {
  ASSIGN_OR_RETURN(SplitUrl u, ParseHttpUrl(o.url));
  std::string base = u.origin + u.path;
  ASSIGN_OR_RETURN(auto log_key, tlog::Ed25519NoteVerifier::FromVerifierKey(o.vkey));
  tlog::NoteVerifierSet log_keys({log_key});
  tlog::NoteVerifierSet witness_keys;
  if (o.policy) witness_keys = o.policy->WitnessVerifiers();

  ASSIGN_OR_RETURN(HttpResult res, HttpGet(base + "/checkpoint"));
  if (res.status != 200) return Unavailable("GET " + base + "/checkpoint: HTTP " + std::to_string(res.status));
  auto cp = tlog::OpenCheckpoint(res.body, log_keys, witness_keys);
  if (!cp.ok()) return cp.status().WithContext("the log's checkpoint");
  LogVerifyReport report;
  report.checkpoint = cp->checkpoint;
  if (o.policy) {
    report.witnesses = o.policy->WitnessNamesFor(cp->cosignatures);
    std::set<std::string> present(report.witnesses.begin(), report.witnesses.end());
    if (!o.policy->QuorumSatisfied(present)) {
      return AuthenticationFailed("the checkpoint lacks the witness quorum \"" + o.policy->quorum() + "\" (" +
                                  std::to_string(present.size()) + " verified cosignatures)");
    }
  }

  if (!o.state_path.empty()) {
    auto old_note = ReadFileText(o.state_path, tlog::kMaxNoteBytes);
    if (old_note.ok()) {
      auto old = tlog::OpenCheckpoint(*old_note, log_keys, tlog::NoteVerifierSet());
      if (!old.ok()) return old.status().WithContext("state file " + o.state_path);
      const auto& oc = old->checkpoint;
      const auto& nc = cp->checkpoint;
      if (nc.size < oc.size) {
        return AuthenticationFailed("the log rolled back from size " + std::to_string(oc.size) + " to " +
                                    std::to_string(nc.size) + "; keep the state file as evidence");
      }
      HttpTileReader tiles(base);
      tlog::TileHashReader hashes(nc.size, tiles);
      std::vector<tlog::Hash> proof;
      if (oc.size > 0 && oc.size < nc.size) {
        ASSIGN_OR_RETURN(proof, tlog::ConsistencyProof(oc.size, nc.size, hashes));
      }
      Status st = tlog::VerifyConsistency(oc.size, nc.size, oc.root, nc.root, proof,
                                          tlog::ConsistencyFromZero::kAcceptEmptyProof);
      if (!st.ok()) {
        return AuthenticationFailed("the log's checkpoint (size " + std::to_string(nc.size) +
                                    ") is NOT consistent with the one in the state file (size " +
                                    std::to_string(oc.size) + "): " + st.message() +
                                    "; keep both notes as evidence of a fork");
      }
      report.consistent_from = oc.size;
    } else if (old_note.status().code() != ErrorCode::kNotFound) {
      return old_note.status();
    }
  }
  if (o.full) {
    RETURN_IF_ERROR(CheckFull(base, cp->checkpoint, o.progress));
    report.full_checked = true;
  }
  if (!o.state_path.empty()) {
    RETURN_IF_ERROR(WriteFileDurably(o.state_path, AsBytes(res.body)));
  }
  return report;
}

}  // namespace keyward::log

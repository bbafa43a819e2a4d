// Feeds arbitrary bytes as authenticated peer messages (plus ticks, proposals and reads) into a
// Raft core. It must never crash, and its invariants must hold whatever a peer sends: the commit
// index never goes backwards or past the log, applied ≤ commit, terms never decrease.
//
// input := u8 boot (even: founder, odd: joiner) ‖ { u8 op ‖ u16 len ‖ bytes[len] }*
//   op % 4 == 0: Receive(from = 2 + (op >> 2) % 2, bytes)   1: Tick   2: Propose(bytes)   3: ReadIndex
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/raft/raft.h"
#include "crypto/random.h"
#include "wire/reader.h"

namespace {

class NullMachine final : public keyward::raft::StateMachine {
 public:
  keyward::Bytes Apply(uint64_t, keyward::ByteSpan) override { return {}; }
  keyward::Bytes Snapshot() const override { return {1, 2, 3}; }
  keyward::Status Restore(keyward::ByteSpan) override { return keyward::Status::Ok(); }
};

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  static bool init = [] {
    crypto::Init();
    return true;
  }();
  (void)init;
  wire::Reader r({data, size});
  uint8_t boot;
  if (!r.U8(&boot)) return 0;
  crypto::DeterministicRng rng(7);
  NullMachine sm;
  raft::RaftOptions o;
  o.id = 1;
  o.manifest = {1, 2, 3};
  o.snapshot_threshold = 4;
  raft::Raft node(o, rng, sm, boot % 2 == 0 ? raft::Raft::Boot::kFounder : raft::Raft::Boot::kJoiner);
  uint64_t term = node.term(), commit = node.commit_index();
  for (int steps = 0; steps < 256 && !r.empty(); ++steps) {
    uint8_t op;
    std::span<const uint8_t> bytes;
    if (!r.U8(&op) || !r.U16Prefixed(&bytes)) break;
    switch (op % 4) {
      case 0: (void)node.Receive(static_cast<raft::NodeId>(2 + (op >> 2) % 2), bytes); break;
      case 1: node.Tick(); break;
      case 2: (void)node.Propose(Bytes(bytes.begin(), bytes.end())); break;
      case 3: (void)node.ReadIndex(op); break;
    }
    (void)node.TakeOutbox();
    (void)node.TakeEffects();
    Require(node.term() >= term);
    Require(node.commit_index() >= commit);
    Require(node.commit_index() <= node.log().last_index());
    Require(node.applied_index() <= node.commit_index());
    term = node.term();
    commit = node.commit_index();
  }
  return 0;
}

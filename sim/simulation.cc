#include "sim/simulation.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <queue>
#include <set>
#include <unordered_set>
#include <vector>

#include "core/raft/messages.h"
#include "core/raft/peer_channel.h"
#include "core/raft/raft.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "sim/checker.h"
#include "sim/vault_model.h"
#include "wire/writer.h"

namespace keyward::sim {
namespace {

using raft::NodeId;

constexpr int kClients = 3;
constexpr uint32_t kUsers = 3;
constexpr uint8_t kMaxAttempts = 3;
constexpr size_t kReplayBuffer = 64;
constexpr size_t kMaxHistory = 4000;

struct Packet {
  uint64_t time = 0;
  uint64_t order = 0;
  NodeId from = 0, to = 0;
  Bytes bytes;
  bool tampered = false;
};
struct Later {
  bool operator()(const Packet& a, const Packet& b) const {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }
};

struct Node {
  NodeId id = 0;
  bool up = false;
  uint64_t boots = 0;
  uint64_t tick_period = 10;
  uint64_t next_tick = 0;
  uint64_t down_until = 0;
  uint64_t last_base = 0;
  std::unique_ptr<crypto::DeterministicRng> rng;
  std::unique_ptr<VaultModel> sm;
  std::unique_ptr<raft::Raft> raft;
  std::unique_ptr<raft::PeerChannel> chan;
};

struct Client {
  uint32_t id = 0;
  uint64_t next_seq = 1;
  bool busy = false;
  HistoryOp op;
  Command cmd;
  NodeId target = 0;
  NodeId hint = 0;
  uint64_t deadline = 0;
  uint64_t read_id = 0;
  uint64_t next_action = 0;
};

// Fault rates for one run, all drawn from the seed.
struct Faults {
  uint32_t loss = 0, dup = 0, tamper = 0, replay = 0, response_loss = 0;  // per mille
  uint64_t max_delay = 1;
  uint32_t partition_rate = 0, crash_rate = 0, drift_rate = 0;  // per 10'000 steps
  // Silent-member removal (RaftOptions::remove_silent_after_ticks; 0 = off), drawn from a hash of
  // the seed rather than the main stream, so that runs without it replay exactly as before.
  uint32_t remove_silent_after_ticks = 0;
};

class Sim {
 public:
  explicit Sim(const SimOptions& o);
  SimResult Run();

 private:
  uint64_t Next();  // xoshiro-like fast stream seeded from DeterministicRng(seed)
  uint64_t Rand(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool PerMille(uint32_t p) { return Rand(1000) < p; }
  bool Per10k(uint32_t p) { return Rand(10000) < p; }
  void Trace(uint64_t kind, uint64_t a = 0, uint64_t b = 0);
  void Fail(const std::string& why);
  void Log(const std::string& s) const;

  void Boot(Node& n, bool founder);
  void Crash(Node& n);
  bool CanCrash(const Node& n) const;
  bool Cut(NodeId id) const;
  void InjectFaults();
  void Send(NodeId from, NodeId to, Bytes bytes, bool allow_faults = true);
  void Deliver();
  void TickNodes();
  void RunClients();
  void Submit(Client& c);
  void Complete(Client& c);
  void Flush(Node& n);
  void HandleEffects(Node& n, std::vector<raft::Effect> effects);
  void CheckNodes();
  bool Healed() const;
  std::string DescribeFleet() const;
  Node* UpNode(NodeId id);

  SimOptions opt_;
  SimResult result_;
  uint64_t s_[4] = {};
  uint64_t now_ = 0;
  uint64_t order_ = 0;
  Faults f_;
  std::vector<Node> nodes_;
  std::map<NodeId, raft::KxPublicKey> manifest_;
  std::priority_queue<Packet, std::vector<Packet>, Later> net_;
  std::vector<std::vector<bool>> blocked_;  // [from][to]
  uint64_t heal_at_ = 0;
  // Per node: until when it still counts as cut off after a partition that cut it healed
  // (Cut()): the leader may not have heard from it yet.
  std::vector<uint64_t> cut_until_;
  std::vector<Packet> replay_buffer_;
  std::unordered_set<uint64_t> accepted_;  // (to, envelope) fingerprints accepted once
  std::vector<Client> clients_;
  std::vector<HistoryOp> history_;
  uint64_t next_read_id_ = 1;
  Checker checker_;
  bool healing_ = false;
  raft::Membership last_logged_config_;
};

uint64_t Fnv(uint64_t h, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t Fingerprint(NodeId to, const Bytes& b) {
  uint64_t h = Fnv(14695981039346656037ull, to);
  for (uint8_t x : b) {
    h ^= x;
    h *= 1099511628211ull;
  }
  return h;
}

Sim::Sim(const SimOptions& o) : opt_(o) {
  crypto::DeterministicRng seed_rng(o.seed);
  for (uint64_t& s : s_) {
    auto b = seed_rng.Array<8>();
    for (uint8_t x : b) s = (s << 8) | x;
  }
  result_.trace_hash = 14695981039346656037ull;
  f_.loss = static_cast<uint32_t>(Rand(150));
  f_.dup = static_cast<uint32_t>(Rand(100));
  f_.tamper = static_cast<uint32_t>(Rand(10));
  f_.replay = static_cast<uint32_t>(Rand(30));
  f_.response_loss = static_cast<uint32_t>(Rand(200));
  f_.max_delay = 1 + Rand(40);
  f_.partition_rate = static_cast<uint32_t>(Rand(30));
  f_.crash_rate = static_cast<uint32_t>(Rand(20));
  f_.drift_rate = static_cast<uint32_t>(Rand(50));
  if (o.remove_silent_after_ticks < 0) {
    uint64_t h = Fnv(Fnv(14695981039346656037ull, o.seed), 0x5113e7);
    if (h % 2 == 1) f_.remove_silent_after_ticks = static_cast<uint32_t>(30 + (h >> 8) % 150);
  } else {
    f_.remove_silent_after_ticks = static_cast<uint32_t>(o.remove_silent_after_ticks);
  }
  nodes_.resize(static_cast<size_t>(o.nodes));
  blocked_.assign(nodes_.size() + 1, std::vector<bool>(nodes_.size() + 1, false));
  cut_until_.assign(nodes_.size() + 1, 0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    NodeId id = static_cast<NodeId>(i + 1);
    nodes_[i].id = id;
    wire::Writer w;
    w.Text("keyward sim identity").U64(o.seed).U32(id);
    manifest_[id] = raft::KxKeyPair::FromSeed(crypto::Sha256(w.bytes())).public_key;
  }
  for (int i = 0; i < kClients; ++i) clients_.push_back(Client{.id = static_cast<uint32_t>(i + 1)});
}

uint64_t Sim::Next() {  // xoshiro256**
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void Sim::Trace(uint64_t kind, uint64_t a, uint64_t b) {
  result_.trace_hash = Fnv(Fnv(Fnv(Fnv(result_.trace_hash, now_), kind), a), b);
}

void Sim::Fail(const std::string& why) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.failure = "step " + std::to_string(now_) + ": " + why;
}

void Sim::Log(const std::string& s) const {
  if (opt_.verbose) std::fprintf(stderr, "[%6llu] %s\n", static_cast<unsigned long long>(now_), s.c_str());
}

Node* Sim::UpNode(NodeId id) {
  if (id == 0 || id > nodes_.size()) return nullptr;
  Node& n = nodes_[id - 1];
  return n.up ? &n : nullptr;
}

void Sim::Boot(Node& n, bool founder) {
  ++n.boots;
  wire::Writer w;
  w.Text("keyward sim node rng").U64(opt_.seed).U32(n.id).U64(n.boots);
  n.rng = std::make_unique<crypto::DeterministicRng>(crypto::Sha256(w.bytes()));
  n.sm = std::make_unique<VaultModel>();
  raft::RaftOptions ro;
  ro.id = n.id;
  for (const auto& [id, pk] : manifest_) ro.manifest.push_back(id);
  ro.snapshot_threshold = 64;  // small, so catch-up by snapshot happens often
  ro.max_entries_per_append = 16;
  // Never shrink below the manifest's majority (the fleet's configured quorum, as the node does).
  ro.min_voters = static_cast<uint32_t>(manifest_.size() / 2 + 1);
  ro.remove_silent_after_ticks = f_.remove_silent_after_ticks;
  n.raft = std::make_unique<raft::Raft>(ro, *n.rng, *n.sm, founder ? raft::Raft::Boot::kFounder : raft::Raft::Boot::kJoiner);
  wire::Writer kw;
  kw.Text("keyward sim identity").U64(opt_.seed).U32(n.id);
  n.chan = std::make_unique<raft::PeerChannel>(n.id, raft::KxKeyPair::FromSeed(crypto::Sha256(kw.bytes())),
                                               manifest_, *n.rng);
  n.up = true;
  n.last_base = 0;
  n.tick_period = 8 + Rand(5);
  n.next_tick = now_ + 1 + Rand(n.tick_period);
  Trace(1, n.id, n.boots);
  Log("boot node " + std::to_string(n.id) + (founder ? " (founder)" : " (joiner)") + " incarnation " +
      std::to_string(n.raft->incarnation() % 1000));
}

void Sim::Crash(Node& n) {
  n.up = false;
  n.raft.reset();
  n.chan.reset();
  n.sm.reset();
  n.rng.reset();
  n.down_until = now_ + 50 + Rand(1500);
  ++result_.crashes;
  Trace(2, n.id);
  Log("crash node " + std::to_string(n.id));
}

// The simulator never kills a quorum (that loses data by design, docs/replication.md): a node may
// crash only if, in every configuration an up node holds, the voters other than it that are up in
// their listed incarnation still form a majority.
// With silent-member removal on, a member cut off by a partition is as good as failed: the leader
// may remove it, and a crash among the survivors of the smaller configuration is then the loss of
// a majority (f+1 failures at once: one partition, one crash; docs/replication.md §6). So is a
// member whose partition has just healed, until the leader has surely heard from it: a leader that
// has not may still remove it (seed 234002: removed 16 steps after the heal, just as the other
// follower crashed, leaving {leader, dead incarnation}).
bool Sim::Cut(NodeId id) const {
  if (now_ < cut_until_[id]) return true;
  for (size_t b = 1; b < blocked_.size(); ++b) {
    if (blocked_[id][b] || blocked_[b][id]) return true;
  }
  return false;
}

bool Sim::CanCrash(const Node& victim) const {
  // Every configuration some up node may act on (committed or not) must keep a quorum.
  for (const Node& holder : nodes_) {
    if (!holder.up || holder.raft->config().members.empty()) continue;
    const raft::Membership& cfg = holder.raft->config();
    // Pessimistic: the victim counts as a voter even if it is a learner or not yet a member,
    // because the leader may promote it from an ack it sent just before dying.
    // So does a learner that is already down: the leader may promote it from an ack it sent just
    // before it died (seed 416120, 5 nodes: learner 3 died, voter 2 crashed 8 steps later, and 3
    // was promoted after that, leaving voters {1, 2, 3, 5} with two dead).
    size_t healthy = 0;
    size_t voters = cfg.IsVoter(victim.id, victim.raft->incarnation()) ? 0 : 1;
    for (const raft::Member& m : cfg.members) {
      if (!m.voter) {
        const Node& n = nodes_[m.id - 1];
        if (m.id != victim.id && !(n.up && n.raft->incarnation() == m.incarnation)) ++voters;
        continue;
      }
      ++voters;
      if (m.id == victim.id) continue;
      const Node& n = nodes_[m.id - 1];
      if (n.up && n.raft->incarnation() == m.incarnation && !(f_.remove_silent_after_ticks != 0 && Cut(m.id))) {
        ++healthy;
      }
    }
    if (healthy < voters / 2 + 1) return false;
  }
  return true;
}

void Sim::InjectFaults() {
  if (healing_) return;
  if (heal_at_ != 0 && now_ >= heal_at_) {
    // Two election timeouts at the slowest clock, plus the longest delay: heartbeats go out every
    // 2 ticks, so the leader hears a healed member well within that unless many are lost.
    const uint64_t grace = 2 * raft::RaftOptions{}.election_timeout_max_ticks * 14 + f_.max_delay;
    for (NodeId id = 1; id < cut_until_.size(); ++id) {
      if (Cut(id)) cut_until_[id] = now_ + grace;
    }
    for (auto& row : blocked_) std::fill(row.begin(), row.end(), false);
    heal_at_ = 0;
    Trace(3);
    Log("partition healed");
  }
  size_t n = nodes_.size();
  if (heal_at_ == 0 && Per10k(f_.partition_rate)) {
    uint64_t kind = Rand(3);
    if (kind == 0) {  // split into two sides
      uint64_t mask = 1 + Rand((1ull << n) - 2);
      for (size_t a = 1; a <= n; ++a) {
        for (size_t b = 1; b <= n; ++b) blocked_[a][b] = ((mask >> (a - 1)) & 1) != ((mask >> (b - 1)) & 1);
      }
    } else if (kind == 1) {  // one-way link failures
      for (int i = 0; i < 1 + static_cast<int>(Rand(3)); ++i) blocked_[1 + Rand(n)][1 + Rand(n)] = true;
    } else {  // isolate one node (both directions)
      size_t v = 1 + Rand(n);
      for (size_t b = 1; b <= n; ++b) blocked_[v][b] = blocked_[b][v] = true;
    }
    heal_at_ = now_ + 50 + Rand(1500);
    Trace(4, kind);
    Log("partition kind " + std::to_string(kind));
  }
  if (Per10k(f_.crash_rate)) {
    Node& victim = nodes_[Rand(n)];
    if (victim.up && CanCrash(victim)) Crash(victim);
  }
  for (Node& node : nodes_) {
    if (node.up && Per10k(f_.drift_rate)) node.tick_period = 7 + Rand(7);  // clock drift
  }
  if (!replay_buffer_.empty() && PerMille(f_.replay)) {  // the host replays a recorded envelope
    Packet p = replay_buffer_[Rand(replay_buffer_.size())];
    p.time = now_ + 1 + Rand(f_.max_delay);
    p.order = ++order_;
    net_.push(std::move(p));
  }
}

void Sim::Send(NodeId from, NodeId to, Bytes bytes, bool allow_faults) {
  ++result_.messages;
  if (allow_faults && !healing_ && PerMille(f_.loss)) return;
  Packet p{now_ + 1 + Rand(f_.max_delay), ++order_, from, to, std::move(bytes), false};
  if (!healing_) {
    if (replay_buffer_.size() < kReplayBuffer) {
      replay_buffer_.push_back(p);
    } else if (PerMille(100)) {
      replay_buffer_[Rand(kReplayBuffer)] = p;
    }
    if (PerMille(f_.dup)) {
      Packet d = p;
      d.time = now_ + 1 + Rand(f_.max_delay);
      d.order = ++order_;
      net_.push(std::move(d));
    }
    if (PerMille(f_.tamper) && !p.bytes.empty()) {
      Packet t = p;
      t.bytes[Rand(t.bytes.size())] ^= static_cast<uint8_t>(1u << Rand(8));
      t.tampered = true;
      t.order = ++order_;
      net_.push(std::move(t));
    }
  }
  net_.push(std::move(p));
}

void Sim::Deliver() {
  while (!net_.empty() && net_.top().time <= now_) {
    Packet p = net_.top();
    net_.pop();
    Node* dst = UpNode(p.to);
    if (dst == nullptr || blocked_[p.from][p.to]) continue;
    StatusOr<raft::PeerChannel::Opened> opened = dst->chan->Open(p.bytes);
    if (!opened.ok()) {
      if (healing_) Log("node " + std::to_string(p.to) + " refused an envelope from " + std::to_string(p.from) +
                        ": " + opened.status().ToString());
      ++result_.rejected_envelopes;
      continue;
    }
    if (p.tampered) return Fail("a tampered envelope from " + std::to_string(p.from) + " was accepted");
    // Within one life of the receiver no envelope may be accepted twice. (A hello recorded before a
    // receiver restart may be accepted again by its next life: it carries no payload, peer_channel.h.)
    if (!accepted_.insert(Fnv(Fingerprint(p.to, p.bytes), dst->boots)).second) {
      return Fail("an envelope was accepted twice by node " + std::to_string(p.to) + " (replay not detected)");
    }
    Trace(5, p.from * 16 + p.to, p.bytes.size());
    if (!opened->hello) {
      Status st = dst->raft->Receive(opened->from, opened->plaintext);
      if (!st.ok() && healing_) Log("node " + std::to_string(p.to) + " raft refused a message: " + st.ToString());
    }
  }
}

void Sim::TickNodes() {
  for (Node& n : nodes_) {
    if (!n.up && n.down_until != 0 && now_ >= n.down_until) Boot(n, false);
    if (n.up && now_ >= n.next_tick) {
      n.raft->Tick();
      n.next_tick = now_ + n.tick_period;
    }
  }
}

void Sim::Submit(Client& c) {
  Node* n = UpNode(c.hint);
  if (n == nullptr || n->raft->role() != raft::Role::kLeader) {
    // Clients do not know the leader: they try the hint, else a random node.
    if (n == nullptr) n = UpNode(static_cast<NodeId>(1 + Rand(nodes_.size())));
  }
  c.deadline = now_ + 20;
  if (n == nullptr) return;
  c.target = n->id;
  if (c.op.read) {
    c.read_id = next_read_id_++;
    Status s = n->raft->ReadIndex(c.read_id);
    if (s.ok()) {
      c.deadline = now_ + 400;
    } else {
      c.hint = n->raft->leader();
    }
    return;
  }
  StatusOr<uint64_t> idx = n->raft->Propose(c.cmd.Encode());
  if (idx.ok()) {
    c.deadline = now_ + 400;
    Trace(6, c.id, c.cmd.seq);
  } else {
    c.hint = n->raft->leader();
  }
}

void Sim::RunClients() {
  for (Client& c : clients_) {
    if (c.busy) {
      if (now_ >= c.deadline) {
        c.hint = c.hint == c.target ? 0 : c.hint;  // retry (same request id) elsewhere
        Submit(c);
      }
      continue;
    }
    if (now_ < c.next_action || (history_.size() >= kMaxHistory && !healing_)) continue;
    if (!healing_ && PerMille(20) && c.next_seq > 2) {
      // A malicious or buggy client replays an old request: must be refused as stale or answered
      // from the session table, never applied again.
      Command old = c.cmd;
      old.seq = 1 + Rand(c.next_seq - 1);
      for (Node& n : nodes_) {
        if (n.up && n.raft->role() == raft::Role::kLeader) (void)n.raft->Propose(old.Encode());
      }
    }
    c.busy = true;
    c.op = HistoryOp{};
    c.op.client = c.id;
    c.op.user = static_cast<uint32_t>(1 + Rand(kUsers));
    c.op.invoke = now_;
    uint64_t r = Rand(100);
    c.op.read = r < 15;
    if (!c.op.read) {
      c.cmd = Command{c.id, c.next_seq++, r < 25 ? Op::kRegister : r < 85 ? Op::kAttempt : Op::kSuccess,
                      c.op.user, kMaxAttempts};
      c.op.seq = c.cmd.seq;
    }
    Submit(c);
  }
}

void Sim::Complete(Client& c) {
  c.op.complete = now_;
  c.busy = false;
  c.next_action = now_ + Rand(60);
  history_.push_back(c.op);
  ++result_.ops_completed;
  Trace(7, c.id, c.op.seq);
}

void Sim::HandleEffects(Node& n, std::vector<raft::Effect> effects) {
  for (raft::Effect& fx : effects) {
    if (fx.kind == raft::Effect::Kind::kApplied) {
      std::string err = checker_.OnApplied(n.id, fx);
      if (!err.empty()) return Fail(err);
      if (fx.entry_type != raft::EntryType::kCommand) continue;
      std::optional<Command> cmd = Command::Decode(fx.command);
      if (!cmd || cmd->client == 0 || cmd->client > clients_.size()) continue;
      Client& c = clients_[cmd->client - 1];
      if (!c.busy || c.op.read || c.target != n.id || c.cmd.seq != cmd->seq) continue;
      if (PerMille(f_.response_loss) && !healing_) continue;  // the reply is lost; the client will retry
      c.op.result = Result::Decode(fx.result);
      Complete(c);
      continue;
    }
    for (Client& c : clients_) {
      if (!c.busy || !c.op.read || c.read_id != fx.read_id || c.target != n.id) continue;
      if (fx.kind == raft::Effect::Kind::kReadFailed) {
        c.deadline = now_;
        continue;
      }
      c.op.value = n.sm->Read(c.op.user);
      c.op.read_at = n.raft->applied_index();
      Complete(c);
    }
  }
}

void Sim::Flush(Node& n) {
  for (raft::Message& m : n.raft->TakeOutbox()) {
    Bytes env = n.chan->Seal(m.to, raft::EncodeMessage(m));
    Send(n.id, m.to, std::move(env));
  }
  for (auto& [to, env] : n.chan->TakeControl()) Send(n.id, to, std::move(env));
  HandleEffects(n, n.raft->TakeEffects());
}

void Sim::CheckNodes() {
  for (Node& n : nodes_) {
    if (!n.up) continue;
    const raft::RaftLog& log = n.raft->log();
    if (log.base_index() != n.last_base) {
      std::string err = checker_.OnSnapshotBase(n.id, log.base_index(), log.base_hash());
      if (!err.empty()) return Fail(err);
      n.last_base = log.base_index();
    }
    if (n.raft->role() == raft::Role::kLeader) {
      if (opt_.verbose && n.raft->config() != last_logged_config_) {
        last_logged_config_ = n.raft->config();
        std::string c;
        for (const raft::Member& m : last_logged_config_.members) {
          c += " " + std::to_string(m.id) + (m.voter ? "v:" : "l:") + std::to_string(m.incarnation % 1000);
        }
        Log("leader " + std::to_string(n.id) + " term " + std::to_string(n.raft->term()) + " config" + c);
      }
      std::string err = checker_.OnLeader(n.id, n.raft->term());
      if (!err.empty()) return Fail(err);
    }
  }
}

bool Sim::Healed() const {
  const Node* leader = nullptr;
  for (const Node& n : nodes_) {
    if (!n.up) return false;
    if (n.raft->role() == raft::Role::kLeader) leader = &n;
  }
  if (leader == nullptr) return false;
  for (const Node& n : nodes_) {
    if (!leader->raft->config().IsVoter(n.id, n.raft->incarnation())) return false;
    if (n.raft->applied_index() < leader->raft->commit_index()) return false;
  }
  return true;
}

std::string Sim::DescribeFleet() const {
  std::string out;
  for (const Node& n : nodes_) {
    out += "\n  node " + std::to_string(n.id);
    if (!n.up) {
      out += " down";
      continue;
    }
    const raft::Raft& r = *n.raft;
    out += std::string(" ") + raft::RoleName(r.role()) + " term=" + std::to_string(r.term()) +
           " leader=" + std::to_string(r.leader()) + " last=" + std::to_string(r.log().last_index()) +
           " commit=" + std::to_string(r.commit_index()) + " applied=" + std::to_string(r.applied_index()) +
           " inc=" + std::to_string(r.incarnation() % 1000) + " config={";
    for (const raft::Member& m : r.config().members) {
      out += std::to_string(m.id) + (m.voter ? "v" : "l") + ":" + std::to_string(m.incarnation % 1000) + " ";
    }
    out += "}";
  }
  return out;
}

SimResult Sim::Run() {
  Log("faults: loss=" + std::to_string(f_.loss) + " dup=" + std::to_string(f_.dup) +
      " delay<=" + std::to_string(f_.max_delay) + " partitions=" + std::to_string(f_.partition_rate) +
      " crashes=" + std::to_string(f_.crash_rate) +
      " remove_silent_after=" + std::to_string(f_.remove_silent_after_ticks));
  Boot(nodes_[0], /*founder=*/true);
  for (size_t i = 1; i < nodes_.size(); ++i) Boot(nodes_[i], /*founder=*/false);
  uint64_t end = opt_.steps + opt_.liveness_steps;
  uint64_t probe_seq = 0;
  for (now_ = 1; now_ <= end && result_.ok; ++now_) {
    if (now_ == opt_.steps) {
      // Liveness phase: heal everything, restart every crashed core, stop all faults.
      healing_ = true;
      for (auto& row : blocked_) std::fill(row.begin(), row.end(), false);
      for (Node& n : nodes_) {
        if (!n.up) Boot(n, false);
      }
      probe_seq = clients_[0].next_seq;
      Log("liveness phase");
    }
    InjectFaults();
    Deliver();
    TickNodes();
    RunClients();
    for (Node& n : nodes_) {
      if (n.up) Flush(n);
    }
    CheckNodes();
    if (healing_ && Healed() && !clients_[0].busy && clients_[0].next_seq > probe_seq + 1) break;
  }
  if (result_.ok && now_ > end) {
    Fail("liveness: the healed fleet did not reach a leader with every node a caught-up voter and a newly "
         "committed client command within " + std::to_string(opt_.liveness_steps) + " steps" +
         DescribeFleet());
  }
  if (result_.ok) {
    std::string err = checker_.CheckHistory(history_);
    if (!err.empty()) Fail(err);
  }
  if (result_.ok) {
    Bytes oracle = checker_.oracle().Snapshot();
    for (Node& n : nodes_) {
      if (n.up && n.raft->applied_index() == checker_.committed() && n.sm->Snapshot() != oracle) {
        Fail("node " + std::to_string(n.id) + " state differs from the oracle at the same index");
      }
    }
  }
  result_.committed = checker_.committed();
  result_.elections = checker_.terms_with_leader();
  result_.releases = checker_.releases();
  return result_;
}

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  Sim sim(options);
  return sim.Run();
}

}  // namespace keyward::sim

// The async engine of `keyward fleet bench` (fleet_bench.h): `concurrency` recoveries in flight,
// driven by `threads` threads that each own a grpc::CompletionQueue and a Worker. Completion-queue
// API, not the callback API: on gRPC 1.51 the callback API hands every completion to internal
// "nexting" threads (src/node/vault_async.h); here the thread that polls the queue runs the client's
// OPAQUE work where the event arrived.
//
// Each recovery is a Slot, a small state machine over one Vault.Recover bidi stream (the SDK's
// default call, src/client/sdk.cc, with the same fields, checks and call options):
//   kKe1:       Write(start: account + KE1, headers corked into it) and Read(KE2) in flight;
//   kKe3:       KE2 checked (ContinueRecovery against the pinned fleet key), Write(finish: KE3,
//               last message) and Read(result) in flight;
//   kFinishing: Finish(status), then FinishRecovery decrypts the secret, which must equal the
//               expected one;
//   kTurnedAway/kAborting: the first exchange failed (a follower turns the stream away with
//               UNIMPLEMENTED and the `keyward-leader` hint: the stream is reopened once there, with
//               the same KE1, and the worker sends everything there from then on) or an answer did
//               not verify (the stream is cancelled); Finish collects the status either way.
// After every stream the worker observes its status as the SDK does (Worker::Observe): a leader
// hint moves its later recoveries there, a transport failure to its next configured address.
// Between recoveries a paced slot waits on a grpc::Alarm on the same queue. Every path of a
// recovery ends in Complete() exactly once, which records its latency and whether it failed.
// With prepared first flights (AsyncLoadConfig::prepare_first_flights) each slot holds, from
// Prepare() before the phase, the credential, KE1 and start message of each recovery it may start,
// in the order of its users; a recovery takes the next one (used once, its secrets wiped with it)
// and its latency counts from sending it.
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <thread>

#include "client/client_trust.h"
#include "client/protocol.h"
#include "crypto/random.h"
#include "fleet_bench.h"
#include "keyward/v1/vault.grpc.pb.h"

namespace keyward::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Stream = grpc::ClientAsyncReaderWriter<v1::RecoverStreamRequest, v1::RecoverStreamResponse>;

constexpr char kLeaderHintKey[] = "keyward-leader";  // node/fleet_forwarder.h
constexpr size_t kMaxEndpoints = 8;                   // a hint is untrusted input: bounded
constexpr std::chrono::milliseconds kMaxStreamDeadline{60000};  // the node refuses longer ones

// A hint is used only if it looks like HOST:PORT (as the SDK checks).
bool PlausibleAddress(std::string_view a) {
  if (a.empty() || a.size() > 255 || a.find(':') == std::string_view::npos) return false;
  return std::all_of(a.begin(), a.end(), [](char c) { return c > ' ' && c < 127 && c != ','; });
}

struct Endpoint {
  std::string address;
  std::unique_ptr<v1::Vault::Stub> stub;
};

class Worker;

// One recovery in flight at a time (see the top of this file).
class Slot {
 public:
  enum Op : uint8_t { kWrite, kRead, kFinish, kAlarm };
  struct Tag {
    Slot* slot;
    Op op;
  };

  Slot(Worker* worker, int index) : worker_(worker), index_(index) {
    for (uint8_t op = 0; op < 4; ++op) tags_[op] = {this, static_cast<Op>(op)};
  }
  // Phase start: the first recovery now (closed loop) or at its place in the schedule.
  void StartPhase(Clock::time_point start, double period_s, int concurrency);
  void OnEvent(Op op, bool ok);
  // Starts the exchange Open() or OnKe2() prepared: the request's Write and the answer's Read.
  void Issue();
  // Replaces the prepared first flights by `n` new ones, for the next phase's users in order.
  Status PrepareFirstFlights(size_t n);
  size_t live_first_flights() const { return live_first_flights_; }
  size_t prepared_first_flights() const { return prepared_.size(); }

 private:
  enum class Stage { kIdle, kKe1, kKe3, kFinishing, kTurnedAway, kAborting };

  // What a recovery sends first, built before the phase or when it starts.
  struct FirstFlight {
    int64_t user_number = 0;  // the slot's count of users (next_user_ when it is taken)
    std::string user;
    v1::RecoverStreamRequest request;
    std::optional<client::RecoveryStart> start;
  };
  StatusOr<FirstFlight> BuildFirstFlight(int64_t user_number);
  void Begin();             // a new recovery: credential, KE1, stream
  void Open();              // the stream to the worker's target
  void OnKe2();             // KE2 arrived: KE3
  void OnFinished();        // the stream's status arrived
  void Abort(std::string why);
  void Complete(bool ok, std::string why = "");
  void Next();              // after Complete: the next recovery, or done
  void WaitUntil(Clock::time_point t);
  void* TagFor(Op op) { return &tags_[op]; }

  Worker* worker_;
  const int index_;
  Tag tags_[4];
  int64_t next_user_ = 0;  // this slot's users: index_, index_ + concurrency, ... (mod users)
  double period_s_ = 0;    // > 0: paced
  Clock::time_point next_start_, t0_;
  Stage stage_ = Stage::kIdle;
  int pending_ = 0;
  bool exchange_ok_ = true;
  int hops_ = 0;
  std::string user_;
  Endpoint* ep_ = nullptr;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<Stream> rw_;
  std::unique_ptr<grpc::Alarm> alarm_;
  v1::RecoverStreamRequest req_;
  v1::RecoverStreamResponse resp_;
  grpc::Status status_;
  std::string abort_reason_;
  std::optional<client::RecoveryStart> start_;
  std::optional<client::RecoveryContinue> cont_;
  std::deque<FirstFlight> prepared_;  // for users next_user_, next_user_ + concurrency, ...
  size_t live_first_flights_ = 0;     // recoveries of this phase that found none prepared
};

// One polling thread's share: its queue, its connections, its slots and what they measured.
class Worker {
 public:
  Worker(const AsyncLoadConfig& config, client::ClientTrust& trust, int index)
      : config_(config), trust_(trust), index_(index) {
    target_ = EndpointFor(config.addresses.front());
  }
  ~Worker() {
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  void AddSlot(int index) { slots_.push_back(std::make_unique<Slot>(this, index)); }

  // `per_slot` first flights for each of this worker's slots (Slot::PrepareFirstFlights).
  Status Prepare(size_t per_slot) {
    for (auto& s : slots_) RETURN_IF_ERROR(s->PrepareFirstFlights(per_slot));
    return Status::Ok();
  }
  size_t LiveFirstFlights() const {
    size_t n = 0;
    for (const auto& s : slots_) n += s->live_first_flights();
    return n;
  }
  size_t PreparedFirstFlights() const {
    size_t n = 0;
    for (const auto& s : slots_) n += s->prepared_first_flights();
    return n;
  }

  // One phase on the calling thread; returns when every slot is idle.
  void Run(Clock::time_point start, Clock::time_point end, double rate_per_s) {
    end_ = end;
    result_ = LoadResult{};
    active_ = static_cast<int>(slots_.size());
    double period = rate_per_s > 0 ? config_.concurrency / rate_per_s : 0;
    for (auto& s : slots_) s->StartPhase(start, period, config_.concurrency);
    while (active_ > 0) {
      void* tag;
      bool ok;
      // Write batching: the events already there are handled first and the writes they prepare
      // are sent together once the queue has nothing ready (or after kMaxDeferred of them).
      auto got = config_.batch_writes && deferred_.size() < kMaxDeferred
                     ? cq_.AsyncNext(&tag, &ok, gpr_inf_past(GPR_CLOCK_MONOTONIC))
                     : grpc::CompletionQueue::TIMEOUT;
      if (got == grpc::CompletionQueue::TIMEOUT) {
        if (!deferred_.empty()) {
          for (Slot* d : deferred_) d->Issue();
          deferred_.clear();
          continue;
        }
        got = cq_.Next(&tag, &ok) ? grpc::CompletionQueue::GOT_EVENT : grpc::CompletionQueue::SHUTDOWN;
      }
      if (got != grpc::CompletionQueue::GOT_EVENT) break;  // not shut down while slots are active
      auto* t = static_cast<Slot::Tag*>(tag);
      t->slot->OnEvent(t->op, ok);
    }
  }
  // A slot's exchange is ready: now, or at the next flush when batching writes.
  void Send(Slot* slot) {
    if (config_.batch_writes) {
      deferred_.push_back(slot);
    } else {
      slot->Issue();
    }
  }

  // The endpoint for `address` (a channel of this worker's own: its own connection).
  Endpoint* EndpointFor(std::string_view address) {
    for (auto& e : endpoints_) {
      if (e->address == address) return e.get();
    }
    if (endpoints_.size() >= kMaxEndpoints) return nullptr;
    auto e = std::make_unique<Endpoint>();
    e->address = std::string(address);
    grpc::ChannelArguments args;  // as the SDK's channels (sdk.cc NewEndpoint)
    args.SetMaxReceiveMessageSize(64 * 1024);
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt("keyward.bench_worker", index_);  // one connection per worker, not shared
    e->stub = v1::Vault::NewStub(grpc::CreateCustomChannel(e->address, grpc::InsecureChannelCredentials(), args));
    endpoints_.push_back(std::move(e));
    return endpoints_.back().get();
  }

  // After a stream to `used` ended with `status` (sdk.cc Observe): a transport failure moves this
  // worker's later recoveries to its next configured address (if `used` is still its target);
  // otherwise a leader hint naming another address moves them there, which is returned (null if
  // none).
  Endpoint* Observe(Endpoint* used, const grpc::ClientContext& ctx, const grpc::Status& status) {
    if (status.error_code() == grpc::UNAVAILABLE || status.error_code() == grpc::DEADLINE_EXCEEDED) {
      if (target_ == used) {
        Endpoint* next = EndpointFor(config_.addresses[++next_member_ % config_.addresses.size()]);
        if (next != nullptr) target_ = next;
      }
      return nullptr;
    }
    const auto& trailing = ctx.GetServerTrailingMetadata();
    auto it = trailing.find(kLeaderHintKey);
    if (it == trailing.end()) return nullptr;
    std::string_view hint(it->second.data(), it->second.size());
    if (hint == used->address || !PlausibleAddress(hint)) return nullptr;
    Endpoint* e = EndpointFor(hint);
    if (e != nullptr) target_ = e;
    return e;
  }

  const AsyncLoadConfig& config() const { return config_; }
  client::ClientTrust& trust() { return trust_; }
  crypto::Rng& rng() { return rng_; }
  grpc::CompletionQueue* cq() { return &cq_; }
  Clock::time_point end() const { return end_; }
  Endpoint* target() const { return target_; }
  void Record(double ms, bool ok, const std::string& why) {
    result_.latency_ms.push_back(ms);
    if (!ok) {
      if (result_.failures++ == 0) result_.first_failure = why;
    }
  }
  void SlotDone() { --active_; }
  static constexpr size_t kMaxDeferred = 16;
  LoadResult& result() { return result_; }

 private:
  const AsyncLoadConfig& config_;
  client::ClientTrust& trust_;
  const int index_;
  grpc::CompletionQueue cq_;
  crypto::SystemRng rng_;  // as the SDK (VaultClient::Impl::rng)
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  Endpoint* target_ = nullptr;
  size_t next_member_ = 0;  // index into config_.addresses of target_ after a transport failure
  std::vector<std::unique_ptr<Slot>> slots_;
  Clock::time_point end_;
  int active_ = 0;
  std::vector<Slot*> deferred_;  // slots whose exchange waits for the flush (batch_writes)
  LoadResult result_;
};

void Slot::StartPhase(Clock::time_point start, double period_s, int concurrency) {
  next_user_ = index_;
  live_first_flights_ = 0;
  period_s_ = period_s;
  if (period_s_ <= 0) {
    Begin();
    return;
  }
  next_start_ = start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(period_s_ * index_ / concurrency));
  WaitUntil(next_start_);
}

void Slot::WaitUntil(Clock::time_point t) {
  alarm_ = std::make_unique<grpc::Alarm>();
  auto wall = std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
  alarm_->Set(worker_->cq(), wall, TagFor(kAlarm));
}

StatusOr<Slot::FirstFlight> Slot::BuildFirstFlight(int64_t user_number) {
  const AsyncLoadConfig& c = worker_->config();
  FirstFlight f;
  f.user_number = user_number;
  f.user = c.user_prefix + std::to_string(user_number % c.users);
  // The SDK's per-recovery work: a credential (VaultClient::Impl::AccountFor), KE1, the request.
  Bytes token = c.app_key->Mint(AsBytes(f.user), node::NowUnixSeconds() + 3600);
  auto start = client::StartRecovery(c.password.Reveal(), worker_->rng());
  if (!start.ok()) return start.status().WithContext("starting recovery");
  f.start.emplace(std::move(*start));
  v1::RecoverStartRequest* s = f.request.mutable_start();
  s->mutable_account()->set_user_id(f.user);
  s->mutable_account()->set_credential(std::string(AsChars(token)));
  s->set_ke1(std::string(AsChars(f.start->ke1)));
  worker_->trust().Stamp(s);
  return f;
}

Status Slot::PrepareFirstFlights(size_t n) {
  prepared_.clear();
  const int64_t concurrency = worker_->config().concurrency;
  for (size_t k = 0; k < n; ++k) {  // the users StartPhase and Begin will take, in order
    ASSIGN_OR_RETURN(FirstFlight f, BuildFirstFlight(index_ + static_cast<int64_t>(k) * concurrency));
    prepared_.push_back(std::move(f));
  }
  return Status::Ok();
}

void Slot::Begin() {
  const AsyncLoadConfig& c = worker_->config();
  t0_ = Clock::now();
  const int64_t user_number = next_user_;
  next_user_ += c.concurrency;
  FirstFlight f;
  if (!prepared_.empty()) {
    f = std::move(prepared_.front());
    prepared_.pop_front();
    if (f.user_number != user_number) {
      user_ = f.user;
      return Complete(false, "internal: a prepared first flight for another user");
    }
  } else {
    ++live_first_flights_;
    StatusOr<FirstFlight> built = BuildFirstFlight(user_number);
    if (!built.ok()) return Complete(false, built.status().message());
    f = std::move(*built);
  }
  user_ = std::move(f.user);
  req_ = std::move(f.request);
  start_ = std::move(f.start);
  hops_ = 0;
  ep_ = worker_->target();
  Open();
}

void Slot::Open() {
  ctx_ = std::make_unique<grpc::ClientContext>();
  ctx_->set_deadline(std::chrono::system_clock::now() + std::min(worker_->config().call_timeout, kMaxStreamDeadline));
  ctx_->set_initial_metadata_corked(true);  // headers go out with KE1 (as the SDK)
  rw_ = ep_->stub->PrepareAsyncRecover(ctx_.get(), worker_->cq());
  rw_->StartCall(nullptr);  // corked: no operation, no event
  stage_ = Stage::kKe1;
  pending_ = 2;
  exchange_ok_ = true;
  resp_.Clear();
  worker_->Send(this);
}

void Slot::Issue() {
  if (stage_ == Stage::kKe3) {
    rw_->Write(req_, grpc::WriteOptions().set_last_message(), TagFor(kWrite));
  } else {
    rw_->Write(req_, TagFor(kWrite));
  }
  rw_->Read(&resp_, TagFor(kRead));
}

void Slot::OnEvent(Op op, bool ok) {
  switch (op) {
    case kAlarm:
      alarm_.reset();
      // The SDK engine's schedule: wait for the slot's time, step it, stop at the window's end.
      next_start_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period_s_));
      if (Clock::now() >= worker_->end()) {
        worker_->SlotDone();
        return;
      }
      return Begin();
    case kWrite:
    case kRead:
      if (!ok) exchange_ok_ = false;
      if (--pending_ > 0) return;
      if (stage_ == Stage::kKe1) {
        if (exchange_ok_) return OnKe2();
        stage_ = Stage::kTurnedAway;  // or a transport failure: Finish says which
      } else {
        stage_ = Stage::kFinishing;
      }
      rw_->Finish(&status_, TagFor(kFinish));
      return;
    case kFinish:
      return OnFinished();
  }
}

void Slot::Abort(std::string why) {
  abort_reason_ = std::move(why);
  stage_ = Stage::kAborting;
  ctx_->TryCancel();
  rw_->Finish(&status_, TagFor(kFinish));
}

void Slot::OnKe2() {
  if (!resp_.has_start()) return Abort("Recover: the node's first answer is not a KE2");
  const v1::RecoverStartResponse& sresp = resp_.start();
  client::ClientTrust& trust = worker_->trust();
  if (Status t = trust.AdoptFrom(sresp, nullptr); !t.ok()) return Abort("trust: " + t.message());
  StatusOr<client::TrustedFleet> fleet = trust.FleetForRecovery();
  if (!fleet.ok()) return Abort("trust: " + fleet.status().message());
  crypto::opaque::Options options;
  options.ksf = crypto::KsfConfig::Identity();  // as registered (fleet bench: no client Argon2id)
  auto cont = client::ContinueRecovery(std::move(start_->state), AsBytes(sresp.ke2()), AsBytes(sresp.login_state()),
                                       AsBytes(user_), fleet->key, options, worker_->rng());
  start_.reset();
  if (!cont.ok()) return Abort("checking KE2: " + cont.status().message());
  cont_.emplace(std::move(*cont));
  req_.Clear();
  req_.mutable_finish()->set_ke3(std::string(AsChars(cont_->ke3)));
  stage_ = Stage::kKe3;
  pending_ = 2;
  exchange_ok_ = true;
  resp_.Clear();
  worker_->Send(this);
}

void Slot::OnFinished() {
  auto grpc_error = [&](std::string_view step) {
    return std::string(step) + ": vault answered " + std::to_string(status_.error_code()) + ": " +
           status_.error_message();
  };
  Endpoint* hinted = worker_->Observe(ep_, *ctx_, status_);
  switch (stage_) {
    case Stage::kAborting:
      return Complete(false, abort_reason_);
    case Stage::kTurnedAway:
      // A follower turned the stream away before reading it (no guess counted) naming the leader:
      // reopen it there once with the same KE1 (sdk.cc); this worker's later recoveries go there.
      if (status_.error_code() == grpc::UNIMPLEMENTED && hinted != nullptr && hops_ == 0) {
        ++hops_;
        ep_ = hinted;
        rw_.reset();
        return Open();
      }
      return Complete(false, status_.ok() ? "Recover: the stream ended before KE2" : grpc_error("Recover"));
    case Stage::kFinishing: {
      if (!status_.ok()) return Complete(false, grpc_error("Recover"));
      if (!exchange_ok_ || !resp_.has_finish()) {
        return Complete(false, "Recover: the node's second answer is not a result");
      }
      const v1::RecoverFinishResponse& fresp = resp_.finish();
      int outcome = static_cast<int>(fresp.outcome());
      if (outcome < 1 || outcome > 3) return Complete(false, "unknown recovery outcome");
      auto result = client::FinishRecovery(cont_->session, static_cast<core::RecoverOutcome>(outcome),
                                           fresp.attempts_remaining(), AsBytes(fresp.encrypted_secret()));
      cont_.reset();
      if (!result.ok()) return Complete(false, "checking the recovered secret: " + result.status().message());
      if (result->outcome != core::RecoverOutcome::kSuccess) {
        return Complete(false, result->outcome == core::RecoverOutcome::kWrongPassword
                                   ? "wrong password; attempts remaining: " + std::to_string(result->attempts_remaining)
                                   : std::string("locked"));
      }
      if (!result->secret.Equals(worker_->config().expected_secret)) {
        return Complete(false, "recovered a secret other than the one registered");
      }
      return Complete(true);
    }
    case Stage::kIdle:
    case Stage::kKe1:
    case Stage::kKe3:
      break;
  }
  Complete(false, "internal: Finish in an unexpected stage");
}

void Slot::Complete(bool ok, std::string why) {
  worker_->Record(std::chrono::duration<double, std::milli>(Clock::now() - t0_).count(), ok,
                  user_ + ": " + why);
  rw_.reset();  // lives in the call's arena: before the context that owns the call
  ctx_.reset();
  start_.reset();
  cont_.reset();
  stage_ = Stage::kIdle;
  Next();
}

void Slot::Next() {
  if (period_s_ > 0) return WaitUntil(next_start_);
  if (Clock::now() >= worker_->end()) {
    worker_->SlotDone();
    return;
  }
  Begin();
}

class AsyncLoadEngine final : public LoadEngine {
 public:
  explicit AsyncLoadEngine(AsyncLoadConfig config) : config_(std::move(config)) {}

  Status Init() {
    client::ClientTrust::Options topts;
    topts.policy_path = config_.trust_policy_path;
    topts.vault_address = config_.addresses.front();
    ASSIGN_OR_RETURN(trust_, client::ClientTrust::Create(std::move(topts)));
    if (trust_->mode() != trust::TrustMode::kPinned) {
      return InvalidArgument("--engine async needs a pinned trust policy (as `keyward fleet init` writes); use --engine sdk");
    }
    for (int t = 0; t < config_.threads; ++t) workers_.push_back(std::make_unique<Worker>(config_, *trust_, t));
    for (int s = 0; s < config_.concurrency; ++s) workers_[static_cast<size_t>(s % config_.threads)]->AddSlot(s);
    return Status::Ok();
  }

  LoadResult Run(double rate_per_s, std::chrono::milliseconds duration) override {
    Clock::time_point start = Clock::now();
    Clock::time_point end = start + duration;
    std::vector<std::thread> threads;
    for (auto& w : workers_) threads.emplace_back([&w, start, end, rate_per_s] { w->Run(start, end, rate_per_s); });
    for (auto& th : threads) th.join();
    LoadResult all;
    for (auto& w : workers_) {
      LoadResult& r = w->result();
      all.latency_ms.insert(all.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
      if (all.failures == 0 && r.failures > 0) all.first_failure = r.first_failure;
      all.failures += r.failures;
    }
    return all;
  }

  size_t Prepare(double rate_per_s, std::chrono::milliseconds duration) override {
    if (!config_.prepare_first_flights) return 0;
    double rate = rate_per_s > 0 ? rate_per_s : config_.prepare_rate_per_s;
    // A slot starts at most one recovery per concurrency/rate seconds, plus the one at the start.
    auto per_slot = static_cast<size_t>(rate * std::chrono::duration<double>(duration).count() / config_.concurrency) + 2;
    std::vector<Status> results(workers_.size(), Status::Ok());
    std::vector<std::thread> threads;
    for (size_t w = 0; w < workers_.size(); ++w) {
      threads.emplace_back([this, w, per_slot, &results] { results[w] = workers_[w]->Prepare(per_slot); });
    }
    for (auto& th : threads) th.join();
    size_t prepared = 0;
    for (size_t w = 0; w < workers_.size(); ++w) {
      // A slot left short computes the rest live (LiveFirstFlights says how many).
      if (!results[w].ok()) std::fprintf(stderr, "fleet bench: preparing first flights: %s\n", results[w].message().c_str());
      prepared += workers_[w]->PreparedFirstFlights();
    }
    return prepared;
  }

  size_t LiveFirstFlights() const override {
    size_t n = 0;
    for (const auto& w : workers_) n += w->LiveFirstFlights();
    return n;
  }

  std::string Target() const override { return workers_.front()->target()->address; }

 private:
  AsyncLoadConfig config_;
  std::unique_ptr<client::ClientTrust> trust_;
  std::vector<std::unique_ptr<Worker>> workers_;  // after trust_: destroyed first
};

}  // namespace

StatusOr<std::unique_ptr<LoadEngine>> MakeAsyncLoadEngine(AsyncLoadConfig config) {
  if (config.addresses.empty()) return InvalidArgument("no vault address given (--vaults HOST:PORT,...)");
  if (config.concurrency < 1 || config.threads < 1 || config.threads > config.concurrency) {
    return InvalidArgument("--concurrency must be >= 1 and --threads 1..concurrency");
  }
  if (config.users < config.concurrency || config.users % config.concurrency != 0) {
    return InvalidArgument("users must be a multiple of the concurrency");
  }
  if (!config.app_key) return InvalidArgument("no app key");
  auto engine = std::make_unique<AsyncLoadEngine>(std::move(config));
  RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<LoadEngine>(std::move(engine));
}

}  // namespace keyward::cli

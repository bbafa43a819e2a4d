// VaultClient (include/keyward/client.h): the gRPC transport around the pure client protocol
// (client/protocol.h). Every step validates what the untrusted node returns before going on.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "client/client_trust.h"
#include "client/protocol.h"
#include "keyward/client.h"
#include "keyward/v1/vault.grpc.pb.h"
#include "trust/policy.h"

namespace keyward {

const char* ClientErrorKindName(ClientErrorKind kind) {
  switch (kind) {
    case ClientErrorKind::kOk: return "ok";
    case ClientErrorKind::kInvalidArgument: return "invalid-argument";
    case ClientErrorKind::kTrust: return "trust-failure";
    case ClientErrorKind::kWrongPassword: return "wrong-password";
    case ClientErrorKind::kLocked: return "locked";
    case ClientErrorKind::kUnavailable: return "unavailable";
    case ClientErrorKind::kRejected: return "rejected";
    case ClientErrorKind::kTampered: return "tampered";
    case ClientErrorKind::kInternal: return "internal";
  }
  return "internal";
}

namespace {

Outcome Fail(ClientErrorKind kind, std::string message) {
  Outcome o;
  o.kind = kind;
  o.message = std::move(message);
  return o;
}

// A local Status from the protocol layer.
Outcome FromStatus(const Status& s, std::string_view step) {
  ClientErrorKind kind = ClientErrorKind::kInternal;
  switch (s.code()) {
    case ErrorCode::kInvalidArgument: kind = ClientErrorKind::kInvalidArgument; break;
    case ErrorCode::kPermissionDenied: kind = ClientErrorKind::kTrust; break;
    case ErrorCode::kAuthenticationFailed: kind = ClientErrorKind::kTampered; break;
    default: break;
  }
  return Fail(kind, std::string(step) + ": " + s.message());
}

// A gRPC error from the node.
Outcome FromGrpc(const grpc::Status& s, std::string_view step) {
  ClientErrorKind kind = ClientErrorKind::kRejected;
  switch (s.error_code()) {
    case grpc::UNAVAILABLE:
    case grpc::DEADLINE_EXCEEDED:
    case grpc::RESOURCE_EXHAUSTED:
    case grpc::CANCELLED:
      kind = ClientErrorKind::kUnavailable;
      break;
    default: break;
  }
  std::string msg = std::string(step) + ": vault answered " + std::to_string(s.error_code()) + ": " +
                    s.error_message();
  if (kind == ClientErrorKind::kUnavailable) msg += " (check --vault and that the node runs; retry later)";
  return Fail(kind, std::move(msg));
}

// One Recover stream (vault.proto RecoverStreamRequest). If the recovery stops half-way, the
// destructor cancels the stream and collects its status, so no call is left open.
struct RecoverStreamCall {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<v1::RecoverStreamRequest, v1::RecoverStreamResponse>> rw;
  bool finished = false;
  ~RecoverStreamCall() {
    if (rw && !finished) {
      ctx.TryCancel();
      (void)rw->Finish();
    }
  }
};

// The Recover stream's deadline bound (the node refuses longer ones; VaultService).
constexpr std::chrono::milliseconds kMaxStreamDeadline{60000};

// The trailing metadata a fleet member adds to a call it relayed or turned away: the leader's
// client address (node/fleet_forwarder.h).
constexpr char kLeaderHintKey[] = "keyward-leader";
// At most this many addresses learnt from hints keep a channel (a hint is untrusted input).
constexpr size_t kMaxHintedEndpoints = 8;

// One address the client talks to, with its channel.
struct Endpoint {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Vault::Stub> stub;
  // Set once this address answered UNIMPLEMENTED to the Recover stream without naming a leader (a
  // node without the stream): from then on recoveries there use RecoverStart + RecoverFinish.
  std::atomic<bool> no_recover_stream{false};
};

std::shared_ptr<Endpoint> NewEndpoint(const std::string& address) {
  auto ep = std::make_shared<Endpoint>();
  ep->address = address;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);  // small messages only: no window probing pings
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);  // a restarted member is found again soon
  ep->channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  ep->stub = v1::Vault::NewStub(ep->channel);
  return ep;
}

// "a, b,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> SplitAddresses(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

// A hint is used only if it looks like HOST:PORT (printable, no spaces or commas, bounded).
bool PlausibleAddress(std::string_view a) {
  if (a.empty() || a.size() > 255 || a.find(':') == std::string_view::npos) return false;
  return std::all_of(a.begin(), a.end(), [](char c) { return c > ' ' && c < 127 && c != ','; });
}

bool TransportFailure(const grpc::Status& s) {
  return s.error_code() == grpc::UNAVAILABLE || s.error_code() == grpc::DEADLINE_EXCEEDED;
}

}  // namespace

struct VaultClient::Impl {
  Config config;
  std::unique_ptr<client::ClientTrust> trust;  // pinned or over-the-air (client_trust.h)
  std::array<uint8_t, 32> fleet_key{};
  crypto::SystemRng rng;
  // Routing (the class comment in client.h): the configured members, the endpoint calls go to now,
  // and the addresses learnt from leader hints.
  std::vector<std::shared_ptr<Endpoint>> members;  // immutable after Create
  mutable std::mutex route_mu;
  std::shared_ptr<Endpoint> current;                        // guarded by route_mu
  size_t next_member = 0;                                   // guarded by route_mu
  std::vector<std::shared_ptr<Endpoint>> hinted;            // guarded by route_mu

  std::shared_ptr<Endpoint> Current() const {
    std::lock_guard lock(route_mu);
    return current;
  }
  // After a call to `used` finished with `status`: a transport failure moves the client to its
  // next configured member (if `used` is still the current endpoint); otherwise a leader hint
  // naming another address moves it there. Returns the endpoint to use next.
  std::shared_ptr<Endpoint> Observe(const std::shared_ptr<Endpoint>& used, const grpc::ClientContext& ctx,
                                    const grpc::Status& status) {
    std::lock_guard lock(route_mu);
    if (TransportFailure(status)) {
      if (current == used) {
        current = members[next_member++ % members.size()];
        if (current == used && members.size() > 1) current = members[next_member++ % members.size()];
      }
      return current;
    }
    if (!config.follow_leader_hint) return current;
    const auto& trailing = ctx.GetServerTrailingMetadata();
    auto it = trailing.find(kLeaderHintKey);
    if (it == trailing.end()) return current;
    std::string_view hint(it->second.data(), it->second.size());
    if (hint == used->address || !PlausibleAddress(hint)) return current;
    if (current != nullptr && current->address == hint) return current;
    current = EndpointFor(hint);
    return current;
  }
  // The endpoint for `address`: a configured member's, or one made for a hint (route_mu held).
  std::shared_ptr<Endpoint> EndpointFor(std::string_view address) {
    for (const auto& m : members) {
      if (m->address == address) return m;
    }
    for (const auto& h : hinted) {
      if (h->address == address) return h;
    }
    if (hinted.size() >= kMaxHintedEndpoints) hinted.erase(hinted.begin());  // calls in flight keep theirs
    hinted.push_back(NewEndpoint(std::string(address)));
    return hinted.back();
  }

  void Prepare(grpc::ClientContext& ctx) const {
    ctx.set_deadline(std::chrono::system_clock::now() + config.call_timeout);
  }
  StatusOr<v1::Account> AccountFor(std::string_view user, bool authority = false) const {
    v1::Account account;
    account.set_user_id(std::string(user));
    if (authority && !config.authority_credentials) {
      return InvalidArgument("no account-authority credential provider configured");
    }
    ASSIGN_OR_RETURN(Bytes token, authority ? config.authority_credentials(user)
                                            : config.credentials(user));
    account.set_credential(std::string(AsChars(token)));
    if (authority) account.set_scope(v1::CREDENTIAL_SCOPE_ACCOUNT_AUTHORITY);
    return account;
  }
  // A full recovery; on success `session` proves it (Delete).
  Outcome Recover(std::string_view user_id, const crypto::SecretBytes& password,
                  const v1::Account& account, client::RecoverySession* session);
  // Over-the-air: the fleet's bundle says which Argon2id parameters its clients use.
  StatusOr<crypto::opaque::Options> Options(const client::TrustedFleet& fleet) const {
    crypto::opaque::Options o;
    o.ksf = config.ksf;
    if (fleet.argon2id && config.ksf.kind() != crypto::KsfConfig::Kind::kIdentity) {
      ASSIGN_OR_RETURN(o.ksf, crypto::KsfConfig::Argon2id(*fleet.argon2id));
    }
    return o;
  }
  // Verifies and adopts what a response carried inline (over-the-air mode): its policy updates, then
  // its bundle (client_trust.h); nothing carried: nothing to do. Refused policy updates and offline
  // consistency fallbacks do not fail the call: they are described in *warnings.
  template <typename Resp>
  Status Adopt(const Resp& resp, std::string* warnings) { return trust->AdoptFrom(resp, warnings); }
};

StatusOr<std::unique_ptr<VaultClient>> VaultClient::Create(Config config) {
  std::vector<std::string> addresses = SplitAddresses(config.vault_address);
  for (const std::string& a : config.vault_addresses) {
    for (std::string& b : SplitAddresses(a)) addresses.push_back(std::move(b));
  }
  if (addresses.empty()) return InvalidArgument("no vault address (HOST:PORT) given");
  if (!config.credentials) return InvalidArgument("no account-credential provider given");
  auto impl = std::make_unique<Impl>();
  for (const std::string& a : addresses) {
    if (std::none_of(impl->members.begin(), impl->members.end(), [&](const auto& m) { return m->address == a; })) {
      impl->members.push_back(NewEndpoint(a));
    }
  }
  impl->current = impl->members.front();
  impl->next_member = 1;
  client::ClientTrust::Options topts;
  topts.policy_path = config.trust_policy_path;
  topts.policy_text = config.trust_policy_text;
  topts.state_path = config.trust_state_path;
  topts.fleet_id = config.fleet_id;
  topts.vault_address = addresses.front();
  topts.online_consistency = config.trust_online_consistency;
  ASSIGN_OR_RETURN(impl->trust, client::ClientTrust::Create(std::move(topts)));
  if (impl->trust->mode() == trust::TrustMode::kPinned) {
    ASSIGN_OR_RETURN(client::TrustedFleet pinned, impl->trust->FleetForRecovery());
    impl->fleet_key = pinned.key;
  }
  impl->config = std::move(config);
  return std::unique_ptr<VaultClient>(new VaultClient(std::move(impl)));
}

VaultClient::VaultClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VaultClient::~VaultClient() = default;
const std::array<uint8_t, 32>& VaultClient::fleet_key() const { return impl_->fleet_key; }
std::string VaultClient::current_address() const { return impl_->Current()->address; }

Outcome VaultClient::Register(std::string_view user_id, const crypto::SecretBytes& password,
                              const crypto::SecretBytes& secret, RecordPolicy policy) {
  Impl& im = *impl_;
  if (policy.max_attempts < 1 || policy.max_attempts > 255) {
    return Fail(ClientErrorKind::kInvalidArgument, "max attempts must be 1..255");
  }
  StatusOr<v1::Account> account = im.AccountFor(user_id, policy.as_account_authority);
  if (!account.ok()) return FromStatus(account.status(), "account credential");
  auto start = client::StartRegistration(password.Reveal(), im.rng);
  if (!start.ok()) return FromStatus(start.status(), "starting registration");

  v1::RegisterStartRequest sreq;
  *sreq.mutable_account() = *account;
  sreq.set_registration_request(std::string(AsChars(start->registration_request)));
  im.trust->Stamp(&sreq);
  v1::RegisterStartResponse sresp;
  {
    grpc::ClientContext ctx;
    im.Prepare(ctx);
    std::shared_ptr<Endpoint> ep = im.Current();
    grpc::Status g = ep->stub->RegisterStart(&ctx, sreq, &sresp);
    im.Observe(ep, ctx, g);
    if (!g.ok()) return FromGrpc(g, "RegisterStart");
  }
  // Over-the-air: adopt the inline bundle (verified) before trusting any fleet key.
  std::string trust_warning;
  if (Status t = im.Adopt(sresp, &trust_warning); !t.ok()) return Fail(ClientErrorKind::kTrust, t.message());
  // The fleet key travels in the RegistrationResponse (RFC 9807 §5.1): refuse unless trusted.
  ByteSpan resp = AsBytes(sresp.registration_response());
  if (resp.size() != 64) return Fail(ClientErrorKind::kTampered, "RegistrationResponse is not 64 bytes");
  StatusOr<client::TrustedFleet> fleet = im.trust->FleetForRegistration(resp.subspan(32));
  if (!fleet.ok()) return Fail(ClientErrorKind::kTrust, fleet.status().message());
  StatusOr<crypto::opaque::Options> options = im.Options(*fleet);
  if (!options.ok()) return FromStatus(options.status(), "fleet Argon2id parameters");
  client::RegistrationParams params;
  params.user_id = ToBytes(user_id);
  params.secret = &secret;
  params.max_attempts = static_cast<uint8_t>(policy.max_attempts);
  params.validated_fleet_key = fleet->key;
  params.options = *options;
  auto upload = client::FinishRegistration(std::move(start->state), resp, sresp.registration_epoch(),
                                           params, im.rng);
  if (!upload.ok()) return FromStatus(upload.status(), "finishing registration");

  v1::RegisterUploadRequest ureq;
  *ureq.mutable_account() = *account;
  ureq.set_registration_record(std::string(AsChars(upload->upload.registration_record)));
  ureq.set_encrypted_secret(std::string(AsChars(upload->upload.encrypted_secret)));
  ureq.set_activation_commitment(std::string(AsChars(upload->upload.activation_commitment)));
  ureq.set_max_attempts(upload->upload.max_attempts);
  im.trust->Stamp(&ureq);
  {
    v1::RegisterUploadResponse uresp;
    grpc::ClientContext ctx;
    im.Prepare(ctx);
    std::shared_ptr<Endpoint> ep = im.Current();
    grpc::Status g = ep->stub->RegisterUpload(&ctx, ureq, &uresp);
    im.Observe(ep, ctx, g);
    if (g.error_code() == grpc::ALREADY_EXISTS) {
      return Fail(ClientErrorKind::kRejected,
                  "RegisterUpload: an active record exists for this user; delete it first (with "
                  "its password) or register as the account authority (" + g.error_message() + ")");
    }
    if (!g.ok()) return FromGrpc(g, "RegisterUpload");
  }
  v1::RegisterActivateRequest areq;
  *areq.mutable_account() = *account;
  areq.set_activation_key(std::string(AsChars(upload->activation_key.Reveal())));
  im.trust->Stamp(&areq);
  v1::RegisterActivateResponse aresp;
  grpc::Status g;
  // Activation is idempotent (a lost reply is retried; it never resets a counter). Bounded.
  for (int attempt = 0; attempt < 3; ++attempt) {
    grpc::ClientContext ctx;
    im.Prepare(ctx);
    std::shared_ptr<Endpoint> ep = im.Current();
    g = ep->stub->RegisterActivate(&ctx, areq, &aresp);
    im.Observe(ep, ctx, g);
    if (g.error_code() != grpc::UNAVAILABLE && g.error_code() != grpc::DEADLINE_EXCEEDED) break;
  }
  if (!g.ok()) return FromGrpc(g, "RegisterActivate");
  Outcome out;
  out.attempts_remaining = aresp.attempts_remaining();
  out.trust_warning = std::move(trust_warning);
  out.message = "registered; " + std::to_string(aresp.attempts_remaining()) + " attempts allowed";
  return out;
}

Outcome VaultClient::Recover(std::string_view user_id, const crypto::SecretBytes& password) {
  StatusOr<v1::Account> account = impl_->AccountFor(user_id);
  if (!account.ok()) return FromStatus(account.status(), "account credential");
  return impl_->Recover(user_id, password, *account, nullptr);
}

Outcome VaultClient::Impl::Recover(std::string_view user_id, const crypto::SecretBytes& password,
                                   const v1::Account& account, client::RecoverySession* session) {
  Impl& im = *this;
  auto start = client::StartRecovery(password.Reveal(), im.rng);
  if (!start.ok()) return FromStatus(start.status(), "starting recovery");
  v1::RecoverStartRequest sreq;
  *sreq.mutable_account() = account;
  sreq.set_ke1(std::string(AsChars(start->ke1)));
  im.trust->Stamp(&sreq);
  v1::RecoverStartResponse sresp;
  // The one-stream call by default; the two unary calls for nodes without it. A fleet member that
  // is not the leader turns the stream away (UNIMPLEMENTED, nothing read, so no guess counted)
  // naming the leader: the stream is opened once more there.
  std::shared_ptr<Endpoint> ep = im.Current();
  std::unique_ptr<RecoverStreamCall> stream;
  for (int hop = 0; hop < 2 && im.config.recover_stream && !ep->no_recover_stream.load(std::memory_order_relaxed);
       ++hop) {
    stream = std::make_unique<RecoverStreamCall>();
    stream->ctx.set_deadline(std::chrono::system_clock::now() +
                             std::min(im.config.call_timeout, kMaxStreamDeadline));
    stream->ctx.set_initial_metadata_corked(true);  // headers go out with KE1
    stream->rw = ep->stub->Recover(&stream->ctx);
    v1::RecoverStreamRequest m;
    m.mutable_start()->Swap(&sreq);
    v1::RecoverStreamResponse r;
    if (stream->rw->Write(m) && stream->rw->Read(&r)) {
      if (!r.has_start()) {
        return Fail(ClientErrorKind::kTampered, "Recover: the node's first answer is not a KE2");
      }
      sresp.Swap(r.mutable_start());
      break;
    }
    stream->finished = true;
    grpc::Status g = stream->rw->Finish();
    sreq.Swap(m.mutable_start());
    std::shared_ptr<Endpoint> next = im.Observe(ep, stream->ctx, g);
    stream.reset();
    if (g.error_code() != grpc::UNIMPLEMENTED) return FromGrpc(g, "Recover");
    if (next == ep) {  // no leader named: a node without the stream
      ep->no_recover_stream.store(true, std::memory_order_relaxed);
      break;
    }
    if (hop > 0) break;    // leadership is moving: the unary calls this time (relayed)
    ep = std::move(next);  // the leader a member named
  }
  if (!stream) {
    grpc::ClientContext ctx;
    im.Prepare(ctx);
    grpc::Status g = ep->stub->RecoverStart(&ctx, sreq, &sresp);
    im.Observe(ep, ctx, g);
    if (!g.ok()) return FromGrpc(g, "RecoverStart");
  }
  // Over-the-air: adopt the inline bundle, then the fleet serving this vault (retiring is fine
  // for recovery; revoked is refused) gives the key KE2 must be made with.
  std::string trust_warning;
  if (Status t = im.Adopt(sresp, &trust_warning); !t.ok()) return Fail(ClientErrorKind::kTrust, t.message());
  StatusOr<client::TrustedFleet> fleet = im.trust->FleetForRecovery();
  if (!fleet.ok()) return Fail(ClientErrorKind::kTrust, fleet.status().message());
  StatusOr<crypto::opaque::Options> options = im.Options(*fleet);
  if (!options.ok()) return FromStatus(options.status(), "fleet Argon2id parameters");
  Bytes user = ToBytes(user_id);
  auto cont = client::ContinueRecovery(std::move(start->state), AsBytes(sresp.ke2()),
                                       AsBytes(sresp.login_state()), user, fleet->key,
                                       *options, im.rng);
  if (!cont.ok()) return FromStatus(cont.status(), "checking KE2");
  v1::RecoverFinishResponse fresp;
  if (stream) {
    v1::RecoverStreamRequest m;
    m.mutable_finish()->set_ke3(std::string(AsChars(cont->ke3)));
    v1::RecoverStreamResponse r;
    const bool answered =
        stream->rw->Write(m, grpc::WriteOptions().set_last_message()) && stream->rw->Read(&r);
    stream->finished = true;
    grpc::Status g = stream->rw->Finish();
    im.Observe(ep, stream->ctx, g);
    if (!g.ok()) return FromGrpc(g, "Recover");
    if (!answered || !r.has_finish()) {
      return Fail(ClientErrorKind::kTampered, "Recover: the node's second answer is not a result");
    }
    fresp.Swap(r.mutable_finish());
  } else {
    v1::RecoverFinishRequest freq;
    *freq.mutable_account() = account;
    freq.set_ke3(std::string(AsChars(cont->ke3)));
    freq.set_login_state(sresp.login_state());
    im.trust->Stamp(&freq);
    grpc::ClientContext ctx;
    im.Prepare(ctx);
    std::shared_ptr<Endpoint> fep = im.Current();  // any member: a follower relays
    grpc::Status g = fep->stub->RecoverFinish(&ctx, freq, &fresp);
    im.Observe(fep, ctx, g);
    if (!g.ok()) return FromGrpc(g, "RecoverFinish");
  }
  int outcome = static_cast<int>(fresp.outcome());
  if (outcome < 1 || outcome > 3) return Fail(ClientErrorKind::kTampered, "unknown recovery outcome");
  auto result = client::FinishRecovery(cont->session, static_cast<core::RecoverOutcome>(outcome),
                                       fresp.attempts_remaining(), AsBytes(fresp.encrypted_secret()));
  if (!result.ok()) return FromStatus(result.status(), "checking the recovered secret");
  Outcome out;
  out.attempts_remaining = result->attempts_remaining;
  out.trust_warning = std::move(trust_warning);
  switch (result->outcome) {
    case core::RecoverOutcome::kSuccess:
      out.secret = std::move(result->secret);
      out.message = "recovered";
      if (session != nullptr) *session = std::move(cont->session);
      if (fleet->state == trust::FleetState::kRetiring) {
        std::optional<client::TrustedFleet> active = im.trust->ActiveFleet();
        out.fleet_retiring = true;
        if (active && !active->endpoints.empty()) out.reregister_endpoint = active->endpoints.front();
        out.message += "; fleet \"" + fleet->id + "\" is retiring: re-register on an active fleet";
      }
      break;
    case core::RecoverOutcome::kWrongPassword:
      out.kind = ClientErrorKind::kWrongPassword;
      out.message = "wrong password; attempts remaining: " + std::to_string(result->attempts_remaining);
      break;
    case core::RecoverOutcome::kLocked:
      out.kind = ClientErrorKind::kLocked;
      out.message = "no recoverable record: it was destroyed after its last attempt, or never "
                    "registered";
      break;
  }
  return out;
}

namespace {

Outcome SendDelete(VaultClient::Impl& im, v1::DeleteRequest req) {
  im.trust->Stamp(&req);
  v1::DeleteResponse resp;
  grpc::ClientContext ctx;
  im.Prepare(ctx);
  std::shared_ptr<Endpoint> ep = im.Current();
  grpc::Status g = ep->stub->Delete(&ctx, req, &resp);
  im.Observe(ep, ctx, g);
  if (!g.ok()) return FromGrpc(g, "Delete");
  Outcome out;
  out.message = resp.deleted() ? "deleted" : "there was no record to delete";
  return out;
}

}  // namespace

Outcome VaultClient::Delete(std::string_view user_id, const crypto::SecretBytes& password) {
  Impl& im = *impl_;
  StatusOr<v1::Account> account = im.AccountFor(user_id);
  if (!account.ok()) return FromStatus(account.status(), "account credential");
  client::RecoverySession session;
  Outcome recovered = im.Recover(user_id, password, *account, &session);
  if (!recovered.ok()) return recovered;
  auto proof = client::BuildDeleteRequest(session);
  if (!proof.ok()) return FromStatus(proof.status(), "building the delete proof");
  v1::DeleteRequest req;
  *req.mutable_account() = *account;
  req.set_login_state(std::string(AsChars(proof->login_state)));
  req.set_proof(std::string(AsChars(proof->proof)));
  Outcome out = SendDelete(im, req);
  out.attempts_remaining = recovered.attempts_remaining;
  return out;
}

Outcome VaultClient::DeleteAsAuthority(std::string_view user_id) {
  Impl& im = *impl_;
  StatusOr<v1::Account> account = im.AccountFor(user_id, /*authority=*/true);
  if (!account.ok()) return FromStatus(account.status(), "account-authority credential");
  v1::DeleteRequest req;
  *req.mutable_account() = *account;
  return SendDelete(im, req);
}

}  // namespace keyward

// `keyward bundle verify` and `keyward bundle inspect` (see bundle.cc for the command family).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "bundle_common.h"
#include "commands.h"
#include "tlog/checkpoint.h"
#include "tlog/proof_file.h"
#include "trust/delivered.h"
#include "trust/envelope.h"
#include "trust/online_consistency.h"
#include "trust/payload.h"
#include "trust/policy.h"
#include "trust/rotation.h"
#include "trust/verify.h"

namespace keyward::cli {
namespace {

struct VerifyArgs {
  std::string policy;
  std::string state;
  std::string in;
  std::string now;
  bool dry_run = false;
  bool offline = false;
  int fetch_timeout_ms = 8000;
};

int Rejected(const trust::RejectionInfo& r) {
  std::fprintf(stderr, "%s\n", r.ToString().c_str());
  return 2;
}

void PrintFleets(const trust::Payload& p) {
  for (const auto& f : p.fleets) {
    std::printf("  fleet %s  state=%s  key=%s  argon2id=m%u,t%u,p%u\n", f.id.c_str(), trust::FleetStateName(f.state),
                HexEncode(f.opaque_public_key).c_str(), f.argon2id.memory_kib, f.argon2id.iterations,
                f.argon2id.parallelism);
    for (const auto& e : f.endpoints) std::printf("    endpoint %s\n", e.c_str());
    for (const auto& m : f.member_keys) std::printf("    member %s\n", m.c_str());
    for (const auto& m : f.measurements) std::printf("    measurement %s\n", HexEncode(m).c_str());
    std::printf("    evidence_sha256 %s\n", HexEncode(f.evidence_sha256).c_str());
  }
}

// "log consistency: ..." on stdout; a fallback to the offline rule also on stderr as a warning.
void PrintConsistency(trust::ConsistencyCheck c, const std::string& detail) {
  std::printf("log consistency: %s: %s\n", trust::ConsistencyCheckName(c), detail.c_str());
  if (c == trust::ConsistencyCheck::kFetchFailed) {
    std::fprintf(stderr, "warning: the consistency proof could not be fetched, so the offline rule was applied: %s\n",
                 detail.c_str());
  }
}

int RunVerify(const VerifyArgs& a) {
  trust::UnixSeconds now = NowSeconds();
  if (!a.now.empty()) {
    auto t = trust::ParseRfc3339Utc(a.now);
    if (!t.ok()) return UsageError("bundle verify", "--now: " + t.status().message());
    now = *t;
  }
  auto configured = trust::TrustPolicy::Load(a.policy);
  if (!configured.ok()) return Failure("bundle verify", configured.status());
  auto state = trust::LoadState(a.state);
  if (!state.ok()) return Failure("bundle verify", state.status());
  auto policy = trust::EffectivePolicy(*configured, *state);
  if (!policy.ok()) return Failure("bundle verify", policy.status());
  auto input = ReadInput(a.in);
  if (!input.ok()) return Failure("bundle verify", input.status());
  std::unique_ptr<trust::HttpConsistencyFetcher> fetcher;
  if (!a.offline) {
    trust::HttpConsistencyFetcher::Options fo;
    fo.total_timeout = std::chrono::milliseconds(a.fetch_timeout_ms);
    fo.read_timeout = std::min(fo.read_timeout, fo.total_timeout);
    fo.connect_timeout = std::min(fo.connect_timeout, fo.total_timeout);
    fetcher = std::make_unique<trust::HttpConsistencyFetcher>(fo);
  }
  auto type = trust::DeliveredPayloadType(AsBytes(*input));
  if (!type.ok()) return Rejected(type.rejection());
  if (*type == trust::kPolicyPayloadType) {
    auto applied = trust::ApplyPolicyUpdate(*policy, AsBytes(*input), *state, now, fetcher.get());
    if (!applied.ok()) return Rejected(applied.rejection());
    if (!a.dry_run) {
      if (Status s = trust::SaveState(a.state, *state); !s.ok()) return Failure("bundle verify", s);
    }
    std::printf("accepted: policy update version %llu for namespace %s%s\n",
                static_cast<unsigned long long>(applied->version), applied->policy.ns().c_str(),
                applied->redelivery ? " (already adopted)" : "");
    PrintConsistency(applied->consistency, applied->consistency_detail);
    return 0;
  }
  auto verified = trust::VerifyBundle(*policy, AsBytes(*input), *state, now, fetcher.get());
  if (!verified.ok()) return Rejected(verified.rejection());
  if (!a.dry_run) {
    if (Status s = trust::SaveState(a.state, *state); !s.ok()) return Failure("bundle verify", s);
  }
  std::string signers, witnesses;
  for (const auto& s : verified->signers) signers += (signers.empty() ? "" : ",") + s;
  for (const auto& w : verified->witnesses) witnesses += (witnesses.empty() ? "" : ",") + w;
  std::printf("accepted: namespace %s epoch %llu%s; signers %s; logged by %s at index %llu (tree size %llu), "
              "witnesses %s; expires %s\n",
              verified->payload.ns.c_str(), static_cast<unsigned long long>(verified->epoch),
              verified->redelivery ? " (already held)" : "", signers.c_str(), verified->log_origin.c_str(),
              static_cast<unsigned long long>(verified->log_index),
              static_cast<unsigned long long>(verified->checkpoint_size), witnesses.c_str(),
              trust::FormatRfc3339Utc(verified->payload.expires).c_str());
  PrintConsistency(verified->consistency, verified->consistency_detail);
  PrintFleets(verified->payload);
  return 0;
}

void PrintEnvelope(const trust::Envelope& e) {
  std::printf("envelope\n  payloadType %s\n  payload %zu bytes\n", e.payload_type.c_str(), e.payload.size());
  for (const auto& s : e.signatures) {
    if (s.countersigns) {
      std::printf("  countersignature by %s over %s\n", s.keyid.c_str(), s.countersigns->c_str());
    } else {
      std::printf("  signature by %s\n", s.keyid.c_str());
    }
  }
  if (e.signatures.empty()) std::printf("  (no signatures yet)\n");
  if (e.payload_type == trust::kFleetsPayloadType) {
    auto p = trust::ParsePayload(e.payload);
    if (!p.ok()) {
      std::printf("payload: INVALID: %s\n", p.status().ToString().c_str());
      return;
    }
    std::printf("payload %s\n  namespace %s\n  epoch %llu\n  issued %s\n  expires %s\n", p->kind.c_str(),
                p->ns.c_str(), static_cast<unsigned long long>(p->epoch),
                trust::FormatRfc3339Utc(p->issued).c_str(), trust::FormatRfc3339Utc(p->expires).c_str());
    PrintFleets(*p);
  } else if (e.payload_type == trust::kPolicyPayloadType) {
    auto p = trust::ParsePolicyUpdatePayload(e.payload);
    if (!p.ok()) {
      std::printf("payload: INVALID: %s\n", p.status().ToString().c_str());
      return;
    }
    std::printf("policy update\n  namespace %s\n  version %llu\n  issued %s\n  new policy:\n", p->ns.c_str(),
                static_cast<unsigned long long>(p->version), trust::FormatRfc3339Utc(p->issued).c_str());
    std::string text = p->policy_text;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::printf("    | %s\n", text.substr(pos, nl - pos).c_str());
      pos = nl + 1;
    }
  }
}

// What kind of file this is, decided by its first bytes; then printed without verifying anything.
int RunInspect(const std::string& in) {
  auto input = ReadInput(in);
  if (!input.ok()) return Failure("bundle inspect", input.status());
  std::printf("NOT VERIFIED: `keyward bundle verify` checks signatures, log inclusion and freshness.\n");
  if (input->rfind(trust::kDeliveredHeader, 0) == 0) {
    auto d = trust::ParseDeliveredBundleFull(AsBytes(*input));
    if (!d.ok()) return Failure("bundle inspect", d.status().WithContext("delivered bundle"));
    std::printf("delivered bundle (%zu bytes; envelope %zu bytes)\n", input->size(), d->bundle.envelope.size());
    auto e = trust::ParseEnvelope(d->bundle.envelope);
    if (!e.ok()) return Failure("bundle inspect", e.status().WithContext("envelope"));
    PrintEnvelope(*e);
    const std::string& note = d->proof.checkpoint;
    const size_t sep = note.find("\n\n");
    auto cp = tlog::ParseCheckpoint(std::string_view(note).substr(0, sep == std::string::npos ? 0 : sep + 1));
    std::printf("tlog-proof\n  index %llu\n  inclusion proof %zu hashes\n",
                static_cast<unsigned long long>(d->proof.index), d->proof.inclusion.size());
    if (cp.ok()) {
      std::printf("  checkpoint origin %s\n  tree size %llu\n  root %s\n", cp->origin.c_str(),
                  static_cast<unsigned long long>(cp->size), Base64Encode(cp->root).c_str());
    }
    std::printf("  signature lines:\n");
    for (size_t pos = sep == std::string::npos ? note.size() : sep + 2; pos < note.size();) {
      size_t nl = note.find('\n', pos);
      if (nl == std::string::npos) nl = note.size();
      std::string line = note.substr(pos, nl - pos);
      size_t sp = line.find(' ', 4);
      std::printf("    %s\n", line.substr(0, sp).c_str());
      pos = nl + 1;
    }
    return 0;
  }
  auto e = EnvelopeFromInput(*input);
  if (!e.ok()) return Failure("bundle inspect", e.status());
  PrintEnvelope(*e);
  return 0;
}

}  // namespace

void RegisterBundleVerifyAndInspect(CLI::App& bundle) {
  auto v = std::make_shared<VerifyArgs>();
  auto* verify = bundle.add_subcommand(
      "verify",
      "Verify a delivered bundle (or a delivered policy update) exactly as a client does, and on success record\n"
      "it in the state file. Exit 0 accepted (fleets printed on stdout); 2 rejected, with\n"
      "`rejected: <code>: <message>` on stderr (codes: docs/trust.md); 1 usage or I/O error.");
  verify->add_option("--policy", v->policy, "Trust policy file (over-the-air mode)")->required();
  verify->add_option("--state", v->state,
                     "Trust state file (epoch high-water marks, log checkpoints, adopted policy); created if "
                     "missing, replaced atomically")
      ->required();
  verify->add_option("--in", v->in, "Delivered bundle file ('-' for stdin)")->required();
  verify->add_option("--now", v->now, "Verification time, RFC 3339 UTC (default: the system clock)");
  verify->add_flag("--dry-run", v->dry_run, "Do not update the state file");
  verify->add_flag("--offline", v->offline,
                   "Do not fetch a consistency proof from the log (the URL of the policy's `log` line) when the\n"
                   "checkpoint's size differs from the stored one; accept a larger witnessed tree (offline rule).\n"
                   "Online (default), a fetch failure also falls back to the offline rule, with a warning");
  verify->add_option("--fetch-timeout-ms", v->fetch_timeout_ms,
                     "Online: total time allowed for fetching the log's tiles (default 8000)")
      ->check(CLI::Range(100, 120000));
  verify->callback([v] { ExitCode() = RunVerify(*v); });

  auto in = std::make_shared<std::string>();
  auto* inspect = bundle.add_subcommand(
      "inspect", "Print a payload, envelope or delivered bundle for humans (verifies nothing)");
  inspect->add_option("--in", *in, "File to show ('-' for stdin)")->required();
  inspect->callback([in] { ExitCode() = RunInspect(*in); });
}

}  // namespace keyward::cli

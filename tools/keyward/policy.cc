// `keyward policy ...`: trust policies (trust/policy.h) and signer rotation (trust/rotation.h).
//
//   policy check   parse a policy strictly and print what it pins
//   policy update  write the (unsigned) policy-update payload that replaces the current policy by a
//                  new one; then, like a bundle: `bundle sign` by the OLD bundle quorum AND the NEW one
//                  (TUF root rotation), `bundle submit` to the log, deliver, `bundle verify` adopts it
//
// Exit codes: 0 ok; 1 usage or I/O error, or an invalid policy.
#include <cstdio>
#include <string>

#include "bundle_common.h"
#include "commands.h"
#include "trust/policy.h"
#include "trust/rotation.h"

namespace keyward::cli {
namespace {

struct UpdateArgs {
  std::string current;
  std::string next;
  uint64_t version = 0;
  std::string issued;
  std::string out;
};

int RunCheck(const std::string& path) {
  auto p = trust::TrustPolicy::Load(path);
  if (!p.ok()) return Failure("policy check", p.status());
  std::printf("namespace %s\nmode %s\n", p->ns().c_str(),
              p->mode() == trust::TrustMode::kPinned ? "pinned" : "over-the-air");
  if (p->pinned() != nullptr) {
    for (const auto& f : p->pinned()->fleets()) std::printf("fleet %s %s\n", f.id.c_str(), HexEncode(f.public_key).c_str());
    return 0;
  }
  for (const auto& s : p->signers()) std::printf("signer %s keyid %s\n", s.name.c_str(), s.keyid.c_str());
  std::printf("bundle-quorum %s\n", p->bundle_quorum().c_str());
  for (const auto& [a, b] : p->countersign_rules()) std::printf("countersign %s over %s\n", a.c_str(), b.c_str());
  std::printf("clock-skew %s\n", trust::FormatDuration(p->clock_skew()).c_str());
  if (p->max_age()) std::printf("max-age %s\n", trust::FormatDuration(*p->max_age()).c_str());
  return 0;
}

int RunUpdate(const UpdateArgs& a) {
  auto next = trust::TrustPolicy::Load(a.next);
  if (!next.ok()) return Failure("policy update", next.status().WithContext("--new"));
  if (next->mode() != trust::TrustMode::kOverTheAir) {
    return UsageError("policy update", "--new must be an over-the-air policy (signer, log, quorum lines)");
  }
  if (!a.current.empty()) {
    auto current = trust::TrustPolicy::Load(a.current);
    if (!current.ok()) return Failure("policy update", current.status().WithContext("--current"));
    if (current->ns() != next->ns()) {
      return UsageError("policy update", "the new policy's namespace \"" + next->ns() + "\" differs from the current \"" +
                                             current->ns() + "\"; clients would reject it (namespace)");
    }
  }
  if (a.version == 0) return UsageError("policy update", "--version must be >= 1 and above every earlier update's");
  trust::UnixSeconds issued = NowSeconds();
  if (!a.issued.empty()) {
    auto t = trust::ParseRfc3339Utc(a.issued);
    if (!t.ok()) return UsageError("policy update", "--issued: " + t.status().message());
    issued = *t;
  }
  trust::PolicyUpdatePayload payload{next->ns(), a.version, issued, next->text()};
  std::string json = trust::SerializePolicyUpdatePayload(payload);
  if (auto check = trust::ParsePolicyUpdatePayload(AsBytes(json)); !check.ok()) {
    return Failure("policy update", check.status());
  }
  if (Status s = WriteOutput(a.out, json); !s.ok()) return Failure("policy update", s);
  std::fprintf(stderr,
               "policy update: wrote %s (version %llu). Next: `keyward bundle sign` it with keys satisfying the "
               "CURRENT bundle-quorum AND the NEW one, `keyward bundle submit` it, and deliver it.\n",
               a.out.c_str(), static_cast<unsigned long long>(a.version));
  return 0;
}

}  // namespace

void RegisterPolicyCommand(CLI::App& app) {
  auto* policy = app.add_subcommand(
      "policy", "Trust policies: check one, or prepare a signer rotation (policy update). docs/trust.md");
  policy->require_subcommand(1);

  auto path = std::make_shared<std::string>();
  auto* check = policy->add_subcommand("check", "Parse a trust policy strictly and print what it pins");
  check->add_option("--policy", *path, "Trust policy file")->required();
  check->callback([path] { ExitCode() = RunCheck(*path); });

  auto u = std::make_shared<UpdateArgs>();
  auto* update = policy->add_subcommand(
      "update",
      "Write the unsigned payload of a policy update (keyward.policy/v1) that replaces the current policy.\n"
      "Clients adopt it only when it is signed by the current bundle quorum AND the new one and is logged:\n"
      "  keyward bundle sign --key OLD... --in U --out U; keyward bundle sign --key NEW... --in U --out U\n"
      "  keyward bundle submit --log URL --token-file T --in U --out U.bundle");
  update->add_option("--new", u->next, "The new trust policy file (over-the-air mode)")->required();
  update->add_option("--current", u->current, "The policy in force (only to check the namespace matches)");
  update->add_option("--version", u->version, "Update version, >= 1, above every earlier update's")->required();
  update->add_option("--issued", u->issued, "Issue time, RFC 3339 UTC; default now");
  update->add_option("--out", u->out, "Payload file to write ('-' for stdout)")->required();
  update->callback([u] { ExitCode() = RunUpdate(*u); });
}

}  // namespace keyward::cli

// `keyward node`: the vault node daemon (src/node/node.h). Exit codes: 0 after a graceful
// shutdown, 1 for usage errors, 2 when start-up fails (keystore, ports, files).
#include <cctype>
#include <cstdio>
#include <optional>
#include <string>

#include "commands.h"
#include "node/fleet_node.h"
#include "node/node.h"

namespace keyward::cli {
namespace {

// "off" or "0" -> 0; N followed by ms, s or m -> milliseconds (at most one day).
std::optional<uint32_t> ParseDurationMs(const std::string& text) {
  if (text == "off" || text == "0") return 0;
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  uint64_t n = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  uint64_t factor = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : 0;
  if (factor == 0 || n * factor > 86400000ull) return std::nullopt;
  return static_cast<uint32_t>(n * factor);
}

}  // namespace

void RegisterNodeCommand(CLI::App& app) {
  auto opts = std::make_shared<node::NodeOptions>();
  auto limit_ms = std::make_shared<std::pair<int64_t, int64_t>>(1000, 3600000);
  auto no_limit = std::make_shared<bool>(false);
  auto fleet = std::make_shared<node::FleetNodeOptions>();
  auto fleet_join = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "node",
      "Run a vault node: hosts one vault core and serves keyward.v1.Vault over gRPC.\n"
      "Prints `READY {\"listen\":...}` on stdout once listening; logs go to stderr. Stops on\n"
      "SIGTERM/SIGINT. Records are kept in memory only (see docs/operations.md).");
  cmd->add_option("--listen", opts->listen, "gRPC address HOST:PORT (port 0: pick a free port)")
      ->capture_default_str();
  cmd->add_option("--metrics-listen", opts->metrics_listen,
                  "HTTP address for /metrics (Prometheus), /healthz and /readyz; off when not given");
  cmd->add_flag("--dev", opts->dev,
                "Development mode: SoftHSM2 token, app key and trust policy created in --data-dir");
  cmd->add_option("--data-dir", opts->data_dir,
                  "Dev mode directory: hsm/ (SoftHSM2 token + PINs), app.key, trust.policy");
  cmd->add_option("--app-key", opts->app_key_path,
                  "Account-authority key file (128 hex digits). Required without --dev; dev default "
                  "DATA_DIR/app.key");
  cmd->add_option("--pkcs11-module", opts->pkcs11_module,
                  "PKCS#11 library holding the fleet keys (default: SoftHSM2)");
  cmd->add_option("--token-label", opts->token_label, "PKCS#11 token label (without --dev)");
  cmd->add_option("--pin", opts->pin_source,
                  "Where the token's user PIN comes from: env:NAME or file:PATH (never the PIN itself)");
  cmd->add_option("--fleet-id", opts->fleet_id, "Fleet id written to the dev trust policy")
      ->capture_default_str();
  cmd->add_option("--namespace", opts->trust_namespace, "Namespace written to the dev trust policy")
      ->capture_default_str();
  auto bundle_poll_ms = std::make_shared<int64_t>(1000);
  cmd->add_option("--bundle-dir", opts->bundle_dir,
                  "Over-the-air trust: directory of delivered bundles (*.bundle, from `keyward bundle submit`); the "
                  "newest epoch of --namespace is sent inline to clients holding an older one; new files are picked "
                  "up without restart (write elsewhere, then rename in)");
  cmd->add_option("--bundle-poll-ms", *bundle_poll_ms, "How often --bundle-dir is rescanned")->capture_default_str();
  cmd->add_option("--max-records", opts->max_records, "Bound on the core's record table")
      ->capture_default_str();
  cmd->add_option("--rate-limit-free-attempts", opts->rate_limit.free_attempts,
                  "Recovery attempts per user before the host starts delaying")
      ->capture_default_str();
  cmd->add_option("--rate-limit-base-ms", limit_ms->first,
                  "First delay after the free attempts; doubles per further attempt")
      ->capture_default_str();
  cmd->add_option("--rate-limit-max-ms", limit_ms->second, "Longest delay")->capture_default_str();
  cmd->add_option("--rate-limit-max-users", opts->rate_limit.max_users,
                  "Users whose attempt history the limiter remembers (LRU)")
      ->capture_default_str();
  cmd->add_flag("--no-rate-limit", *no_limit,
                "Disable the host rate limiter (tests, benchmarks); the core's attempt limit still holds");
  cmd->add_option("--grpc-threads", opts->grpc_threads,
                  "Threads serving the Vault gRPC service; each runs handlers (a single node's KE2 "
                  "included) where requests arrive. 1 uses the least CPU per recovery; more let a "
                  "single node use more cores")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--log-level", opts->log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  cmd->add_flag("--fleet-join", *fleet_join,
                "Run as a member of a replicated fleet (docs/replication.md): identity keys in the "
                "node's own token (--data-dir: a SoftHSM2 token in DIR/hsm), waits for `keyward fleet "
                "init`, or rejoins its fleet after a restart");
  cmd->add_option("--peer-listen", fleet->peer_listen,
                  "With --fleet-join: keyward.v1.Peer address HOST:PORT for the other members (port 0: "
                  "pick a free port; restart a member on the address in the manifest). It also serves the "
                  "unauthenticated `keyward fleet` control calls: keep it on a network only the members and "
                  "the operator reach (docs/operations.md)")
      ->capture_default_str();
  cmd->add_option("--election-timeout-ms", fleet->election_timeout_ms,
                  "With --fleet-join: Raft election timeout (randomized in [t, 2t))")
      ->capture_default_str();
  cmd->add_option("--fleet-batch-window-us", fleet->batch_window_us,
                  "With --fleet-join: how long the leader holds a command back for others to share "
                  "its Raft entry (fewer entries per command under load; adds at most this much to a "
                  "commit; 0: no window)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  auto silent_after = std::make_shared<std::string>("off");
  cmd->add_option("--fleet-remove-silent-after", *silent_after,
                  "With --fleet-join: the leader removes a member (voter or learner) from which nothing "
                  "was heard for DURATION (e.g. 30s, 2m, 1500ms; `off`: never), never going below "
                  "--fleet-min-voters voters; a removed member that comes back is re-added by healing")
      ->capture_default_str();
  cmd->add_option("--fleet-min-voters", fleet->min_voters,
                  "With --fleet-join: removals (silent or `keyward fleet remove`) never leave fewer "
                  "voters (0: a majority of the manifest's members, e.g. 2 of 3)")
      ->capture_default_str();
  cmd->callback([opts, limit_ms, no_limit, fleet, fleet_join, bundle_poll_ms, silent_after] {
    auto ms = ParseDurationMs(*silent_after);
    if (!ms) {
      std::fprintf(stderr, "keyward node: --fleet-remove-silent-after: `%s` is not a duration like 30s, 2m, "
                   "1500ms or off\n", silent_after->c_str());
      ExitCode() = 1;
      return;
    }
    fleet->remove_silent_after_ms = *ms;
    opts->bundle_poll = std::chrono::milliseconds(*bundle_poll_ms);
    opts->rate_limit.enabled = !*no_limit;
    opts->rate_limit.base_delay = std::chrono::milliseconds(limit_ms->first);
    opts->rate_limit.max_delay = std::chrono::milliseconds(limit_ms->second);
    if (opts->dev && opts->data_dir.empty()) {
      std::fprintf(stderr, "keyward node: --dev needs --data-dir DIR\n");
      ExitCode() = 1;
      return;
    }
    Status s = *fleet_join ? node::RunFleetNode(*opts, *fleet) : node::RunNode(*opts);
    if (!s.ok()) {
      std::fprintf(stderr, "keyward node: %s\n", s.ToString().c_str());
      ExitCode() = 2;
    }
  });
}

}  // namespace keyward::cli

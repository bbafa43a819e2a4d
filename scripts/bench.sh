#!/usr/bin/env bash
# Runs Keyward's benchmarks and prints one line per figure:
#   RESULT name=<name> value=<number> unit=<unit>
# Usage: scripts/bench.sh BUILD_DIR        (called by `make bench`; BUILD_DIR holds bench/keyward_bench)
#
# Layout: one shell function per section (section_<name>), listed in `sections` at the bottom; add a
# section by writing a function and appending its name. Helpers available to sections:
#   gbench FILTER OUT_JSON     run keyward_bench on benchmarks matching FILTER, JSON into OUT_JSON
#   gbench_us OUT_JSON NAME    median cpu_time of benchmark NAME in µs (from --benchmark_repetitions)
#   calc 'EXPR' [ARGS...]      a JavaScript number expression over a, b, c... = ARGS (2 decimals)
#   result NAME VALUE UNIT     print a RESULT line
# Every ratio is computed from figures of the same run. Times are CPU time (Google Benchmark's
# cpu_time, process.cpuUsage() in Node): on a busy shared machine, wall time measures the neighbours.
# Arithmetic and JSON go through node (installed by scripts/install-deps.sh) so that nothing beyond
# Debian 12's packages is needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: scripts/bench.sh BUILD_DIR}"
bench_bin="$build/bench/keyward_bench"
REPETITIONS="${REPETITIONS:-10}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

[ -x "$bench_bin" ] || { echo "bench: $bench_bin not found; build first (make build)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench: node not found; run scripts/install-deps.sh" >&2; exit 1; }

result() { printf 'RESULT name=%s value=%s unit=%s\n' "$1" "$2" "$3"; }

gbench() {
  "$bench_bin" --benchmark_filter="$1" --benchmark_repetitions="$REPETITIONS" \
    --benchmark_report_aggregates_only=true --benchmark_format=json --benchmark_out_format=json \
    --benchmark_out="$2" >/dev/null 2>"$work/gbench.err" ||
    { cat "$work/gbench.err" >&2; echo "bench: keyward_bench failed (filter $1)" >&2; exit 1; }
}

gbench_us() {
  node -e '
    const [file, name] = process.argv.slice(1);
    const scale = { ns: 1e-3, us: 1, ms: 1e3, s: 1e6 };
    const runs = JSON.parse(require("fs").readFileSync(file, "utf8")).benchmarks;
    const b = runs.find((r) => r.run_name === name && r.aggregate_name === "median");
    if (!b) { console.error(`bench: no median for ${name} in ${file}`); process.exit(1); }
    if (b.error_occurred) { console.error(`bench: ${name}: ${b.error_message}`); process.exit(1); }
    console.log((b.cpu_time * scale[b.time_unit]).toFixed(2));' "$1" "$2"
}

calc() {
  node -e '
    const [expr, ...xs] = process.argv.slice(1);
    const names = "abcdefgh".slice(0, xs.length).split("");
    console.log(new Function(...names, `return (${expr});`)(...xs.map(Number)).toFixed(2));' "$@"
}

# Issue 2: OPAQUE server login (KE1 -> KE2 -> KE3 check) against the ristretto255 floor (4
# variable-base + 1 fixed-base multiplications) and against opaque-ke 4.0 (@serenity-kit/opaque 1.1.0
# WASM), both timed on the server side only. Targets: <= 1.15x floor, >= 3.5x faster than opaque-ke.
section_opaque() {
  local json="$work/opaque.json" ours floor theirs
  gbench '^BM_(CryptoFloor|OpaqueServerLogin)$' "$json"
  ours=$(gbench_us "$json" BM_OpaqueServerLogin)
  floor=$(gbench_us "$json" BM_CryptoFloor)
  [ -d "$root/tests/interop/node_modules" ] ||
    { echo "bench: tests/interop/node_modules missing; run scripts/install-deps.sh" >&2; exit 1; }
  theirs=$(cd "$root/tests/interop" && node bench_serenity.mjs |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).us_per_op.toFixed(2))')
  result opaque_server_login "$ours" us
  result opaque_crypto_floor "$floor" us
  result opaque_ke_server_login "$theirs" us
  result opaque_login_vs_floor "$(calc 'a / b' "$ours" "$floor")" x
  result opaque_speedup_vs_opaque_ke "$(calc 'a / b' "$theirs" "$ours")" x
}

# Issue 3: full recoveries per second through gRPC on one dev node (SoftHSM2 keys, no rate limit)
# with NODE_BENCH_CONCURRENCY client threads on the same machine; client-side Argon2id excluded
# (Identity KSF). node_vs_floor = (recoveries/s per core the node used) / (1 / crypto floor), the
# floor (4 var-base + 1 fixed-base ristretto255 mults) measured by the same process. Target >= 0.6.
section_node() {
  local kw="$build/keyward" d="$work/node" out pid addr json i
  [ -x "$kw" ] || { echo "bench: $kw not found; build first" >&2; exit 1; }
  mkdir -p "$d"
  "$kw" node --dev --data-dir "$d/data" --listen 127.0.0.1:0 --no-rate-limit --log-level warn \
    >"$d/out" 2>"$d/err" &
  pid=$!
  for i in $(seq 1 300); do grep -q '^READY ' "$d/out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^READY ' "$d/out" || { cat "$d/err" >&2; kill "$pid"; echo "bench: node not ready" >&2; exit 1; }
  addr=$(sed -n 's/^READY .*"listen":"\([^"]*\)".*/\1/p' "$d/out")
  json=$("$kw" client bench --vault "$addr" --trust "$d/data/trust.policy" --app-key "$d/data/app.key" \
    --node-pid "$pid" --concurrency "${NODE_BENCH_CONCURRENCY:-4}" --duration-ms "${NODE_BENCH_MS:-5000}") ||
    { kill "$pid"; echo "bench: client bench failed" >&2; exit 1; }
  kill -TERM "$pid"; wait "$pid" || true
  field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$json" "$1"; }
  result node_recoveries_per_s "$(field per_s)" ops/s
  result node_recovery_p50 "$(field p50_ms)" ms
  result node_recovery_p99 "$(field p99_ms)" ms
  result node_crypto_floor "$(field floor_us)" us
  result node_cores_used "$(field node_cores)" cores
  result node_vs_floor "$(field vs_floor_per_core)" x
}

# Issue 4: durable appends per second to the audit log with 64 concurrent HTTP submitters, a
# checkpoint per batch (>= 1/s), without and with two witnesses cosigning every checkpoint. Real
# daemons (log + witnesses) on loopback inside `keyward log bench`; target >= 5,000 appends/s.
section_log() {
  local kw="$build/keyward" line
  [ -x "$kw" ] || { echo "bench: $kw not found; build first" >&2; exit 1; }
  for w in 0 2; do
    local name=log_appends_per_s
    [ "$w" = 0 ] || name=log_appends_per_s_witnessed
    line=$("$kw" log bench --submitters 64 --witnesses "$w" --seconds "${LOG_BENCH_SECONDS:-10}" --name "$name" |
      grep '^RESULT ') || { echo "bench: keyward log bench failed" >&2; exit 1; }
    echo "$line"
  done
}

# Issue 4: verifying a C2SP tlog-proof (log signature + 3 witness cosignatures under a 3-witness
# quorum, inclusion proof of depth 20 in a 2^20-entry log) against its floor measured in the same
# run: 4 strict Ed25519 verifications + leaf hash + 20 node hashes (bench/tlog_bench.cc). Target <= 1.2x.
section_tlog() {
  local json="$work/tlog.json" ours floor
  gbench '^BM_TlogProofVerify(Floor)?$' "$json"
  ours=$(gbench_us "$json" BM_TlogProofVerify)
  floor=$(gbench_us "$json" BM_TlogProofVerifyFloor)
  result tlog_proof_verify "$ours" us
  result tlog_proof_verify_floor "$floor" us
  result tlog_proof_verify_vs_floor "$(calc 'a / b' "$ours" "$floor")" x
}

# Issue 5: verifying a delivered validation bundle. sigstore_js_verify: the independent comparison,
# @sigstore/verify 3.1.1 verifying a comparable locally made Sigstore bundle (DSSE envelope with one
# Ed25519 signature, Rekor-style dsse entry with a depth-20 inclusion proof and a signed checkpoint,
# no witnesses: tests/sigstore/bench_sigstore.mjs), CPU µs per verification, median of batch means.
# bundle_verify: trust::VerifyBundle on a delivered bundle (2 envelope signatures, 3 witness
# cosignatures under an all-3 quorum, inclusion proof of depth 20 in a 2^20-entry log) against its
# floor measured in the same run: 6 strict Ed25519 verifications + leaf hash + 20 node hashes
# (bench/trust_bench.cc). Target <= 1.2x.
section_trust() {
  local theirs json="$work/trust.json" ours floor
  gbench '^BM_BundleVerify(Floor)?$' "$json"
  ours=$(gbench_us "$json" BM_BundleVerify)
  floor=$(gbench_us "$json" BM_BundleVerifyFloor)
  result bundle_verify "$ours" us
  result bundle_verify_floor "$floor" us
  result bundle_verify_vs_floor "$(calc 'a / b' "$ours" "$floor")" x
  [ -d "$root/tests/sigstore/node_modules" ] ||
    { echo "bench: tests/sigstore/node_modules missing; run scripts/install-deps.sh" >&2; exit 1; }
  theirs=$(cd "$root/tests/sigstore" && node bench_sigstore.mjs |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).us_per_op.toFixed(2))')
  result sigstore_js_verify "$theirs" us
}

# fleet_bench_median VAULTS PREFIX DIR PIDS [FIRST_FLIGHT]: FLEET_BENCH_REPEAT runs (default 3) of
# `keyward fleet bench` on the running fleet, users PREFIX<run>-..., first flights FIRST_FLIGHT
# (default FLEET_BENCH_FIRST_FLIGHT, prepared); sets median_json to the JSON of the run with
# the median recoveries/s (the lower middle one for an even count), as the C++ figures are medians
# over repetitions, and median_spread to "min,max"; prints every run's figure to stderr.
fleet_bench_median() {
  local r out runs=() i
  for r in $(seq 1 "${FLEET_BENCH_REPEAT:-3}"); do
    out=$("$build/keyward" fleet bench --vaults "$1" --user-prefix "$2$r-" --trust "$3/fleet/trust.policy" --app-key "$3/n1/app.key" \
      --node-pids "$4" --concurrency "${FLEET_BENCH_CONCURRENCY:-128}" --duration-ms "${FLEET_BENCH_MS:-5000}" --call "${FLEET_BENCH_CALL:-stream}" \
      --engine "${FLEET_BENCH_ENGINE:-async}" --threads "${FLEET_BENCH_THREADS:-2}" \
      --first-flight "${5:-${FLEET_BENCH_FIRST_FLIGHT:-prepared}}") ||
      { echo "$out" >&2; echo "bench: fleet bench ($2) failed (failures above)" >&2; return 1; }
    runs+=("$out")
  done
  read -r i median_spread < <(node -e 'const r=process.argv.slice(2).map(JSON.parse);
    r.forEach((x,k)=>console.error(`fleet bench ${process.argv[1]} run ${k+1}: ${x.per_s} recoveries/s, host_cores ${x.host_cores}`));
    const o=r.map((x,k)=>k).sort((a,b)=>r[a].per_s-r[b].per_s);
    console.log(o[Math.floor((o.length-1)/2)], `${r[o[0]].per_s},${r[o[o.length-1]].per_s}`)' "$2" "${runs[@]}")
  median_json=${runs[$i]}
}

# Issue 6: a 3-node loopback fleet (`keyward node --fleet-join` x3, each its own SoftHSM2 token,
# `keyward fleet init`), FLEET_BENCH_CONCURRENCY client threads spread over the three members
# (followers forward to the leader): full recoveries/s (KE1 -> KE2 -> KE3, both commits), then p99
# at half that rate; fleet_vs_floor = recoveries/s / (2 cores / crypto floor), the floor measured by
# the same process; the run with the median recoveries/s of FLEET_BENCH_REPEAT gives the figures.
# Targets: >= 2000/s, p99 <= 50 ms at half load. fleet_host_cores says how many
# cores' worth of crypto the host gave around the full-load phase (a shared host can slow a vCPU).
# Knobs: FLEET_BENCH_REPEAT (3), FLEET_BENCH_CONCURRENCY (128), FLEET_BENCH_MS, FLEET_BENCH_ENGINE, FLEET_BENCH_THREADS,
# FLEET_NODE_ARGS (extra `keyward node` flags), FLEET_NODE_ENV (environment for the nodes only, e.g.
# GRPC_POLL_STRATEGY=poll), FLEET_BENCH_LEADER_DIRECT=0 (skip the leader-direct run),
# FLEET_BENCH_VERBOSE=1 (print the raw JSON and `fleet status`), FLEET_BENCH_FIRST_FLIGHT
# (prepared: each recovery's credential + KE1 built before the phase, as clients have it ready on
# their own devices; live: built when it starts), FLEET_BENCH_LIVE_RUN=0 (skip the extra live run).
section_fleet() {
  local kw="$build/keyward" d="$work/fleet" pids="" peers="" vaults="" json spread leader_spread="" i n
  [ -x "$kw" ] || { echo "bench: $kw not found; build first" >&2; exit 1; }
  mkdir -p "$d"
  for n in 1 2 3; do  # member 1 creates n1/app.key; the others share it
    env ${FLEET_NODE_ENV:-} "$kw" node --fleet-join --data-dir "$d/n$n" --listen 127.0.0.1:0 --peer-listen 127.0.0.1:0 \
      $([ "$n" = 1 ] || echo --app-key "$d/n1/app.key") --no-rate-limit --log-level warn ${FLEET_NODE_ARGS:-} >"$d/out$n" 2>"$d/err$n" &
    pids="$pids${pids:+,}$!"
    for i in $(seq 1 300); do grep -q '^READY ' "$d/out$n" 2>/dev/null && break; sleep 0.1; done
    grep -q '^READY ' "$d/out$n" || { cat "$d/err$n" >&2; kill ${pids//,/ }; echo "bench: fleet node not ready" >&2; exit 1; }
    peers="$peers${peers:+,}$(sed -n 's/^READY .*"peer_listen":"\([^"]*\)".*/\1/p' "$d/out$n")"
    vaults="$vaults${vaults:+,}$(sed -n 's/^READY {"listen":"\([^"]*\)".*/\1/p' "$d/out$n")"
  done
  "$kw" fleet init --nodes "$peers" --out "$d/fleet" >/dev/null ||
    { kill ${pids//,/ }; echo "bench: fleet init failed" >&2; exit 1; }
  # Clients given ALL members (what apps do): the SDK follows the members' leader hint.
  # FLEET_BENCH_ENGINE=async (default; FLEET_BENCH_THREADS polling threads) or sdk (a thread per recovery).
  fleet_bench_median "$vaults" bench "$d" "$pids" || { kill ${pids//,/ }; exit 1; }
  json=$median_json spread=$median_spread
  # The same load sent straight to the leader (a leader-aware client: no forwarding hop).
  local status leader_vault="" json_leader="" per_entry=""
  status=$("$kw" fleet status --nodes "$peers") || true
  [ -n "${FLEET_BENCH_VERBOSE:-}" ] && { echo "$json" >&2; echo "$status" >&2; }
  # From the members' status lines: the leader's client address, and its commands per Raft entry
  # (group commit) over the warm-up, full and half load.
  read -r leader_vault per_entry < <(node -e 'const l=process.argv[1].trim().split("\n").map(JSON.parse);
    const v=process.argv[2].split(","),i=l.findIndex(x=>x.ready_leader),x=l[i];
    console.log(i<0?"-":v[i], x&&x.entries_proposed?(x.commands_proposed/x.entries_proposed).toFixed(2):"-")' "$status" "$vaults") || true
  [ "$leader_vault" != - ] || leader_vault=""
  [ "$per_entry" != - ] || per_entry=""
  if [ -n "$leader_vault" ] && [ "${FLEET_BENCH_LEADER_DIRECT:-1}" != 0 ]; then
    if fleet_bench_median "$leader_vault" leader-direct "$d" "$pids"; then json_leader=$median_json leader_spread=$median_spread; fi
  fi
  # One run whose clients build each first flight (credential + KE1) when the recovery starts, so
  # that crypto also runs on the two cores the nodes use (FLEET_BENCH_LIVE_RUN=0 skips it).
  local json_live=""
  if [ "${FLEET_BENCH_LIVE_RUN:-1}" != 0 ] && [ "${FLEET_BENCH_FIRST_FLIGHT:-prepared}" != live ]; then
    if FLEET_BENCH_REPEAT=1 fleet_bench_median "$vaults" live "$d" "$pids" live; then json_live=$median_json; fi
  fi
  kill -TERM ${pids//,/ }; for i in ${pids//,/ }; do wait "$i" || true; done
  # jfield JSON NAME: one field of a fleet bench's JSON line.
  jfield() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$1" "$2"; }
  field() { jfield "$json" "$1"; }
  if [ -n "${json_leader:-}" ]; then
    result fleet_recoveries_per_s_leader_direct "$(jfield "$json_leader" per_s)" ops/s
    result fleet_recoveries_per_s_leader_direct_min "${leader_spread%,*}" ops/s
    result fleet_recovery_p99_half_load_leader_direct "$(jfield "$json_leader" half_p99_ms)" ms
    result fleet_nodes_cores_used_leader_direct "$(jfield "$json_leader" nodes_cores)" cores
    result fleet_vs_floor_leader_direct "$(jfield "$json_leader" vs_floor)" x
  fi
  if [ -n "$json_live" ]; then
    result fleet_recoveries_per_s_live_first_flight "$(jfield "$json_live" per_s)" ops/s
    result fleet_host_cores_live_first_flight "$(jfield "$json_live" host_cores)" cores
    result fleet_client_us_per_recovery_live_first_flight "$(jfield "$json_live" client_us_per_recovery)" us
  fi
  result fleet_recoveries_per_s "$(field per_s)" ops/s
  result fleet_recoveries_per_s_min "${spread%,*}" ops/s
  result fleet_recoveries_per_s_max "${spread#*,}" ops/s
  # Cores' worth of crypto the host gave around the full-load phase (2.00: both vCPUs at full speed).
  result fleet_host_cores "$(field host_cores)" cores
  result fleet_recovery_p50 "$(field p50_ms)" ms
  result fleet_recovery_p99 "$(field p99_ms)" ms
  result fleet_recovery_p99_half_load "$(field half_p99_ms)" ms
  result fleet_crypto_floor "$(field floor_us)" us
  result fleet_nodes_cores_used "$(field nodes_cores)" cores
  result fleet_node_us_per_recovery "$(field node_us_per_recovery)" us
  result fleet_client_us_per_recovery "$(field client_us_per_recovery)" us
  # How the median run's first flights were built: how many ahead of the full-load phase, at what CPU
  # each (not in the figures above), and how many live because none was left (0 expected).
  result fleet_first_flights_prepared "$(field first_flights_prepared)" flights
  result fleet_prepare_us_per_flight "$(field prepare_us_per_flight)" us
  result fleet_first_flights_live "$(field first_flights_live)" flights
  result fleet_vs_floor "$(field vs_floor)" x
  [ -z "$per_entry" ] || result fleet_commands_per_entry "$per_entry" commands
}

sections=(section_opaque section_node section_log section_tlog section_trust section_fleet)
# SECTIONS="node log" scripts/bench.sh build   runs only those sections
if [ -n "${SECTIONS:-}" ]; then read -r -a sections <<<"$(printf "section_%s " $SECTIONS)"; fi
for s in "${sections[@]}"; do "$s"; done

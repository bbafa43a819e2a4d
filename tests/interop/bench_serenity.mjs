// Server-side OPAQUE login cost of @serenity-kit/opaque 1.1.0 (opaque-ke 4.0 in WASM), the
// comparison point of issue 2's benchmark (scripts/bench.sh, docs/benchmarks.md).
//
// What is timed, per operation: server.startLogin (KE1 -> KE2) + server.finishLogin (KE3 check) for
// a registered user, exactly what bench/opaque_bench.cc BM_OpaqueServerLogin times for Keyward.
// KE3 depends on the server's random KE2, so each iteration runs the client in between, but only the
// two server calls are inside the timers (process.cpuUsage() and process.hrtime.bigint() around
// each; their cost, ~1 µs, is negligible against ~1 ms operations). The client uses a tiny Argon2id (the server never runs the
// KSF, so this does not change what is measured; it only keeps the run short).
//
// Statistic: like Google Benchmark's --benchmark_repetitions with the median aggregate of cpu_time
// (what scripts/bench.sh reads for Keyward's side), the run is split into batches, each batch's mean
// CPU time per op is one repetition, and us_per_op is the median over batches (wall_us_per_op the
// same for wall-clock time); a busy shared machine then skews it little.
//
// Usage: node bench_serenity.mjs [--batches N] [--batch-size N] [--warmup N]
// Prints one JSON object on stdout:
//   {"name":"opaque_ke_server_login","us_per_op":<CPU µs, median of batch means>,
//    "wall_us_per_op":<wall µs, same statistic>, ...}
import * as opaque from "@serenity-kit/opaque";

function intArg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number.parseInt(process.argv[i + 1], 10);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench_serenity: ${name} needs a positive integer, got ${process.argv[i + 1]}`);
    process.exit(1);
  }
  return v;
}

const batches = intArg("--batches", 10);
const batchSize = intArg("--batch-size", 30);
const warmup = intArg("--warmup", 20);

await opaque.ready;

const keyStretching = { "argon2id-custom": { memory: 8, iterations: 1, parallelism: 1 } };
const password = "correct horse battery staple";
const userIdentifier = "bench-user@example.com";
const serverSetup = opaque.server.createSetup();

const reg = opaque.client.startRegistration({ password });
const { registrationResponse } = opaque.server.createRegistrationResponse({
  serverSetup, userIdentifier, registrationRequest: reg.registrationRequest,
});
const { registrationRecord } = opaque.client.finishRegistration({
  clientRegistrationState: reg.clientRegistrationState, registrationResponse, password, keyStretching,
});

// CPU microseconds of this process (user + system), like Google Benchmark's cpu_time: on a busy
// shared machine wall time mostly measures the other tenants.
function cpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// One login; returns [wall ns, CPU µs] spent in the two server calls.
function serverLogin() {
  const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
  const c0 = cpuUs();
  const t0 = process.hrtime.bigint();
  const { serverLoginState, loginResponse } = opaque.server.startLogin({
    serverSetup, registrationRecord, startLoginRequest, userIdentifier,
  });
  const t1 = process.hrtime.bigint();
  const c1 = cpuUs();
  const fin = opaque.client.finishLogin({ clientLoginState, loginResponse, password, keyStretching });
  if (!fin) throw new Error("client.finishLogin failed against serenity's own server");
  const c2 = cpuUs();
  const t2 = process.hrtime.bigint();
  const { sessionKey } = opaque.server.finishLogin({
    serverLoginState, finishLoginRequest: fin.finishLoginRequest,
  });
  const t3 = process.hrtime.bigint();
  const c3 = cpuUs();
  if (sessionKey !== fin.sessionKey) throw new Error("session keys differ");
  return [Number(t1 - t0) + Number(t3 - t2), c1 - c0 + (c3 - c2)];
}

for (let i = 0; i < warmup; i++) serverLogin();
const cpuMeans = [];
const wallMeans = [];
for (let b = 0; b < batches; b++) {
  let wallNs = 0;
  let cpu = 0;
  for (let i = 0; i < batchSize; i++) {
    const [w, c] = serverLogin();
    wallNs += w;
    cpu += c;
  }
  wallMeans.push(wallNs / 1000 / batchSize);
  cpuMeans.push(cpu / batchSize);
}
function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const round = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  name: "opaque_ke_server_login",
  library: "@serenity-kit/opaque@1.1.0",
  node: process.version,
  batches,
  batch_size: batchSize,
  us_per_op: round(median(cpuMeans)),
  wall_us_per_op: round(median(wallMeans)),
}));

// A JSON-lines peer around @serenity-kit/opaque 1.1.0 (facebook's opaque-ke 4.0 in WASM), driven by
// tests/interop/serenity_interop_test.cc over stdin/stdout.
//
// Protocol (one JSON object per line, UTF-8):
//   start-up  peer -> `READY {"peer":"@serenity-kit/opaque","version":"1.1.0"}` once the WASM is ready
//   request   {"id": <int>, "fn": "client.startLogin" | "server.finishLogin" | ..., "args": {...}}
//   response  {"id": <same>, "ok": true, "result": <the function's return value, or null for undefined>}
//             {"id": <same>, "ok": false, "error": "<what the function threw>"}
// `args` is passed unchanged to the serenity function, so every byte string is base64url without
// padding of the RFC 9807 wire bytes (REFERENCE.md §B). The peer exits when stdin closes.
// Diagnostics go to stderr only; stdout carries nothing but protocol lines.
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import * as opaque from "@serenity-kit/opaque";

const require = createRequire(import.meta.url);
const version = require("@serenity-kit/opaque/package.json").version;

// The functions a test may call, by their documented names (index.d.ts namespaces).
const functions = {
  "client.startRegistration": opaque.client.startRegistration,
  "client.finishRegistration": opaque.client.finishRegistration,
  "client.startLogin": opaque.client.startLogin,
  "client.finishLogin": opaque.client.finishLogin,
  "server.createSetup": () => opaque.server.createSetup(),
  "server.getPublicKey": (args) => opaque.server.getPublicKey(args.serverSetup),
  "server.createRegistrationResponse": opaque.server.createRegistrationResponse,
  "server.startLogin": opaque.server.startLogin,
  "server.finishLogin": opaque.server.finishLogin,
};

function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    return { id: null, ok: false, error: `request is not JSON: ${e.message}` };
  }
  const id = request.id ?? null;
  const fn = functions[request.fn];
  if (!fn) {
    return { id, ok: false, error: `unknown fn ${JSON.stringify(request.fn)}; known: ${Object.keys(functions).join(", ")}` };
  }
  try {
    const result = fn(request.args ?? {});
    return { id, ok: true, result: result === undefined ? null : result };
  } catch (e) {
    return { id, ok: false, error: String(e && e.message ? e.message : e) };
  }
}

await opaque.ready;
process.stdout.write(`READY ${JSON.stringify({ peer: "@serenity-kit/opaque", version })}\n`);

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on("line", (line) => {
  if (line.trim() === "") return;
  process.stdout.write(JSON.stringify(handle(line)) + "\n");
});
rl.on("close", () => process.exit(0));

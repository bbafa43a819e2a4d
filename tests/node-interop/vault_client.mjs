// An independent keyward.v1.Vault client: gRPC via @grpc/grpc-js + proto-loader (from
// proto/keyward/v1/vault.proto), every OPAQUE step via @serenity-kit/opaque 1.1.0 (opaque-ke), and
// the upload / recovered-secret envelopes written here from docs/protocol.md with @noble/* only:
// ristretto255 ephemeral-static DH, HKDF-SHA512, XChaCha20-Poly1305. Nothing is shared with the C++
// client code.
//
// Usage: node vault_client.mjs --vault HOST:PORT --app-key FILE --fleet-key HEX --user ID
// Prints progress lines and finally `PASS` (exit 0) or `FAIL <reason>` (exit 1).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import * as opaque from "@serenity-kit/opaque";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { extract, expand } from "@noble/hashes/hkdf.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const fail = (why) => { console.log(`FAIL ${why}`); process.exit(1); };
const hex = (b) => Buffer.from(b).toString("hex");
const fromB64u = (s) => new Uint8Array(Buffer.from(s, "base64url"));
const toB64u = (b) => Buffer.from(b).toString("base64url");
const u16 = (n) => new Uint8Array([n >> 8, n & 0xff]);
const u64 = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; };
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const appKey = new Uint8Array(Buffer.from(readFileSync(args["app-key"], "utf8").trim(), "hex"));
const fleetKey = new Uint8Array(Buffer.from(args["fleet-key"], "hex"));
const user = args.user;
const userBytes = utf8ToBytes(user);

// Account credential: expiry(u64 BE) || HMAC-SHA512(app_key, "keyward-account-v1" || u16 len || user || expiry).
function account() {
  const expiry = u64(Math.floor(Date.now() / 1000) + 300);
  const mac = hmac(sha512, appKey, concatBytes(utf8ToBytes("keyward-account-v1"), u16(userBytes.length), userBytes, expiry));
  return { user_id: user, credential: Buffer.from(concatBytes(expiry, mac)) };
}

const def = protoLoader.loadSync(path.join(here, "../../proto/keyward/v1/vault.proto"),
  { keepCase: true, longs: String, enums: String, defaults: true });
const Vault = grpc.loadPackageDefinition(def).keyward.v1.Vault;
const stub = new Vault(args.vault, grpc.credentials.createInsecure());
const call = (method, req) => new Promise((resolve, reject) => {
  stub[method](req, { deadline: Date.now() + 20000 }, (err, resp) => (err ? reject(err) : resolve(resp)));
});

// docs/protocol.md "Upload": dh = e·pk_S; prk = HKDF-Extract("keyward/upload/v1", dh || E || pk_S);
// key || nonce = HKDF-Expand(prk, "keyward upload key", 56); XChaCha20-Poly1305 with
// AD = "keyward upload v1" || u16 len || user || SHA-512(record) || u64 epoch || commitment || u8 max.
function buildUpload(record, epoch, secret, maxAttempts) {
  const activationKey = randomBytes(32);
  const commitment = sha256(concatBytes(utf8ToBytes("keyward/activation/v1"), activationKey));
  const { Point } = ristretto255;
  const e = Point.Fn.create(BigInt("0x" + hex(randomBytes(64))));
  const E = Point.BASE.multiply(e).toBytes();
  const dh = Point.fromBytes(fleetKey).multiply(e).toBytes();
  const prk = extract(sha512, concatBytes(dh, E, fleetKey), utf8ToBytes("keyward/upload/v1"));
  const km = expand(sha512, prk, utf8ToBytes("keyward upload key"), 56);
  const ad = concatBytes(utf8ToBytes("keyward upload v1"), u16(userBytes.length), userBytes, sha512(record),
    u64(epoch), commitment, new Uint8Array([maxAttempts]));
  const ct = xchacha20poly1305(km.slice(0, 32), km.slice(32, 56), ad).encrypt(secret);
  // UploadEnvelope: u8 version=1 || u64 epoch || E(32) || u8 len || ciphertext || u8 has_proof=0
  const envelope = concatBytes(new Uint8Array([1]), u64(epoch), E, new Uint8Array([ct.length]), ct, new Uint8Array([0]));
  return { envelope, commitment, activationKey };
}

// docs/protocol.md "Recovered secret": prk = HKDF-Extract("keyward/session/v1", session_key);
// key = Expand(prk, "keyward recovered secret", 32); nonce(24) || XChaCha20-Poly1305, AD =
// "keyward recovered secret v1" || u16 len || user.
function openSecret(sessionKey, blob) {
  const prk = extract(sha512, sessionKey, utf8ToBytes("keyward/session/v1"));
  const key = expand(sha512, prk, utf8ToBytes("keyward recovered secret"), 32);
  const ad = concatBytes(utf8ToBytes("keyward recovered secret v1"), u16(userBytes.length), userBytes);
  return xchacha20poly1305(key, blob.slice(0, 24), ad).decrypt(blob.slice(24));
}

async function recover(password) {
  const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
  const s = await call("RecoverStart", { account: account(), ke1: Buffer.from(fromB64u(startLoginRequest)) });
  const fin = opaque.client.finishLogin({ clientLoginState, loginResponse: toB64u(s.ke2), password });
  const ke3 = fin ? fromB64u(fin.finishLoginRequest) : randomBytes(64);  // decoy KE3 on local failure
  if (fin && !eq(fromB64u(fin.serverStaticPublicKey), fleetKey)) fail("KE2 from an unpinned fleet key");
  const f = await call("RecoverFinish", { account: account(), ke3: Buffer.from(ke3), login_state: s.login_state });
  return { outcome: f.outcome, remaining: f.attempts_remaining,
           secret: f.outcome === "RECOVER_OUTCOME_SUCCESS" ? openSecret(fromB64u(fin.sessionKey), new Uint8Array(f.encrypted_secret)) : null };
}

try {
  await opaque.ready;
  const password = "node interop password";
  const secret = utf8ToBytes("secret stored by an independent client");
  const reg = opaque.client.startRegistration({ password });
  const rs = await call("RegisterStart", { account: account(), registration_request: Buffer.from(fromB64u(reg.registrationRequest)) });
  const fin = opaque.client.finishRegistration({ clientRegistrationState: reg.clientRegistrationState,
    registrationResponse: toB64u(rs.registration_response), password });
  if (!eq(fromB64u(fin.serverStaticPublicKey), fleetKey)) fail("registration response carries an unpinned fleet key");
  const record = fromB64u(fin.registrationRecord);
  const epoch = Number(rs.registration_epoch) + 1;
  const up = buildUpload(record, epoch, secret, 5);
  await call("RegisterUpload", { account: account(), registration_record: Buffer.from(record),
    encrypted_secret: Buffer.from(up.envelope), activation_commitment: Buffer.from(up.commitment), max_attempts: 5 });
  const act = await call("RegisterActivate", { account: account(), activation_key: Buffer.from(up.activationKey) });
  console.log(`registered+activated attempts_remaining=${act.attempts_remaining}`);
  if (act.attempts_remaining !== 5) fail(`activation reported ${act.attempts_remaining} attempts`);
  const wrong = await recover("not the password");
  console.log(`wrong password: outcome=${wrong.outcome} remaining=${wrong.remaining}`);
  if (wrong.outcome !== "RECOVER_OUTCOME_WRONG_PASSWORD" || wrong.remaining !== 4) fail("wrong password not counted");
  const ok = await recover(password);
  console.log(`recovered: outcome=${ok.outcome} remaining=${ok.remaining}`);
  if (ok.outcome !== "RECOVER_OUTCOME_SUCCESS" || !ok.secret || !eq(ok.secret, secret)) fail("recovery failed");
  if (ok.remaining !== 5) fail("success did not reset the counter");
  console.log("PASS");
  process.exit(0);
} catch (e) {
  fail(e && e.message ? e.message.replace(/\n/g, " ") : String(e));
}

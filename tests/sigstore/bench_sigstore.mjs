// CPU cost of verifying a Sigstore bundle with @sigstore/verify 3.1.1, the independent comparison
// point of issue 5's benchmark (scripts/bench.sh section_trust, docs/benchmarks.md).
//
// The bundle is as close to a Keyward delivered bundle as Sigstore's format allows, and is made
// here, offline, with keys and a trusted root of our own (node:crypto Ed25519; no network):
//   - content: a DSSE envelope (payloadType application/vnd.keyward.fleets+json, a ~1 KiB JSON
//     payload) with ONE Ed25519 signature by a "public key" signer (bundle v0.3 publicKey hint);
//     Sigstore's DSSE tlog entry allows only one signature;
//   - one Rekor-style tlog entry (kind dsse, apiVersion 0.0.1, canonicalized body with the payload
//     hash and the signature) with an RFC 6962 inclusion proof of depth 20 (index 12345 in a tree
//     of 2^20 leaves; sibling hashes random, the root computed from them) and a checkpoint signed
//     by the log's Ed25519 key (C2SP signed note; key hint = our log id's first 4 bytes);
//   - no signed entry timestamp and no TSA timestamp (timestampThreshold 0), as Rekor v2.
// Sigstore's verifier checks no witness cosignatures, so per bundle it does 2 Ed25519
// verifications (DSSE signature + checkpoint) and ~22 SHA-256 (leaf, 20 nodes, payload digest),
// against Keyward's 6 (2 signers + log + 3 witnesses): docs/benchmarks.md reports both the raw
// figure and this difference.
//
// Timed per operation: bundleFromJSON (parse + schema checks) + toSignedEntity + Verifier.verify,
// i.e. everything from the bundle's parsed JSON object to an accepted signer. The trusted root is
// turned into trust material once (a client does that once at start-up). Statistic: like
// bench_serenity.mjs, the median over batches of the batch's mean CPU µs (process.cpuUsage()).
//
// Usage: node bench_sigstore.mjs [--batches N] [--batch-size N] [--warmup N] [--check]
//   --check: only verify the bundle once and check that tampered copies are rejected (ctest).
// Prints one JSON object on stdout:
//   {"name":"sigstore_js_verify","us_per_op":<CPU µs>,"wall_us_per_op":<wall µs>, ...}
import crypto from "node:crypto";
import { bundleFromJSON } from "@sigstore/bundle";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";

function intArg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number.parseInt(process.argv[i + 1], 10);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench_sigstore: ${name} needs a positive integer, got ${process.argv[i + 1]}`);
    process.exit(1);
  }
  return v;
}
const batches = intArg("--batches", 10);
const batchSize = intArg("--batch-size", 200);
const warmup = intArg("--warmup", 100);
const checkOnly = process.argv.includes("--check");

const sha256 = (...parts) => {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const b64 = (buf) => Buffer.from(buf).toString("base64");
const spkiDer = (key) => key.export({ format: "der", type: "spki" });

// DSSE PAE (v1): "DSSEv1" SP len(type) SP type SP len(body) SP body.
function pae(type, body) {
  const t = Buffer.from(type, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

// --- the signed content ---
const signer = crypto.generateKeyPairSync("ed25519");
const payloadType = "application/vnd.keyward.fleets+json";
const fleet = (id, state) => ({
  id, state,
  opaque_public_key: b64(crypto.randomBytes(32)),
  member_keys: [b64(crypto.randomBytes(32)), b64(crypto.randomBytes(32)), b64(crypto.randomBytes(32))],
  argon2id: { m_kib: 65536, t: 3, p: 4 },
  measurements: [crypto.randomBytes(32).toString("hex")],
  evidence_sha256: crypto.randomBytes(32).toString("hex"),
  endpoints: [`${id}.vault.example:7443`],
});
const payload = Buffer.from(JSON.stringify({
  kind: "keyward.fleets/v1", namespace: "example.app", epoch: 7,
  issued: "2026-11-01T00:00:00Z", expires: "2026-12-01T00:00:00Z",
  fleets: [fleet("eu-1", "active"), fleet("us-1", "retiring")],
}));
const dsseSig = crypto.sign(null, pae(payloadType, payload), signer.privateKey);
const keyHint = "keyward-signer-org-a";

// --- the log: Rekor dsse v0.0.1 canonicalized body, depth-20 inclusion proof, signed checkpoint ---
const body = Buffer.from(JSON.stringify({
  apiVersion: "0.0.1", kind: "dsse",
  spec: {
    envelopeHash: { algorithm: "sha256", value: sha256(Buffer.from("envelope")).toString("hex") },
    payloadHash: { algorithm: "sha256", value: sha256(payload).toString("hex") },
    signatures: [{
      signature: b64(dsseSig),
      verifier: b64(signer.publicKey.export({ format: "pem", type: "spki" })),
    }],
  },
}));
const treeSize = 1n << 20n;
const logIndex = 12345n;  // inner proof of 20 hashes, no border hashes
const hashes = Array.from({ length: 20 }, () => crypto.randomBytes(32));
let node = sha256(Buffer.from([0]), body);
hashes.forEach((h, i) => {
  node = (logIndex >> BigInt(i)) & 1n ? sha256(Buffer.from([1]), h, node) : sha256(Buffer.from([1]), node, h);
});
const root = node;
const logKey = crypto.generateKeyPairSync("ed25519");
const origin = "rekor.keyward.test";
const logRaw = spkiDer(logKey.publicKey).subarray(-32);
// C2SP signed-note key hint: SHA-256(name || "\n" || 0x01 || key)[:4]; our log id starts with it.
const noteHint = sha256(Buffer.from(`${origin}\n`), Buffer.from([1]), logRaw).subarray(0, 4);
const logId = Buffer.concat([noteHint, sha256(logRaw).subarray(4)]);
const noteText = `${origin}\n${treeSize}\n${b64(root)}\n`;
const noteSig = crypto.sign(null, Buffer.from(noteText), logKey.privateKey);
const checkpoint = `${noteText}\n\u2014 ${origin} ${b64(Buffer.concat([noteHint, noteSig]))}\n`;

const bundleJson = {
  mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
  verificationMaterial: {
    publicKey: { hint: keyHint },
    tlogEntries: [{
      logIndex: logIndex.toString(),
      logId: { keyId: b64(logId) },
      kindVersion: { kind: "dsse", version: "0.0.1" },
      integratedTime: "0",
      inclusionProof: {
        logIndex: logIndex.toString(),
        rootHash: b64(root),
        treeSize: treeSize.toString(),
        hashes: hashes.map(b64),
        checkpoint: { envelope: checkpoint },
      },
      canonicalizedBody: b64(body),
    }],
    timestampVerificationData: { rfc3161Timestamps: [] },
  },
  dsseEnvelope: {
    payload: b64(payload),
    payloadType,
    signatures: [{ sig: b64(dsseSig), keyid: "" }],
  },
};

// --- our own trusted root (protobuf-specs TrustedRoot, already in object form) ---
const trustedRoot = {
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  tlogs: [{
    baseUrl: `https://${origin}`,
    hashAlgorithm: 1,  // SHA2_256
    publicKey: { rawBytes: spkiDer(logKey.publicKey), keyDetails: 7 /* PKIX_ED25519 */, validFor: undefined },
    logId: { keyId: logId },
    checkpointKeyId: { keyId: logId },
  }],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};
const trust = toTrustMaterial(trustedRoot, {
  [keyHint]: { rawBytes: spkiDer(signer.publicKey), keyDetails: 7, validFor: undefined },
});
const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 });

function verifyOnce(json) {
  const bundle = bundleFromJSON(json);
  return verifier.verify(toSignedEntity(bundle));
}

if (checkOnly) {
  verifyOnce(bundleJson);
  const tamper = (mutate) => {
    const copy = structuredClone(bundleJson);
    mutate(copy);
    try {
      verifyOnce(copy);
    } catch {
      return true;
    }
    return false;
  };
  const cases = {
    payload: (b) => { b.dsseEnvelope.payload = b64(Buffer.from(payload.toString().replace("eu-1", "eu-2"))); },
    proof: (b) => { b.verificationMaterial.tlogEntries[0].inclusionProof.hashes[3] = b64(crypto.randomBytes(32)); },
    checkpoint: (b) => {
      const e = b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
      e.envelope = e.envelope.replace(`\n${treeSize}\n`, `\n${treeSize + 1n}\n`);
    },
  };
  for (const [name, mutate] of Object.entries(cases)) {
    if (!tamper(mutate)) {
      console.error(`bench_sigstore: a bundle with a tampered ${name} was accepted`);
      process.exit(1);
    }
  }
  console.log(JSON.stringify({ name: "sigstore_js_verify", check: "ok", tampered_rejected: Object.keys(cases) }));
  process.exit(0);
}

function cpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}
for (let i = 0; i < warmup; i++) verifyOnce(bundleJson);
const cpuMeans = [];
const wallMeans = [];
for (let b = 0; b < batches; b++) {
  const c0 = cpuUs();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < batchSize; i++) verifyOnce(bundleJson);
  const t1 = process.hrtime.bigint();
  const c1 = cpuUs();
  wallMeans.push(Number(t1 - t0) / 1000 / batchSize);
  cpuMeans.push((c1 - c0) / batchSize);
}
function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const round = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  name: "sigstore_js_verify",
  library: "@sigstore/verify@3.1.1",
  node: process.version,
  ed25519_verifications: 2,
  proof_depth: 20,
  batches,
  batch_size: batchSize,
  us_per_op: round(median(cpuMeans)),
  wall_us_per_op: round(median(wallMeans)),
}));

// `keyward bundle ...`: make, sign, countersign, log, verify and show validation bundles (issue 5,
// docs/trust.md, formats in docs/formats.md).
//
//   create       payload JSON (keyward.fleets/v1) from a namespace, an epoch, a lifetime and fleet files
//   sign         add a plain signature (starts the envelope when given a payload)
//   countersign  add a countersignature over another signer's signature
//   submit       POST the envelope to the audit log, write the delivered bundle (envelope + tlog-proof)
//   verify       verify a delivered bundle (or policy update) against a trust policy and state file
//   inspect      print any of these files for humans
//   keygen       create an Ed25519 signing key inside a PKCS#11 token and print its verifier key
//   pubkey       print the verifier key (policy `signer` line value) of a signing key
//
// Exit codes: 0 ok; 1 usage, I/O or network error; 2 (verify) the bundle was rejected, with
// `rejected: <code>: <message>` on stderr (codes: docs/trust.md "Rejection codes").
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bundle_common.h"
#include "commands.h"
#include "log/durable_file.h"
#include "log/http_util.h"
#include "log/log_server.h"
#include "pkcs11/config.h"
#include "pkcs11/token_signer.h"
#include "signing_key.h"
#include "tlog/proof_file.h"
#include "trust/delivered.h"
#include "trust/envelope.h"
#include "trust/payload.h"
#include "trust/rotation.h"

namespace keyward::cli {
namespace {

struct CreateArgs {
  std::string ns;
  uint64_t epoch = 0;
  std::string issued;
  std::string expires;
  std::vector<std::string> fleets;
  std::string out;
};

struct SignArgs {
  SigningKeyOptions key;
  std::string over;
  std::string in;
  std::string out;
};

struct SubmitArgs {
  std::string log_url;
  std::string token_file;
  std::string in;
  std::string out;
  int timeout_s = 30;
};

struct KeygenArgs {
  SigningKeyOptions key;
};

// The fleet files are JSON objects in the payload's `fleets[]` form; the payload is assembled as
// canonical JSON and then put through the strict trust::ParsePayload, so a fleet file obeys the
// payload's rules and errors name the field.
int RunCreate(const CreateArgs& a) {
  UnixTimeOrError issued = a.issued.empty() ? UnixTimeOrError{NowSeconds()} : ParseTimeArg(a.issued, 0);
  if (!issued.ok()) return UsageError("bundle create", "--issued: " + issued.status().message());
  UnixTimeOrError expires = ParseTimeArg(a.expires, *issued);
  if (!expires.ok()) return UsageError("bundle create", "--expires: " + expires.status().message());
  if (a.epoch == 0) return UsageError("bundle create", "--epoch must be at least 1 (epochs start at 1)");
  if (a.fleets.empty()) return UsageError("bundle create", "give at least one --fleet FILE");
  // The payload parser accepts only the canonical form (compact, keys in the documented order), so
  // each fleet object is re-emitted in that order; unknown keys are refused here, missing or
  // malformed ones by the parser (which names the field).
  static const char* const kFleetKeys[] = {"id", "state", "opaque_public_key", "member_keys", "argon2id",
                                           "measurements", "evidence_sha256", "endpoints"};
  static const char* const kArgonKeys[] = {"memory_kib", "iterations", "parallelism"};
  nlohmann::ordered_json fleets = nlohmann::ordered_json::array();
  for (const std::string& file : a.fleets) {
    auto text = log::ReadFileText(file, 256 * 1024);
    if (!text.ok()) return Failure("bundle create", text.status().WithContext("--fleet " + file));
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return UsageError("bundle create", "--fleet " + file + " is not one JSON object (docs/formats.md \"Fleet file\")");
    }
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const char* k : kFleetKeys) {
      if (!j.contains(k)) continue;
      if (std::string_view(k) == "argon2id" && j[k].is_object()) {
        nlohmann::ordered_json argon = nlohmann::ordered_json::object();
        for (const char* ak : kArgonKeys) {
          if (j[k].contains(ak)) argon[ak] = j[k][ak];
        }
        if (argon.size() != j[k].size()) {
          return UsageError("bundle create", "--fleet " + file + ": argon2id has keys other than memory_kib, iterations, parallelism");
        }
        out[k] = argon;
      } else {
        out[k] = j[k];
      }
    }
    if (out.size() != j.size()) {
      return UsageError("bundle create", "--fleet " + file + " has unknown keys (allowed: id, state, opaque_public_key, "
                                         "member_keys, argon2id, measurements, evidence_sha256, endpoints)");
    }
    fleets.push_back(std::move(out));
  }
  nlohmann::ordered_json whole = nlohmann::ordered_json::object();
  whole["kind"] = std::string(trust::kFleetsKind);
  whole["namespace"] = a.ns;
  whole["epoch"] = a.epoch;
  whole["issued"] = trust::FormatRfc3339Utc(*issued);
  whole["expires"] = trust::FormatRfc3339Utc(*expires);
  whole["fleets"] = std::move(fleets);
  const std::string assembled = whole.dump();
  auto payload = trust::ParsePayload(AsBytes(assembled));
  if (!payload.ok()) return Failure("bundle create", payload.status().WithContext("the payload is invalid"));
  auto canonical = trust::SerializePayload(*payload);
  if (!canonical.ok()) return Failure("bundle create", canonical.status());
  if (Status s = WriteOutput(a.out, *canonical); !s.ok()) return Failure("bundle create", s);
  std::fprintf(stderr, "bundle create: wrote %s (namespace %s, epoch %llu, %zu fleet(s), expires %s); sign it with `keyward bundle sign`\n",
               a.out.c_str(), payload->ns.c_str(), static_cast<unsigned long long>(payload->epoch),
               payload->fleets.size(), trust::FormatRfc3339Utc(payload->expires).c_str());
  return 0;
}

int RunSign(const SignArgs& a, bool counter) {
  const char* what = counter ? "bundle countersign" : "bundle sign";
  auto input = ReadInput(a.in);
  if (!input.ok()) return Failure(what, input.status());
  auto envelope = EnvelopeFromInput(*input);
  if (!envelope.ok()) return Failure(what, envelope.status().WithContext(a.in));
  auto signer = OpenSigningKey(a.key);
  if (!signer.ok()) return Failure(what, signer.status());
  Status s = counter ? trust::AddCountersignature(*envelope, **signer, a.over)
                     : trust::AddSignature(*envelope, **signer);
  if (!s.ok()) return Failure(what, s);
  if (Status w = WriteOutput(a.out, trust::SerializeEnvelope(*envelope)); !w.ok()) return Failure(what, w);
  std::fprintf(stderr, "%s: %s signed%s; %zu signature(s) in %s\n", what, (*signer)->keyid().c_str(),
               counter ? (" over " + a.over).c_str() : "", envelope->signatures.size(), a.out.c_str());
  return 0;
}

int RunSubmit(const SubmitArgs& a) {
  auto input = ReadInput(a.in);
  if (!input.ok()) return Failure("bundle submit", input.status());
  auto envelope = trust::ParseEnvelope(AsBytes(*input));
  if (!envelope.ok()) return Failure("bundle submit", envelope.status().WithContext(a.in + " is not a signed envelope"));
  if (trust::SerializeEnvelope(*envelope) != *input) {
    return Failure("bundle submit", InvalidArgument(a.in + " is not in canonical form; re-sign it with `keyward bundle sign`"));
  }
  auto tokens = log::ReadTokenFile(a.token_file);
  if (!tokens.ok()) return Failure("bundle submit", tokens.status());
  if (tokens->empty()) return Failure("bundle submit", InvalidArgument("token file " + a.token_file + " holds no token"));
  log::HttpOptions http;
  http.read_timeout = std::chrono::seconds(a.timeout_s);
  http.max_response_bytes = 64 * 1024;
  std::string url = a.log_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto resp = log::HttpPost(url + "/add", *input, "application/octet-stream", http, tokens->front());
  if (!resp.ok()) return Failure("bundle submit", resp.status());
  if (resp->status != 200) {
    return Failure("bundle submit", Unavailable("the log answered HTTP " + std::to_string(resp->status) + ": " +
                                                resp->body.substr(0, 200)));
  }
  auto proof = tlog::ParseTlogProof(resp->body);
  if (!proof.ok()) return Failure("bundle submit", proof.status().WithContext("the log's answer is not a tlog-proof"));
  trust::DeliveredBundle delivered{ToBytes(*input), resp->body};
  if (Status w = WriteOutput(a.out, trust::SerializeDeliveredBundle(delivered)); !w.ok()) {
    return Failure("bundle submit", w);
  }
  std::fprintf(stderr, "bundle submit: logged at index %llu; delivered bundle written to %s\n",
               static_cast<unsigned long long>(proof->index), a.out.c_str());
  return 0;
}

int RunKeygen(const KeygenArgs& a) {
  if (!a.key.key_file.empty()) {
    return UsageError("bundle keygen", "creates token keys only; for a key file use `keyward keygen --name NAME --out FILE`");
  }
  if (a.key.token_label.empty() || a.key.key_label.empty() || a.key.pin_env.empty()) {
    return UsageError("bundle keygen", "needs --token-label, --key-label and --pin-env");
  }
  pkcs11::Pkcs11Config config;
  if (!a.key.pkcs11_module.empty()) config.module_path = a.key.pkcs11_module;
  config.token_label = a.key.token_label;
  config.pin = pkcs11::PinSource::Env(a.key.pin_env);
  auto created = pkcs11::CreateTokenEd25519Signer(config, a.key.key_label);
  if (!created.ok()) return Failure("bundle keygen", created.status());
  created->reset();
  auto signer = OpenSigningKey(a.key);
  if (!signer.ok()) return Failure("bundle keygen", signer.status());
  std::printf("%s\n", (*signer)->verifier_key().c_str());
  return 0;
}

int RunPubkey(const SigningKeyOptions& key) {
  auto signer = OpenSigningKey(key);
  if (!signer.ok()) return Failure("bundle pubkey", signer.status());
  std::printf("%s\n", (*signer)->verifier_key().c_str());
  return 0;
}

}  // namespace

void RegisterBundleCommand(CLI::App& app) {
  auto* bundle = app.add_subcommand(
      "bundle",
      "Validation bundles (docs/trust.md): create, sign, countersign, submit to the audit log, verify, inspect.\n"
      "Exit status: 0 ok; 1 usage, I/O or network error; 2 rejected by `verify` (`rejected: <code>` on stderr).");
  bundle->require_subcommand(1);

  auto c = std::make_shared<CreateArgs>();
  auto* create = bundle->add_subcommand(
      "create", "Write the (unsigned) payload of a new bundle epoch, in canonical JSON (keyward.fleets/v1)");
  create->add_option("--namespace", c->ns, "The app's trust namespace (as in its policy's `namespace` line)")->required();
  create->add_option("--epoch", c->epoch, "Epoch, >= 1, strictly greater than every earlier bundle's")->required();
  create->add_option("--issued", c->issued, "Issue time, RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ); default now");
  create->add_option("--expires", c->expires,
                     "Expiry: RFC 3339 UTC time, or a duration after --issued such as 30d, 12h")->required();
  create->add_option("--fleet", c->fleets,
                     "Fleet file (one JSON object: id, state, opaque_public_key, member_keys, argon2id, "
                     "measurements, evidence_sha256, endpoints; docs/formats.md \"Fleet file\"); repeat per fleet")
      ->required();
  create->add_option("--out", c->out, "Payload file to write ('-' for stdout)")->required();
  create->callback([c] { ExitCode() = RunCreate(*c); });

  auto s = std::make_shared<SignArgs>();
  auto* sign = bundle->add_subcommand(
      "sign", "Add a plain signature (DSSE PAE over payloadType and payload) to an envelope, or start one from a "
              "payload (bundle payload or policy update)");
  AddSigningKeyOptions(sign, s->key);
  sign->add_option("--in", s->in, "Payload or envelope file ('-' for stdin)")->required();
  sign->add_option("--out", s->out, "Envelope file to write ('-' for stdout; may equal --in)")->required();
  sign->callback([s] { ExitCode() = RunSign(*s, false); });

  auto cs = std::make_shared<SignArgs>();
  auto* countersign = bundle->add_subcommand(
      "countersign", "Add a countersignature over another signer's signature (it counts only while that "
                     "signature is present and valid)");
  AddSigningKeyOptions(countersign, cs->key);
  countersign->add_option("--over", cs->over, "Keyid of the signature to countersign (NAME+hex8)")->required();
  countersign->add_option("--in", cs->in, "Envelope file ('-' for stdin)")->required();
  countersign->add_option("--out", cs->out, "Envelope file to write ('-' for stdout; may equal --in)")->required();
  countersign->callback([cs] { ExitCode() = RunSign(*cs, true); });

  auto sub = std::make_shared<SubmitArgs>();
  auto* submit = bundle->add_subcommand(
      "submit", "POST a signed envelope to the audit log (POST URL/add) and write the delivered bundle: the "
                "envelope's exact bytes + the log's tlog-proof");
  submit->add_option("--log", sub->log_url, "Log base URL, e.g. http://127.0.0.1:8080")->required();
  submit->add_option("--token-file", sub->token_file, "File with the log's bearer token (first token is used)")
      ->required();
  submit->add_option("--in", sub->in, "Signed envelope file")->required();
  submit->add_option("--out", sub->out,
                     "Delivered bundle to write (a node serves *.bundle files from its --bundle-dir); written "
                     "atomically")
      ->required();
  submit->add_option("--timeout", sub->timeout_s, "Seconds to wait for the log (it waits for its witnesses)")
      ->capture_default_str();
  submit->callback([sub] { ExitCode() = RunSubmit(*sub); });

  RegisterBundleVerifyAndInspect(*bundle);

  auto k = std::make_shared<KeygenArgs>();
  auto* keygen = bundle->add_subcommand(
      "keygen", "Create an Ed25519 signing key inside a PKCS#11 token (unextractable) and print its verifier key "
                "for policies' `signer` lines");
  keygen->add_option("--pkcs11-module", k->key.pkcs11_module, "PKCS#11 library (default: SoftHSM2)");
  keygen->add_option("--token-label", k->key.token_label, "Token label")->required();
  keygen->add_option("--key-label", k->key.key_label, "CKA_LABEL for the new key ([A-Za-z0-9._-], 1..64 chars)")
      ->required();
  keygen->add_option("--pin-env", k->key.pin_env, "Environment variable holding the user PIN")->required();
  keygen->add_option("--key-name", k->key.key_name, "C2SP key name (default: the key label)");
  keygen->callback([k] { ExitCode() = RunKeygen(*k); });

  auto pk = std::make_shared<SigningKeyOptions>();
  auto* pubkey = bundle->add_subcommand("pubkey", "Print the verifier key (vkey) of a signing key (file or token)");
  AddSigningKeyOptions(pubkey, *pk);
  pubkey->callback([pk] { ExitCode() = RunPubkey(*pk); });
}

}  // namespace keyward::cli

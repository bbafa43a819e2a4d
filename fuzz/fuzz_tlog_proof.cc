// Fuzzes the C2SP tlog-proof parser and verifier: accepted proofs re-format to the same bytes and
// verification of arbitrary proofs never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/check.h"
#include "tlog/cosignature.h"
#include "tlog/policy.h"
#include "tlog/proof_file.h"

using namespace keyward;
using namespace keyward::tlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Policy* policy = [] {
    auto* p = new Policy();
    KW_CHECK(p->AddLog(Ed25519VerifierKeyString("example.com/log", kSigTypeEd25519, {1})).ok());
    KW_CHECK(p->AddWitness("w1", Ed25519VerifierKeyString("witness.example/w1", kSigTypeCosignatureV1, {2})).ok());
    KW_CHECK(p->SetQuorum("w1").ok());
    return p;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto proof = ParseTlogProof(text);
  if (proof.ok()) {
    KW_CHECK(FormatTlogProof(*proof) == text);
    (void)VerifyTlogProof(*proof, LeafHash(AsBytes("x")), *policy);
  }
  return 0;
}

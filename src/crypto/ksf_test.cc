#include "crypto/ksf.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/oprf.h"
#include "support/vectors.h"

namespace keyward::crypto {
namespace {

using testing::Hex;

// Pins the Argon2id KSF against values produced independently by @serenity-kit/opaque 1.1.0
// (opaque-ke + RustCrypto argon2): from the transcript's client blind and the server's evaluated
// element we recompute the OPRF output, stretch it, and derive the masking key, which serenity
// stored in the RegistrationRecord. A wrong salt, output length, parameter order or Argon2
// variant changes it. (Full transcript replay is tests/interop's job.)
void CheckTranscriptMaskingKey(const std::string& file, const KsfConfig& ksf) {
  const auto t = testing::LoadJson("vectors/serenity-kit-transcripts/" + file);
  const Bytes password = Hex(t.at("password"));
  const Bytes state = Hex(t.at("clientRegistrationState"));
  const Bytes response = Hex(t.at("registrationResponse"));
  const Bytes record = Hex(t.at("registrationRecord"));
  ASSERT_EQ(state.size(), 64u);
  ASSERT_EQ(response.size(), 64u);
  ASSERT_EQ(record.size(), 192u);
  auto blind = ristretto::Scalar::Deserialize(ByteSpan(state).first(32));
  auto evaluated = ristretto::Element::Deserialize(ByteSpan(response).first(32));
  ASSERT_TRUE(blind.ok() && evaluated.ok());
  auto oprf_output = oprf::Finalize(password, *blind, *evaluated);
  ASSERT_TRUE(oprf_output.ok());
  auto stretched = ksf.Stretch(oprf_output->Reveal());
  ASSERT_TRUE(stretched.ok()) << stretched.status().ToString();
  ASSERT_EQ(stretched->size(), 64u);
  auto rp = HkdfSha512Extract({}, Concat({oprf_output->Reveal(), stretched->Reveal()}));
  auto masking_key = HkdfSha512Expand(rp.Reveal(), AsBytes("MaskingKey"), 64);
  EXPECT_EQ(HexEncode(masking_key.Reveal()), HexEncode(ByteSpan(record).subspan(32, 64)));
}

TEST(Ksf, DefaultArgon2idMatchesSerenityDefault) {
  const KsfConfig ksf = KsfConfig::Default();
  EXPECT_EQ(ksf.ToString(), "argon2id(m=65536KiB,t=3,p=4)");
  CheckTranscriptMaskingKey("serenity-1.1.0-default-ksf.json", ksf);
}

TEST(Ksf, CustomArgon2idMatchesSerenityCustom) {
  auto ksf = KsfConfig::Argon2id({.memory_kib = 19456, .iterations = 2, .parallelism = 1});
  ASSERT_TRUE(ksf.ok());
  CheckTranscriptMaskingKey("serenity-1.1.0-argon2id-m19456-t2-p1.json", *ksf);
}

TEST(Ksf, IdentityReturnsInput) {
  const Bytes in = Hex("00112233");
  auto out = KsfConfig::Identity().Stretch(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Bytes(out->Reveal().begin(), out->Reveal().end()), in);
  EXPECT_EQ(KsfConfig::Identity().ToString(), "identity");
}

TEST(Ksf, RejectsOutOfRangeParameters) {
  EXPECT_FALSE(KsfConfig::Argon2id({.memory_kib = 65536, .iterations = 0, .parallelism = 1}).ok());
  EXPECT_FALSE(KsfConfig::Argon2id({.memory_kib = 65536, .iterations = 1, .parallelism = 0}).ok());
  EXPECT_FALSE(KsfConfig::Argon2id({.memory_kib = 65536, .iterations = 1, .parallelism = 65}).ok());
  EXPECT_FALSE(KsfConfig::Argon2id({.memory_kib = 31, .iterations = 1, .parallelism = 4}).ok());
  EXPECT_FALSE(KsfConfig::Argon2id({.memory_kib = (4u << 20) + 1, .iterations = 1, .parallelism = 1}).ok());
  auto err = KsfConfig::Argon2id({.memory_kib = 65536, .iterations = 0, .parallelism = 1});
  EXPECT_NE(err.status().message().find("iterations"), std::string::npos);
  EXPECT_TRUE(KsfConfig::Argon2id({.memory_kib = 8, .iterations = 1, .parallelism = 1}).ok());
}

}  // namespace
}  // namespace keyward::crypto

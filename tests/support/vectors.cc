#include "support/vectors.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "crypto/random.h"

namespace keyward::testing {

std::string TestDataPath(const std::string& relative) {
  return std::string(KEYWARD_TESTDATA_DIR) + "/" + relative;
}

nlohmann::json LoadJson(const std::string& relative) {
  std::ifstream in(TestDataPath(relative));
  EXPECT_TRUE(in.good()) << "cannot open test data " << TestDataPath(relative);
  if (!in.good()) return nlohmann::json();
  return nlohmann::json::parse(in);
}

Bytes Hex(const std::string& hex) {
  auto b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << "bad hex in vector: " << hex;
  return b.ok() ? *b : Bytes{};
}

const nlohmann::json& VectorCase::Field(const std::string& key) {
  used_.insert(key);
  static const nlohmann::json kNull;
  if (!obj_.contains(key)) {
    ADD_FAILURE() << where_ << ": vector has no field '" << key << "'";
    return kNull;
  }
  return obj_.at(key);
}

Bytes VectorCase::HexField(const std::string& key) { return Hex(StringField(key)); }

std::string VectorCase::StringField(const std::string& key) {
  const auto& v = Field(key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

void VectorCase::ExpectAllFieldsUsed() const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it) {
    EXPECT_TRUE(used_.count(it.key())) << where_ << ": vector field '" << it.key() << "' was never checked";
  }
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/keyward-test-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << tmpl;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace keyward::testing

// Every test binary initialises libsodium before running tests.
namespace {
struct CryptoInitEnvironment : ::testing::Environment {
  void SetUp() override { keyward::crypto::Init(); }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CryptoInitEnvironment);
  return RUN_ALL_TESTS();
}

// Drives tests/vault/c_api_test.c (the C API used from C) against a real dev node.
#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "dev_node.h"

extern "C" int keyward_c_api_scenario(const char* vault, const char* policy_text,
                                      const char* other_fleet_policy_text,
                                      const uint8_t* credential, size_t credential_len,
                                      const uint8_t* authority_credential,
                                      size_t authority_credential_len, char* err, size_t err_len);

namespace keyward {
namespace {

TEST(CApiTest, RegisterRecoverDeleteAndEveryErrorFromC) {
  testing::DevNode node;
  ASSERT_NO_FATAL_FAILURE(node.Start());
  std::ifstream in(node.trust_policy_path);
  std::stringstream policy;
  policy << in.rdbuf();
  uint8_t other_key[32];
  crypto_core_ristretto255_random(other_key);
  const std::string other_policy = "namespace x\nfleet other " + HexEncode(other_key) + "\n";
  const Bytes user = node.Credential("c-user");
  const Bytes authority = node.Credential("c-user", node::CredentialScope::kAccountAuthority);
  char err[512] = {0};
  const int failed_line =
      keyward_c_api_scenario(node.address.c_str(), policy.str().c_str(), other_policy.c_str(),
                             user.data(), user.size(), authority.data(), authority.size(), err,
                             sizeof err);
  EXPECT_EQ(failed_line, 0) << err;
}

}  // namespace
}  // namespace keyward

// The log daemon with its checkpoint key inside a REAL SoftHSM2 token: `keyward keygen
// --token-label/--pin-env` generates the key pair in the token and writes a keyward-pkcs11-key/v1
// reference file; `keyward log serve --key REF` signs checkpoints with CKM_EDDSA in the token; our
// verifier accepts the proofs under the printed vkey.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/secret.h"
#include "log/durable_file.h"
#include "logd/daemons.h"
#include "pkcs11/dev_token.h"
#include "support/vectors.h"
#include "tlog/checkpoint.h"
#include "tlog/policy.h"
#include "tlog/proof_file.h"

namespace keyward::testing {
namespace {

constexpr char kOrigin[] = "hsm.keyward.example/log";

std::string RunKeygen(std::vector<std::string> args, int* exit_code) {
  SubprocessOptions o;
  o.argv = {KeywardBinary(), "keygen"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.pipe_stdin = false;
  auto p = Subprocess::Start(o);
  EXPECT_TRUE(p.ok());
  if (!p.ok()) return "";
  auto line = (*p)->ReadLine(std::chrono::seconds(60));
  auto st = (*p)->Wait(std::chrono::seconds(60));
  *exit_code = st.ok() && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  return line.ok() ? *line : "";
}

TEST(LogDaemonPkcs11, KeygenInTokenThenServeSignsWithTheToken) {
  TempDir dir;
  Status s = pkcs11::EnsureSoftHsmDevToken(dir.path() / "hsm", "log-token",
                                           crypto::SecretBytes(AsBytes(std::string_view("so-pin-9"))),
                                           crypto::SecretBytes(AsBytes(std::string_view("user-pin-9"))));
  ASSERT_TRUE(s.ok()) << s.ToString();  // also exports SOFTHSM2_CONF to the daemons we start
  ::setenv("KW_LOGD_TEST_PIN", "user-pin-9", 1);
  auto ref = dir.path() / "log.ref";
  int code = -1;
  std::string vkey = RunKeygen({"--name", kOrigin, "--out", ref.string(), "--token-label", "log-token", "--pin-env",
                                "KW_LOGD_TEST_PIN"},
                               &code);
  ASSERT_EQ(code, 0);
  ASSERT_EQ(vkey.rfind(std::string(kOrigin) + "+", 0), 0u) << vkey;
  auto text = log::ReadFileText(ref, 4096);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->rfind("keyward-pkcs11-key/v1\nname hsm.keyward.example/log\n", 0), 0u) << *text;
  EXPECT_NE(text->find("\nobject hsm.keyward.example_log\n"), std::string::npos) << *text;
  EXPECT_EQ(text->find("user-pin-9"), std::string::npos);  // never the PIN itself
  // The same label again: refused by the token, the existing file untouched.
  RunKeygen({"--name", kOrigin, "--out", (dir.path() / "again.ref").string(), "--token-label", "log-token",
             "--pin-env", "KW_LOGD_TEST_PIN"},
            &code);
  EXPECT_EQ(code, 1);
  RunKeygen({"--name", kOrigin, "--out", (dir.path() / "nopin.ref").string(), "--token-label", "log-token"}, &code);
  EXPECT_EQ(code, 1);

  std::ofstream(dir.path() / "tokens") << "t0k3n\n";
  auto d = StartDaemon({"log", "serve", "--dir", (dir.path() / "log").string(), "--key", ref.string(),
                        "--token-file", (dir.path() / "tokens").string()});
  ASSERT_FALSE(d.url.empty());
  EXPECT_EQ(d.vkey, vkey);
  tlog::Policy policy;
  ASSERT_TRUE(policy.AddLog(vkey).ok());
  ASSERT_TRUE(policy.SetQuorum("none").ok());
  for (std::string entry : {"first", "second", "third"}) {
    auto r = AddEntry(d.url, entry, "t0k3n");
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = tlog::VerifyTlogProofText(r.body, tlog::LeafHash(AsBytes(entry)), policy);
    EXPECT_TRUE(v.ok()) << v.status().ToString() << "\n" << r.body;
  }
}

}  // namespace
}  // namespace keyward::testing

// Model-based test (rapidcheck): random sequences of registrations, activation retries, upload
// replays, correct and wrong recoveries, KE2s tested offline without KE3, late/replayed KE3s and
// deletes against a small reference model. After every step the core must agree with the model and:
//   - attempts_used never exceeds max_attempts and only goes down on a successful recovery or a
//     new registration;
//   - G1 as the client sees it: between two successful recoveries, the number of KE2s a client
//     with the RIGHT password could verify (i.e. real KE2s) is at most max_attempts.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/core_test_util.h"
#include "core/vault_core.h"

namespace keyward::core {
namespace {

using testing::CoreHarness;

struct ModelUser {
  RecordState state = RecordState::kDeleted;
  bool exists = false;
  uint64_t epoch = 0;
  uint8_t max = 0;
  uint8_t used = 0;
  uint64_t login_serial = 0, success_serial = 0;
  size_t current_upload = SIZE_MAX;  // index into uploads
  std::vector<testing::Upload> uploads;  // every upload ever made (for replays)
  std::vector<uint64_t> upload_epochs;
  struct Held {
    testing::ClientRecovery login;
    uint64_t epoch, serial;
  };
  std::vector<Held> held;  // verified logins whose KE3 was not sent yet
  uint32_t verified_since_success = 0;
};

std::string Password(int u) { return "password-" + std::to_string(u); }
std::string User(int u) { return "user-" + std::to_string(u); }

class Runner {
 public:
  explicit Runner(uint64_t seed) : h_(seed) {}

  void Step(int op, int u, int arg) {
    ModelUser& m = users_[u];
    switch (op) {
      case 0: Upload(u, m, static_cast<uint8_t>(1 + arg % 4), /*activate=*/true); break;
      case 1: Upload(u, m, static_cast<uint8_t>(1 + arg % 4), /*activate=*/false); break;
      case 2: ActivateReplay(u, m, arg); break;
      case 3: UploadReplay(u, m, arg); break;
      case 4: Guess(u, m, /*correct=*/arg % 3 != 0, /*send_ke3=*/arg % 2 == 0); break;
      case 5: LateKe3(u, m, arg); break;
      default: Delete(u, m); break;
    }
    Check(u, m);
  }

 private:
  void Upload(int u, ModelUser& m, uint8_t max, bool activate) {
    testing::Upload up = h_.MakeUpload(User(u), Password(u), "secret", max);
    auto r = h_.core().RegisterUpload(up.request, Authority::kAccount, h_.rng());
    RC_ASSERT(r.ok());
    m.exists = true;
    m.state = RecordState::kPending;
    m.epoch += 1;
    m.max = max;
    m.used = 0;
    m.login_serial = m.success_serial = 0;
    m.held.clear();
    m.verified_since_success = 0;
    m.uploads.push_back(up);
    m.upload_epochs.push_back(m.epoch);
    m.current_upload = m.uploads.size() - 1;
    if (activate) {
      RC_ASSERT(h_.core().RegisterActivate(AsBytes(User(u)), up.activation_key).ok());
      m.state = RecordState::kActive;
    }
  }

  void ActivateReplay(int u, ModelUser& m, int arg) {
    if (m.uploads.empty()) return;
    const size_t i = static_cast<size_t>(arg) % m.uploads.size();
    const uint8_t used_before = m.used;
    auto r = h_.core().RegisterActivate(AsBytes(User(u)), m.uploads[i].activation_key);
    const bool current = i == m.current_upload && m.exists &&
                         (m.state == RecordState::kPending || m.state == RecordState::kActive);
    RC_ASSERT(r.ok() == current);
    if (current) {
      RC_ASSERT(r->already_active == (m.state == RecordState::kActive));
      m.state = RecordState::kActive;
      RC_ASSERT(m.used == used_before);  // never a reset
    }
  }

  void UploadReplay(int u, ModelUser& m, int arg) {
    if (m.uploads.empty()) return;
    const size_t i = static_cast<size_t>(arg) % m.uploads.size();
    const auto before = h_.core().StateDigest();
    auto r = h_.core().RegisterUpload(m.uploads[i].request, Authority::kAccount, h_.rng());
    const bool idempotent = i == m.current_upload &&
                            (m.state == RecordState::kPending || m.state == RecordState::kActive);
    RC_ASSERT(r.ok() == idempotent);
    if (r.ok()) RC_ASSERT(r->already_stored);
    RC_ASSERT(h_.core().StateDigest() == before);  // a replayed upload never changes anything
  }

  void Guess(int u, ModelUser& m, bool correct, bool send_ke3) {
    auto login = h_.StartRecovery(User(u), correct ? Password(u) : "wrong");
    RC_ASSERT(login.ok());
    const bool real = m.state == RecordState::kActive && m.used < m.max;
    if (m.state == RecordState::kActive && m.used >= m.max) {
      m.state = RecordState::kLocked;  // the KE1 after the last guess destroys the record
    }
    if (real) {
      ++m.used;
      ++m.login_serial;
    }
    RC_ASSERT(login->session_key.has_value() == (real && correct));
    if (real && correct) {
      ++m.verified_since_success;
      RC_ASSERT(m.verified_since_success <= m.max);  // G1 as observed by a client
    }
    if (!send_ke3) {
      if (real && correct) m.held.push_back({std::move(login).value(), m.epoch, m.login_serial});
      return;
    }
    auto fin = h_.Finish(User(u), *login);
    RC_ASSERT(fin.ok());
    if (!real) {
      RC_ASSERT(fin->outcome == RecoverOutcome::kLocked);
    } else if (correct) {
      RC_ASSERT(fin->outcome == RecoverOutcome::kSuccess);
      Reset(m);
    } else if (m.used >= m.max) {
      RC_ASSERT(fin->outcome == RecoverOutcome::kLocked);
      m.state = RecordState::kLocked;
    } else {
      RC_ASSERT(fin->outcome == RecoverOutcome::kWrongPassword);
      RC_ASSERT(fin->attempts_remaining == static_cast<uint32_t>(m.max - m.used));
    }
  }

  void LateKe3(int u, ModelUser& m, int arg) {
    if (m.held.empty()) return;
    const size_t i = static_cast<size_t>(arg) % m.held.size();
    ModelUser::Held held = std::move(m.held[i]);
    m.held.erase(m.held.begin() + static_cast<std::ptrdiff_t>(i));
    auto fin = h_.Finish(User(u), held.login);
    const bool accepted = m.state == RecordState::kActive && held.epoch == m.epoch &&
                          held.serial == m.login_serial && held.serial > m.success_serial;
    if (accepted) {
      if (!fin.ok()) RC_FAIL("late KE3 refused: " + fin.status().ToString());
      RC_ASSERT(fin->outcome == RecoverOutcome::kSuccess);
      Reset(m);
    } else {
      if (fin.ok()) RC_ASSERT(fin->outcome == RecoverOutcome::kLocked);
    }
  }

  void Delete(int u, ModelUser& m) {
    auto r = h_.core().Delete(DeleteRequest{.user_id = ToBytes(User(u))}, Authority::kAccount);
    RC_ASSERT(r.ok());
    RC_ASSERT(r->deleted == (m.exists && m.state != RecordState::kDeleted));
    if (m.exists) m.state = RecordState::kDeleted;
    m.held.clear();
  }

  void Reset(ModelUser& m) {
    m.used = 0;
    m.success_serial = m.login_serial;
    m.verified_since_success = 0;
  }

  void Check(int u, const ModelUser& m) {
    h_.core().CheckInvariants();
    const UserRecord* r = h_.core().Find(AsBytes(User(u)));
    RC_ASSERT((r != nullptr) == m.exists);
    if (r == nullptr) return;
    RC_ASSERT(r->state == m.state);
    RC_ASSERT(r->epoch == m.epoch);
    if (m.state == RecordState::kActive || m.state == RecordState::kPending) {
      RC_ASSERT(r->attempts_used == m.used);
      RC_ASSERT(r->attempts_used <= r->max_attempts);
    }
  }

  CoreHarness h_;
  std::map<int, ModelUser> users_;
};

RC_GTEST_PROP(VaultCoreModel, AgreesWithReferenceModelAndKeepsG1, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 7), rc::gen::inRange(0, 2), rc::gen::inRange(0, 100)));
  Runner runner(seed);
  for (const auto& [op, u, arg] : ops) runner.Step(op, u, arg);
}

}  // namespace
}  // namespace keyward::core

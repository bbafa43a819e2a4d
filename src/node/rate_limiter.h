// RateLimiter: the host-side, per-user slow-down of recovery attempts (DESIGN.md §3, as Google's
// vault does), so an account hijacker cannot burn a user's guesses in seconds. It only slows
// attackers: the core's hard attempt limit is what guarantees G1, and the untrusted host could
// skip this check without weakening G1.
//
// Policy: every RecoverStart (KE1 — the moment the core counts a guess) is an attempt; a verified
// recovery resets the user's history. The first `free_attempts` attempts are immediate; after that,
// attempt k (k > free_attempts) must wait base_delay * 2^(k - free_attempts - 1) (capped at
// max_delay) after the previous attempt, otherwise it is refused with the time still to wait.
//
// Memory is bounded: at most `max_users` histories, least-recently-used evicted first (eviction
// only forgets a slow-down; it never grants guesses, which the core counts).
//
// Thread-safety: all methods are thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace keyward::node {

struct RateLimiterOptions {
  bool enabled = true;
  uint32_t free_attempts = 3;
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_delay{std::chrono::hours(1)};
  size_t max_users = 100000;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimiterOptions options) : options_(options) {}

  // If the user may attempt now, records the attempt and returns 0; otherwise returns how long
  // to wait (nothing recorded).
  std::chrono::milliseconds TryAttempt(const std::string& user_id, Clock::time_point now);
  // A verified recovery (or a deletion): forget the user's history.
  void Reset(const std::string& user_id);

  size_t tracked_users() const;

 private:
  struct Entry {
    uint32_t attempts = 0;
    Clock::time_point last{};
    std::list<std::string>::iterator lru;
  };
  std::chrono::milliseconds DelayAfter(uint32_t attempts) const;

  const RateLimiterOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  std::list<std::string> lru_;                      // front = most recent; guarded by mu_
};

}  // namespace keyward::node

#include "node/rate_limiter.h"

#include "common/check.h"

namespace keyward::node {

std::chrono::milliseconds RateLimiter::DelayAfter(uint32_t attempts) const {
  if (attempts < options_.free_attempts) return std::chrono::milliseconds(0);
  uint32_t doublings = attempts - options_.free_attempts;
  std::chrono::milliseconds d = options_.base_delay;
  for (uint32_t i = 0; i < doublings && d < options_.max_delay; ++i) d *= 2;
  return std::min(d, options_.max_delay);
}

std::chrono::milliseconds RateLimiter::TryAttempt(const std::string& user_id,
                                                  Clock::time_point now) {
  if (!options_.enabled) return std::chrono::milliseconds(0);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(user_id);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_users && !lru_.empty()) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(user_id);
    it = entries_.emplace(user_id, Entry{0, now, lru_.begin()}).first;
  } else {
    auto earliest = it->second.last + DelayAfter(it->second.attempts);
    if (now < earliest) {
      return std::chrono::ceil<std::chrono::milliseconds>(earliest - now);
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.attempts++;
  it->second.last = now;
  KW_CHECK(entries_.size() <= options_.max_users || options_.max_users == 0);
  return std::chrono::milliseconds(0);
}

void RateLimiter::Reset(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(user_id);
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

size_t RateLimiter::tracked_users() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace keyward::node

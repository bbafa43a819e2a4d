#include "node/bundle_source.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "trust/delivered.h"
#include "trust/envelope.h"
#include "trust/payload.h"
#include "trust/rotation.h"

namespace keyward::node {
namespace fs = std::filesystem;

namespace {

bool IsBundleFile(const fs::directory_entry& e) {
  std::error_code ec;
  return e.is_regular_file(ec) && e.path().extension() == ".bundle" &&
         e.path().filename().string().front() != '.';
}

StatusOr<std::string> ReadBounded(const fs::path& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open " + path.string());
  std::string data(max + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return IoError("cannot read " + path.string());
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > max) {
    return ResourceExhausted(path.string() + " is larger than " + std::to_string(max) +
                             " bytes, too large to send inline");
  }
  return data;
}

}  // namespace

StatusOr<BundleSource::Peeked> BundleSource::PeekDelivered(std::string_view bytes) {
  ASSIGN_OR_RETURN(trust::DeliveredBundle delivered, trust::ParseDeliveredBundle(AsBytes(bytes)));
  ASSIGN_OR_RETURN(trust::Envelope envelope, trust::ParseEnvelope(delivered.envelope));
  Peeked out;
  if (envelope.payload_type == trust::kPolicyPayloadType) {
    ASSIGN_OR_RETURN(trust::PolicyUpdatePayload update, trust::ParsePolicyUpdatePayload(envelope.payload));
    out.policy_update = true;
    out.ns = std::move(update.ns);
    out.number = update.version;
    return out;
  }
  if (envelope.payload_type != trust::kFleetsPayloadType) {
    return InvalidArgument("payloadType is \"" + envelope.payload_type + "\", neither " +
                           std::string(trust::kFleetsPayloadType) + " nor " +
                           std::string(trust::kPolicyPayloadType));
  }
  ASSIGN_OR_RETURN(trust::Payload payload, trust::ParsePayload(envelope.payload));
  out.ns = std::move(payload.ns);
  out.number = payload.epoch;
  return out;
}

StatusOr<std::pair<std::string, uint64_t>> BundleSource::PeekNamespaceAndEpoch(std::string_view bytes) {
  ASSIGN_OR_RETURN(Peeked p, PeekDelivered(bytes));
  if (p.policy_update) return InvalidArgument("a policy update, not a fleets bundle");
  return std::make_pair(std::move(p.ns), p.number);
}

StatusOr<std::unique_ptr<BundleSource>> BundleSource::Start(Options options) {
  std::error_code ec;
  if (!fs::is_directory(options.dir, ec)) {
    return NotFound("bundle directory " + options.dir.string() +
                    " does not exist or is not a directory; create it (mkdir) or drop --bundle-dir");
  }
  if (options.poll_interval < std::chrono::milliseconds(10)) options.poll_interval = std::chrono::milliseconds(10);
  auto source = std::unique_ptr<BundleSource>(new BundleSource(std::move(options)));
  source->Rescan();
  source->thread_ = std::thread([s = source.get()] { s->Loop(); });
  return source;
}

BundleSource::~BundleSource() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const InlineBundle> BundleSource::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::shared_ptr<const InlinePolicyUpdates> BundleSource::PolicyUpdates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return updates_;
}

bool BundleSource::Attach(uint64_t client_epoch, std::string* field) const {
  std::shared_ptr<const InlineBundle> b = Current();
  if (!b || client_epoch >= b->epoch) return false;
  *field = b->bytes;
  return true;
}

BundleSource::Fingerprint BundleSource::Fingerprints() const {
  Fingerprint out;
  std::error_code ec;
  fs::directory_iterator it(options_.dir, ec), end;
  for (; !ec && it != end && out.size() < kMaxBundleFiles * 4; it.increment(ec)) {
    if (!IsBundleFile(*it)) continue;
    std::error_code e1, e2;
    auto mtime = fs::last_write_time(it->path(), e1);
    auto size = fs::file_size(it->path(), e2);
    if (e1 || e2) continue;
    out[it->path().filename().string()] = {mtime.time_since_epoch().count(), size};
  }
  return out;
}

uint64_t BundleSource::Rescan() {
  std::lock_guard<std::mutex> scan_lock(scan_mu_);
  Fingerprint now = Fingerprints();
  std::shared_ptr<const InlineBundle> current = Current();
  if (now == last_seen_) return current ? current->epoch : 0;
  last_seen_ = now;
  std::shared_ptr<InlineBundle> best;
  std::map<uint64_t, std::shared_ptr<const InlineBundle>> updates;  // by version
  size_t looked = 0;
  for (const auto& [name, fp] : now) {
    if (++looked > kMaxBundleFiles) {
      spdlog::warn("event=bundle_dir_too_many_files dir={} limit={} (the rest are ignored)",
                   options_.dir.string(), kMaxBundleFiles);
      break;
    }
    const fs::path path = options_.dir / name;
    auto warn_once = [&](const Status& s) {
      auto it = warned_.find(name);
      if (it != warned_.end() && it->second == fp) return;
      warned_[name] = fp;
      spdlog::warn("event=bundle_rejected file={} error=\"{}\" (skipped; the bundle in service is kept)",
                   path.string(), s.ToString());
    };
    auto data = ReadBounded(path, kMaxInlineBundleBytes);
    if (!data.ok()) {
      warn_once(data.status());
      continue;
    }
    auto peek = PeekDelivered(*data);
    if (!peek.ok()) {
      warn_once(peek.status());
      continue;
    }
    if (peek->ns != options_.ns) {
      warn_once(InvalidArgument("bundle is for namespace \"" + peek->ns + "\", this node serves \"" +
                                options_.ns + "\""));
      continue;
    }
    if (peek->policy_update) {
      auto& slot = updates[peek->number];
      if (slot) {  // names are visited in order: the later file name wins
        spdlog::warn("event=policy_update_duplicate version={} kept={} dropped={}", peek->number, path.string(),
                     slot->file);
      }
      slot = std::make_shared<InlineBundle>(InlineBundle{peek->number, std::move(*data), path.string()});
      continue;
    }
    if (!best || peek->number > best->epoch) {
      best = std::make_shared<InlineBundle>(InlineBundle{peek->number, std::move(*data), path.string()});
    }
  }
  {
    auto list = std::make_shared<InlinePolicyUpdates>();
    for (auto& [version, u] : updates) list->push_back(u);
    std::shared_ptr<const InlinePolicyUpdates> old = PolicyUpdates();
    const size_t before = old ? old->size() : 0;
    if (list->size() != before || (!list->empty() && list->back()->bytes != old->back()->bytes)) {
      spdlog::info("event=policy_updates_loaded count={} newest_version={}", list->size(),
                   list->empty() ? 0 : list->back()->epoch);
    }
    std::lock_guard<std::mutex> lock(mu_);
    updates_ = std::move(list);
  }
  if (best && (!current || best->epoch > current->epoch)) {
    spdlog::info("event=bundle_loaded file={} epoch={} bytes={}", best->file, best->epoch, best->bytes.size());
    std::lock_guard<std::mutex> lock(mu_);
    current_ = best;
    return best->epoch;
  }
  return current ? current->epoch : 0;
}

void BundleSource::Loop() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, options_.poll_interval, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    Rescan();
    lock.lock();
  }
}

}  // namespace keyward::node

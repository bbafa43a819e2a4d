#include "core/raft/peer_channel.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "common/check.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "wire/reader.h"
#include "wire/writer.h"

namespace keyward::raft {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kHello = 1;
constexpr uint8_t kData = 2;
constexpr size_t kMaxSessionsPerPeer = 16;
constexpr size_t kMaxSealedBytes = 80 << 20;

Status Rejected() { return AuthenticationFailed("peer message failed authentication; dropped"); }

}  // namespace

KxKeyPair KxKeyPair::FromSeed(std::span<const uint8_t, 32> seed) {
  KxKeyPair k;
  k.secret_key = crypto::SecretBytes(crypto_kx_SECRETKEYBYTES);
  KW_CHECK(crypto_kx_seed_keypair(k.public_key.data(), k.secret_key.RevealMutable().data(), seed.data()) == 0);
  return k;
}

KxKeyPair KxKeyPair::Generate(crypto::Rng& rng) {
  auto seed = rng.Array<32>();
  KxKeyPair k = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return k;
}

bool PeerChannel::Window::Check(uint64_t counter) const {
  if (counter == 0) return false;
  if (counter > highest) return true;
  uint64_t age = highest - counter;
  return age < 64 && (bitmap & (1ull << age)) == 0;
}

void PeerChannel::Window::Mark(uint64_t counter) {
  if (counter > highest) {
    uint64_t shift = counter - highest;
    bitmap = shift >= 64 ? 0 : bitmap << shift;
    bitmap |= 1;
    highest = counter;
  } else {
    bitmap |= 1ull << (highest - counter);
  }
}

PeerChannel::PeerChannel(NodeId self, KxKeyPair keys, std::map<NodeId, KxPublicKey> manifest, crypto::Rng& rng)
    : self_(self), keys_(std::move(keys)) {
  auto s = rng.Array<8>();
  for (uint8_t b : s) session_ = (session_ << 8) | b;
  if (session_ == 0) session_ = 1;
  KW_CHECK(manifest.count(self_) == 1 && manifest.at(self_) == keys_.public_key);
  for (const auto& [id, pk] : manifest) {
    if (id != self_) InsertPeer(id, pk);
  }
}

void PeerChannel::InsertPeer(NodeId id, const KxPublicKey& pk) {
  Peer p;
  p.public_key = pk;
  p.rx = crypto::SecretBytes(crypto_kx_SESSIONKEYBYTES);
  p.tx = crypto::SecretBytes(crypto_kx_SESSIONKEYBYTES);
  // The lower id plays crypto_kx "client": both ends then agree on which key is which direction.
  int rc = self_ < id ? crypto_kx_client_session_keys(p.rx.RevealMutable().data(), p.tx.RevealMutable().data(),
                                                      keys_.public_key.data(), keys_.secret_key.Reveal().data(),
                                                      pk.data())
                      : crypto_kx_server_session_keys(p.rx.RevealMutable().data(), p.tx.RevealMutable().data(),
                                                      keys_.public_key.data(), keys_.secret_key.Reveal().data(),
                                                      pk.data());
  KW_CHECK(rc == 0);  // only fails for a small-order public key: a broken manifest
  peers_.emplace(id, std::move(p));
}

Status PeerChannel::AddPeer(NodeId id, const KxPublicKey& public_key) {
  if (id == kNoNode || id == self_) return InvalidArgument("peer channel: cannot add node " + std::to_string(id));
  auto it = peers_.find(id);
  if (it != peers_.end()) {
    if (it->second.public_key == public_key) return Status::Ok();
    return InvalidArgument("peer channel: node " + std::to_string(id) + " already has another identity key");
  }
  // crypto_kx refuses small-order keys; test on a scratch computation rather than aborting.
  crypto::SecretBytes rx(crypto_kx_SESSIONKEYBYTES), tx(crypto_kx_SESSIONKEYBYTES);
  if (crypto_kx_client_session_keys(rx.RevealMutable().data(), tx.RevealMutable().data(), keys_.public_key.data(),
                                    keys_.secret_key.Reveal().data(), public_key.data()) != 0) {
    return InvalidArgument("peer channel: node " + std::to_string(id) + "'s identity key is not a valid X25519 key");
  }
  InsertPeer(id, public_key);
  return Status::Ok();
}

std::array<uint8_t, 32> PeerChannel::Key(const crypto::SecretBytes& direction_key, NodeId from, NodeId to,
                                         uint64_t from_session, uint64_t to_session) const {
  wire::Writer info;
  info.Text("keyward raft peer v1").U32(from).U32(to).U64(from_session).U64(to_session);
  crypto::SecretBytes prk = crypto::HkdfSha512Extract(AsBytes("keyward raft peer v1"), direction_key.Reveal());
  std::array<uint8_t, 32> key;
  crypto::HkdfSha512Expand(prk.Reveal(), info.bytes(), key);
  return key;
}

Bytes PeerChannel::Envelope(NodeId to, Peer& p, uint8_t kind, ByteSpan plaintext) {
  uint64_t counter = ++p.send_counter;
  wire::Writer w(64 + plaintext.size());
  w.U8(kVersion).U8(kind).U32(self_).U32(to).U64(session_).U64(p.session).U64(counter);
  w.U32(static_cast<uint32_t>(plaintext.size() + crypto::kAeadTagBytes));
  std::array<uint8_t, crypto::kAeadNonceBytes> nonce{};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  if (p.tx_key_for != p.session || p.tx_key.empty()) {
    auto key = Key(p.tx, self_, to, session_, p.session);
    p.tx_key = crypto::SecretBytes(key);
    p.tx_key_for = p.session;
    sodium_memzero(key.data(), key.size());
  }
  Bytes sealed = crypto::AeadSeal(p.tx_key.Reveal(), nonce, w.bytes(), plaintext);
  w.Bytes(sealed);
  return w.Take();
}

Bytes PeerChannel::Seal(NodeId to, ByteSpan plaintext) {
  Peer& p = peers_.at(to);
  if (p.session == 0) return Envelope(to, p, kHello, {});
  return Envelope(to, p, kData, plaintext);
}

StatusOr<PeerChannel::Opened> PeerChannel::Open(ByteSpan envelope) {
  wire::Reader r(envelope);
  uint8_t version, kind;
  uint32_t from, to, len;
  uint64_t from_session, to_session, counter;
  std::span<const uint8_t> sealed;
  if (!r.U8(&version) || !r.U8(&kind) || !r.U32(&from) || !r.U32(&to) || !r.U64(&from_session) ||
      !r.U64(&to_session) || !r.U64(&counter) || !r.U32(&len) || len > kMaxSealedBytes ||
      !r.Bytes(len, &sealed) || !r.Finish()) {
    ++forgeries_rejected_;
    return InvalidArgument("peer envelope is malformed; dropped");
  }
  auto it = peers_.find(from);
  if (version != kVersion || (kind != kHello && kind != kData) || to != self_ || it == peers_.end() ||
      from_session == 0 || counter == 0 || (kind == kData && to_session != session_)) {
    ++forgeries_rejected_;
    if (it != peers_.end() && kind == kData && to_session != session_) {
      control_.emplace_back(from, Envelope(from, it->second, kHello, {}));  // "I restarted"
    }
    return Rejected();
  }
  Peer& p = it->second;
  auto win = p.windows.find(from_session);
  if (win != p.windows.end() && !win->second.Check(counter)) {
    ++replays_rejected_;
    return AuthenticationFailed("peer message replayed; dropped");
  }
  std::array<uint8_t, crypto::kAeadNonceBytes> nonce{};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  // Derived keys are cached per (peer session, our session): HKDF per message would dominate.
  if (p.rx_keys.size() > 2 * kMaxSessionsPerPeer) p.rx_keys.clear();  // bounded
  crypto::SecretBytes& cached = p.rx_keys[{from_session, to_session}];
  if (cached.empty()) {
    auto key = Key(p.rx, from, self_, from_session, to_session);
    cached = crypto::SecretBytes(key);
    sodium_memzero(key.data(), key.size());
  }
  size_t header_len = envelope.size() - sealed.size();
  StatusOr<crypto::SecretBytes> plain = crypto::AeadOpen(cached.Reveal(), nonce, envelope.first(header_len), sealed);
  if (!plain.ok() || (kind == kHello && !plain->empty())) {
    ++forgeries_rejected_;
    return Rejected();
  }
  bool fresh_session = win == p.windows.end();
  if (fresh_session) {
    if (p.windows.size() >= kMaxSessionsPerPeer) {
      auto lru = std::min_element(p.windows.begin(), p.windows.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      p.windows.erase(lru);
    }
    win = p.windows.emplace(from_session, Window{}).first;
  }
  win->second.Mark(counter);
  win->second.last_used = ++use_clock_;
  // Which life of the peer do we talk to? The one that last said hello (a hello is what a core
  // sends when it receives data addressed to another of its lives), or the first authentic message
  // of a session we never saw. A late message of an older life can switch us back, but then the
  // live peer refuses our data and says hello again, so this converges once old messages run out.
  // send_counter is never reset: it is the nonce, and keys repeat if we talk to a session again.
  if (fresh_session || kind == kHello) p.session = from_session;
  Opened out;
  out.from = from;
  out.hello = kind == kHello;
  if (out.hello) {
    if (to_session != session_) control_.emplace_back(from, Envelope(from, p, kHello, {}));
  } else {
    out.plaintext.assign(plain->Reveal().begin(), plain->Reveal().end());
  }
  return out;
}

std::vector<std::pair<NodeId, Bytes>> PeerChannel::TakeControl() {
  std::vector<std::pair<NodeId, Bytes>> out;
  out.swap(control_);
  return out;
}

}  // namespace keyward::raft

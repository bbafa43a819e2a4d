// PeerChannel: authenticated, replay-protected transport framing between the cores of one fleet.
//
// The host carries the bytes and may drop, delay, reorder, duplicate or replay them, but cannot
// forge or alter one (AEAD) and a replay is detected (per-session sliding window). Each core has a
// static X25519 key (libsodium crypto_kx) listed in the fleet manifest; each pair of cores derives
// one key per direction (crypto_kx session keys), and from it one AEAD key per (sender session,
// receiver session), where a session is a random 64-bit number drawn at every boot. Binding both
// sessions means a message recorded for a previous life of either core never opens in this one.
//
// envelope := u8 version=1 ‖ u8 kind (1 hello | 2 data) ‖ u32 from ‖ u32 to ‖ u64 from_session ‖
//             u64 to_session (0: unknown yet, hello only) ‖ u64 counter (≥ 1) ‖ u32 len ‖ sealed[len]
// sealed = XChaCha20-Poly1305(key(from, to, from_session, to_session), nonce = counter (BE, padded
//          to 24 bytes), aad = every header byte before `len`… up to and including len, plaintext)
// A hello carries no plaintext; it announces the sender's session (and asks for ours).
//
// Thread-safety: not thread-safe; owned by the host loop next to its Raft.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "core/raft/types.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace keyward::raft {

using KxPublicKey = std::array<uint8_t, 32>;

struct KxKeyPair {
  KxPublicKey public_key{};
  crypto::SecretBytes secret_key;  // 32 bytes
  static KxKeyPair FromSeed(std::span<const uint8_t, 32> seed);
  static KxKeyPair Generate(crypto::Rng& rng);
};

class PeerChannel {
 public:
  // `manifest` maps every fleet member (including `self`) to its static public key.
  PeerChannel(NodeId self, KxKeyPair keys, std::map<NodeId, KxPublicKey> manifest, crypto::Rng& rng);

  // Adds a member that joined the manifest after this channel was created (`keyward fleet add`).
  // Idempotent for the same key; refuses another key for a known id (identities never change).
  Status AddPeer(NodeId id, const KxPublicKey& public_key);
  bool HasPeer(NodeId id) const { return peers_.count(id) == 1; }

  // Seals `plaintext` for `to`. Until `to`'s session is known this returns a hello instead and the
  // payload is dropped (Raft retransmits).
  Bytes Seal(NodeId to, ByteSpan plaintext);

  struct Opened {
    NodeId from = kNoNode;
    bool hello = false;
    Bytes plaintext;  // empty for a hello
  };
  // Authenticates and de-duplicates one envelope. Forged, altered, replayed or stale (addressed to
  // another session of this core) envelopes fail with kAuthenticationFailed and change nothing.
  StatusOr<Opened> Open(ByteSpan envelope);

  // Envelopes this channel wants sent on its own (hello replies), as (to, bytes).
  std::vector<std::pair<NodeId, Bytes>> TakeControl();

  uint64_t session() const { return session_; }
  uint64_t replays_rejected() const { return replays_rejected_; }
  uint64_t forgeries_rejected() const { return forgeries_rejected_; }

 private:
  struct Window {  // RFC 4303 §3.4.3-style anti-replay window of 64 counters
    uint64_t highest = 0;
    uint64_t bitmap = 0;
    uint64_t last_used = 0;
    bool Check(uint64_t counter) const;
    void Mark(uint64_t counter);
  };
  struct Peer {
    KxPublicKey public_key{};
    crypto::SecretBytes rx, tx;     // crypto_kx direction keys
    uint64_t session = 0;           // its current session as far as we know (0: unknown)
    uint64_t send_counter = 0;      // for (our session, its session)
    std::map<uint64_t, Window> windows;  // its sessions we accepted messages from (bounded)
    crypto::SecretBytes tx_key;          // cached AEAD key towards `session`
    uint64_t tx_key_for = 0;
    std::map<std::pair<uint64_t, uint64_t>, crypto::SecretBytes> rx_keys;  // (its, our) session
  };
  void InsertPeer(NodeId id, const KxPublicKey& pk);
  Bytes Envelope(NodeId to, Peer& p, uint8_t kind, ByteSpan plaintext);
  std::array<uint8_t, 32> Key(const crypto::SecretBytes& direction_key, NodeId from, NodeId to,
                              uint64_t from_session, uint64_t to_session) const;

  NodeId self_;
  KxKeyPair keys_;
  uint64_t session_ = 0;
  uint64_t use_clock_ = 0;
  std::map<NodeId, Peer> peers_;
  std::vector<std::pair<NodeId, Bytes>> control_;
  uint64_t replays_rejected_ = 0;
  uint64_t forgeries_rejected_ = 0;
};

}  // namespace keyward::raft

#include "crypto/hash.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/check.h"

namespace keyward::crypto {

namespace {
// Per-thread OpenSSL contexts are owned, so they are freed (and HKDF's copy of the last key
// cleared by EVP_KDF_CTX_free) when the thread exits; raw thread_local pointers leaked one context
// per daemon thread (LeakSanitizer).
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
}  // namespace

Sha256Digest Sha256(ByteSpan data) { return Sha256({data}); }

Sha256Digest Sha256(std::initializer_list<ByteSpan> parts) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> owned(EVP_MD_CTX_new());
  EVP_MD_CTX* ctx = owned.get();
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  KW_CHECK(ctx != nullptr && md != nullptr);
  KW_CHECK(EVP_DigestInit_ex2(ctx, md, nullptr) == 1);
  for (auto p : parts) KW_CHECK(EVP_DigestUpdate(ctx, p.data(), p.size()) == 1);
  Sha256Digest d;
  unsigned int n = 0;
  KW_CHECK(EVP_DigestFinal_ex(ctx, d.data(), &n) == 1 && n == d.size());
  return d;
}

Sha512Digest Sha512(ByteSpan data) {
  Sha512Digest d;
  crypto_hash_sha512(d.data(), data.data(), data.size());
  return d;
}

Sha512Digest Sha512(std::initializer_list<ByteSpan> parts) {
  Sha512Hasher h;
  for (auto p : parts) h.Update(p);
  return h.Final();
}

Sha512Digest HmacSha512(ByteSpan key, std::initializer_list<ByteSpan> message) {
  crypto_auth_hmacsha512_state st;
  crypto_auth_hmacsha512_init(&st, key.data(), key.size());
  for (auto p : message) crypto_auth_hmacsha512_update(&st, p.data(), p.size());
  Sha512Digest out;
  crypto_auth_hmacsha512_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

namespace {

// Per-thread HKDF contexts, fetched once: fetching the KDF costs more than the derivation.
//
// Fast path: one context per mode, configured (mode, digest) once, then each call sets only the
// key and the salt or info. Naming the digest on every call made OpenSSL look "SHA512" up again
// each time (callgrind: 13% of the instructions of an OPAQUE server login's HKDF-Expands; see
// docs/benchmarks.md, issue 2). OpenSSL replaces the key and a
// non-empty salt or info on every set, so no EVP_KDF_CTX_reset is needed when both are non-empty.
// An EMPTY info or key is not a replacement (OpenSSL 3.0 keeps stale lengths; it crashed in
// Hash.HkdfReusedContextsCarryNothingOver), so those calls take the slow path: reset and set all.
EVP_KDF* HkdfKdf() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  KW_CHECK(kdf != nullptr);
  return kdf;
}

char kDigestName[] = "SHA512";

OSSL_PARAM ModeParam(int* mode) { return OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, mode); }
OSSL_PARAM DigestParam() { return OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, kDigestName, 0); }

EVP_KDF_CTX* ConfiguredHkdf(int mode) {
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(HkdfKdf());
  KW_CHECK(ctx != nullptr);
  OSSL_PARAM params[] = {ModeParam(&mode), DigestParam(), OSSL_PARAM_construct_end()};
  KW_CHECK(EVP_KDF_CTX_set_params(ctx, params) == 1);
  return ctx;
}

void Derive(int mode, ByteSpan key, ByteSpan salt_or_info, bool is_salt, std::span<uint8_t> out) {
  KW_CHECK(mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY || mode == EVP_KDF_HKDF_MODE_EXPAND_ONLY);
  // OpenSSL rejects a NULL octet-string parameter, so empty inputs point at a harmless buffer. An
  // empty salt is replaced by HashLen zero bytes, which RFC 5869 §2.2 defines as equivalent.
  static const uint8_t kZeroSalt[64] = {};
  if (salt_or_info.empty()) salt_or_info = is_salt ? ByteSpan(kZeroSalt) : ByteSpan(kZeroSalt, 0);
  if (key.empty()) key = ByteSpan(kZeroSalt, 0);
  const OSSL_PARAM key_param = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()), key.size());
  const OSSL_PARAM data_param = OSSL_PARAM_construct_octet_string(
      is_salt ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(salt_or_info.data()),
      salt_or_info.size());
  if (!key.empty() && !salt_or_info.empty()) {
    thread_local KdfCtxPtr extract(ConfiguredHkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY));
    thread_local KdfCtxPtr expand(ConfiguredHkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY));
    OSSL_PARAM params[] = {key_param, data_param, OSSL_PARAM_construct_end()};
    EVP_KDF_CTX* ctx = mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? extract.get() : expand.get();
    KW_CHECK(EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1);
    return;
  }
  thread_local KdfCtxPtr general_owned(EVP_KDF_CTX_new(HkdfKdf()));
  EVP_KDF_CTX* general = general_owned.get();
  KW_CHECK(general != nullptr);
  EVP_KDF_CTX_reset(general);
  OSSL_PARAM params[] = {ModeParam(&mode), DigestParam(), key_param, data_param, OSSL_PARAM_construct_end()};
  KW_CHECK(EVP_KDF_derive(general, out.data(), out.size(), params) == 1);
}

}  // namespace

SecretBytes HkdfSha512Extract(ByteSpan salt, ByteSpan ikm) {
  SecretBytes prk(64);
  // OpenSSL treats an empty salt as HashLen zero bytes, as RFC 5869 §2.2 specifies.
  Derive(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, salt, /*is_salt=*/true, prk.RevealMutable());
  return prk;
}

SecretBytes HkdfSha512Expand(ByteSpan prk, ByteSpan info, size_t length) {
  SecretBytes out(length);
  HkdfSha512Expand(prk, info, out.RevealMutable());
  return out;
}

void HkdfSha512Expand(ByteSpan prk, ByteSpan info, std::span<uint8_t> out) {
  KW_CHECK(out.size() <= 255 * 64);
  Derive(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, info, /*is_salt=*/false, out);
}

}  // namespace keyward::crypto

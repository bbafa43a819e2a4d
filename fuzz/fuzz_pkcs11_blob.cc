// Fuzzes the two byte formats the PKCS#11 keystore reads back from a token (pkcs11/blob.h): the
// wrapped-secret blob and an Ed25519 CKA_EC_POINT. The first input byte picks the parser. Checks:
// no out-of-bounds reads (ASan), an accepted blob re-serialises to exactly the input, and an
// accepted EC point is 32 raw bytes or the 34-byte DER OCTET STRING holding them.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "pkcs11/blob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const keyward::ByteSpan input(data + 1, size - 1);
  if (data[0] & 1) {
    auto point = keyward::pkcs11::ParseEd25519EcPoint(input);
    if (point.ok()) {
      KW_CHECK(input.size() == 32 || input.size() == 34);
      KW_CHECK(std::equal(point->begin(), point->end(), input.end() - 32));
    }
    return 0;
  }
  auto view = keyward::pkcs11::ParseWrappedBlob(input);
  if (view.ok()) {
    KW_CHECK(view->iv.size() == keyward::pkcs11::kGcmIvBytes);
    const keyward::Bytes again = keyward::pkcs11::SerializeWrappedBlob(
        view->iv.first<keyward::pkcs11::kGcmIvBytes>(), view->ciphertext_and_tag);
    KW_CHECK(std::equal(again.begin(), again.end(), input.begin(), input.end()));
  }
  (void)keyward::pkcs11::WrappedBlobAad(keyward::AsChars(input.first(std::min<size_t>(input.size(), 64))));
  return 0;
}

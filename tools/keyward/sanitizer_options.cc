// LeakSanitizer settings for the `keyward` binary, compiled in only in KEYWARD_SANITIZE builds
// (`make test-asan`).
//
// SoftHSM2 2.6.1 leaks a few OpenSSL ASN.1 objects in every C_SignInit(CKM_EDDSA) and in
// C_GenerateKeyPair for Ed25519 (see src/pkcs11/softhsm_sanitizer_test.cc, which suppresses the same
// leak precisely for pkcs11_test). The CLI signs with token keys (`keyward bundle sign` with
// --token-label, `keyward keygen --token-label`, `keyward log serve` with a token key), so under
// ASan each such run would end in a leak report although the memory is SoftHSM2's. With the fast
// unwinder LeakSanitizer's stacks stop inside libcrypto (built without frame pointers), so the
// frame that tells SoftHSM2's allocations apart is not available: we suppress leaks allocated inside
// libcrypto for this binary only. Keyward's own OpenSSL use is still leak-checked by the unit tests
// (crypto_test, tlog_test, trust_test, ...), which do not carry this suppression.
#if defined(KEYWARD_SANITIZE)
extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so.3\n"; }
#endif

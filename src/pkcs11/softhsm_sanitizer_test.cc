// Sanitizer settings for pkcs11_test only (compiled into the test binary, active only in
// KEYWARD_SANITIZE builds).
//
// SoftHSM2 2.6.1 leaks a few OpenSSL ASN.1 objects (decoded EC parameters, ~100 bytes) in every
// C_SignInit(CKM_EDDSA), and in C_GenerateKeyPair when CKA_EC_PARAMS is the printable string
// "edwards25519": LeakSanitizer shows libcrypto's ASN1_item_d2i_ex called from the dlopen()ed module,
// called from TokenEd25519Signer::Sign / GenerateTokenEd25519Key. That memory is SoftHSM2's, not
// Keyward's, and a production HSM runs its own firmware, so the leak is suppressed here — precisely:
// only leaks whose allocation stack passes through those two functions (which themselves allocate
// nothing that outlives them except the returned signer).
// Matching that frame needs the slow unwinder, because libcrypto has no frame pointers.
#if defined(KEYWARD_SANITIZE)
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }
extern "C" const char* __lsan_default_suppressions() {
  return "leak:keyward::pkcs11::TokenEd25519Signer::Sign\n"
         "leak:keyward::pkcs11::GenerateTokenEd25519Key\n";
}
#endif

// Internal helpers (not public API) for the strict JSON formats of src/trust: parsing with
// nlohmann::json under size, depth and duplicate-key limits, exact key sets, typed field access,
// and the canonical compact serialization every format round-trips through.
//
// Thread-safety: pure functions.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"

namespace keyward::trust::internal {

using Json = nlohmann::ordered_json;

// RFC 8259 JSON text that is a single object, at most `max_bytes` bytes, nesting depth <= 8, no
// duplicate object keys at any level, no byte before '{' or after the final '}', valid UTF-8.
// `what` names the document in errors ("envelope", "payload"...).
// With `compact_unescaped`, also rejects whitespace outside strings and any backslash: for documents
// whose strings never need escaping, this plus ExpectKeyOrder and exact types is the canonical
// compact form (cheaper than re-serializing and comparing).
StatusOr<Json> ParseStrictObject(ByteSpan text, size_t max_bytes, std::string_view what,
                                 bool compact_unescaped = false);

// OK iff the keys of `obj` appear in the order of `order` (keys absent from obj are skipped).
Status ExpectKeyOrder(const Json& obj, std::initializer_list<std::string_view> order,
                      std::string_view what);

// Compact serialization (nlohmann dump(), insertion order, UTF-8 kept as is).
std::string Dump(const Json& j);

// OK iff `obj` (an object) has exactly the keys `required` plus any of `optional`.
Status ExpectKeys(const Json& obj, std::initializer_list<std::string_view> required,
                  std::initializer_list<std::string_view> optional, std::string_view what);

StatusOr<std::string> GetString(const Json& obj, std::string_view key, std::string_view what,
                                size_t max_len);
// A JSON unsigned integer (no sign, fraction or exponent).
StatusOr<uint64_t> GetUint64(const Json& obj, std::string_view key, std::string_view what);
// An array of at most `max_items` elements.
StatusOr<const Json*> GetArray(const Json& obj, std::string_view key, std::string_view what,
                               size_t max_items);
// Canonical standard base64 of at most max_len decoded bytes.
StatusOr<Bytes> GetBase64(const Json& obj, std::string_view key, std::string_view what,
                          size_t max_len);
// Lowercase hex of min_len..max_len bytes.
StatusOr<Bytes> DecodeLowerHex(std::string_view text, size_t min_len, size_t max_len,
                               std::string_view what);

// Strict standard base64 (RFC 4648 §4, padded, canonical) for public data on the verification path:
// common/bytes.h Base64DecodePublic / Base64EncodePublic (OpenSSL's block codec; libsodium's
// constant-time decoder costs ~15x more per byte). InvalidArgument otherwise.
StatusOr<Bytes> Base64DecodeStrict(std::string_view text);
std::string Base64EncodeFast(ByteSpan data);

// True iff `text` is valid UTF-8 (what nlohmann::json will serialize without throwing).
bool IsValidUtf8(std::string_view text);

// Reads a whole file (at most max_bytes); errors name the path.
StatusOr<std::string> ReadFileLimited(const std::string& path, size_t max_bytes,
                                      std::string_view what);

}  // namespace keyward::trust::internal

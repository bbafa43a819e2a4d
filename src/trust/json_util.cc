#include "trust/json_util.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace keyward::trust::internal {
namespace {

constexpr int kMaxDepth = 8;

struct Scan {
  int max_depth = 0;
  bool whitespace_outside_strings = false;
  bool backslash = false;
};

// Nesting depth of the JSON text, counting brackets outside strings (pre-check so that a deeply
// nested input cannot make the parser or destructor recurse; stops past kMaxDepth), and whether it
// has whitespace outside strings or any backslash.
Scan ScanJson(std::string_view s) {
  Scan out;
  int depth = 0;
  int& max_depth = out.max_depth;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        out.backslash = true;
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      out.whitespace_outside_strings = true;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > kMaxDepth) return out;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return out;
}

// Keys held by all objects in `j` (depth is bounded by the pre-scan).
size_t CountKeys(const Json& j) {
  size_t n = 0;
  if (j.is_object()) {
    n += j.size();
    for (const auto& [k, v] : j.items()) n += CountKeys(v);
  } else if (j.is_array()) {
    for (const Json& v : j) n += CountKeys(v);
  }
  return n;
}

// The first key that appears twice in one object of `s` (a valid JSON text with a duplicate).
std::string FindDuplicateKey(std::string_view s) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  Json::parser_callback_t cb = [&](int, nlohmann::json::parse_event_t event, Json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) {
      keys.emplace_back();
    } else if (event == E::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == E::key && !keys.empty() && parsed.is_string() && duplicate.empty()) {
      if (!keys.back().insert(parsed.get<std::string>()).second) duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    Json ignored = Json::parse(s.begin(), s.end(), cb, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception&) {
  }
  return duplicate;
}

}  // namespace

// JSON-text = ws value ws (RFC 8259 §2), restricted here to: object, no surrounding whitespace.
StatusOr<Json> ParseStrictObject(ByteSpan text, size_t max_bytes, std::string_view what,
                                 bool compact_unescaped) {
  std::string w(what);
  if (text.size() > max_bytes) {
    return ResourceExhausted(w + " is " + std::to_string(text.size()) + " bytes, more than the " +
                             std::to_string(max_bytes) + "-byte limit");
  }
  std::string_view s = AsChars(text);
  if (s.empty() || s.front() != '{' || s.back() != '}') {
    return InvalidArgument(w + " must be one JSON object with nothing before '{' or after '}'");
  }
  Scan scan = ScanJson(s);
  if (scan.max_depth > kMaxDepth) {
    return InvalidArgument(w + " nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  if (compact_unescaped && (scan.whitespace_outside_strings || scan.backslash)) {
    return InvalidArgument(w + " is not in canonical form: compact JSON (no whitespace between "
                               "tokens) and no escape sequences; re-serialize it with keyward");
  }
  // Duplicate keys: nlohmann's ordered_json keeps one entry per key, so counting key events while
  // parsing and comparing with the keys the document holds finds them without a set per object.
  // Only when they differ is the text parsed again to name the duplicate.
  size_t key_events = 0;
  Json::parser_callback_t count = [&key_events](int, nlohmann::json::parse_event_t event, Json&) {
    if (event == nlohmann::json::parse_event_t::key) ++key_events;
    return true;
  };
  Json j;
  try {
    j = Json::parse(s.begin(), s.end(), count, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(w + " is not valid JSON: " + std::string(e.what()).substr(0, 200));
  }
  if (key_events != CountKeys(j)) {
    return InvalidArgument(w + " has a duplicate key \"" + FindDuplicateKey(s).substr(0, 64) +
                           "\"; each key may appear once");
  }
  if (!j.is_object()) return InvalidArgument(w + " must be a JSON object");
  return j;
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::strict);
}

Status ExpectKeys(const Json& obj, std::initializer_list<std::string_view> required,
                  std::initializer_list<std::string_view> optional, std::string_view what) {
  std::string w(what);
  if (!obj.is_object()) return InvalidArgument(w + " must be a JSON object");
  for (std::string_view k : required) {
    if (!obj.contains(std::string(k))) {
      return InvalidArgument(w + " lacks the required key \"" + std::string(k) + "\"");
    }
  }
  for (const auto& [k, v] : obj.items()) {
    bool known = std::find(required.begin(), required.end(), k) != required.end() ||
                 std::find(optional.begin(), optional.end(), k) != optional.end();
    if (!known) {
      return InvalidArgument(w + " has an unknown key \"" + k.substr(0, 64) +
                             "\"; this version accepts no extra fields");
    }
  }
  return Status::Ok();
}

Status ExpectKeyOrder(const Json& obj, std::initializer_list<std::string_view> order,
                      std::string_view what) {
  if (!obj.is_object()) return Status::Ok();  // ExpectKeys reports the type
  auto want = order.begin();
  for (const auto& [k, v] : obj.items()) {
    while (want != order.end() && *want != k) ++want;
    if (want == order.end()) {
      return InvalidArgument(std::string(what) + " is not in canonical form: key \"" +
                             k.substr(0, 64) + "\" is out of order");
    }
    ++want;
  }
  return Status::Ok();
}

StatusOr<std::string> GetString(const Json& obj, std::string_view key, std::string_view what,
                                size_t max_len) {
  const Json& v = obj.at(key);
  auto w = [&] { return std::string(what) + "." + std::string(key); };  // only for errors
  if (!v.is_string()) return InvalidArgument(w() + " must be a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > max_len) {
    return ResourceExhausted(w() + " is longer than " + std::to_string(max_len) + " bytes");
  }
  return s;
}

StatusOr<uint64_t> GetUint64(const Json& obj, std::string_view key, std::string_view what) {
  const Json& v = obj.at(key);
  if (!v.is_number_unsigned()) {
    return InvalidArgument(std::string(what) + "." + std::string(key) +
                           " must be an unsigned integer (no sign, fraction or exponent)");
  }
  return v.get<uint64_t>();
}

StatusOr<const Json*> GetArray(const Json& obj, std::string_view key, std::string_view what,
                               size_t max_items) {
  const Json& v = obj.at(key);
  auto w = [&] { return std::string(what) + "." + std::string(key); };  // only for errors
  if (!v.is_array()) return InvalidArgument(w() + " must be an array");
  if (v.size() > max_items) {
    return ResourceExhausted(w() + " has more than " + std::to_string(max_items) + " items");
  }
  return &v;
}

StatusOr<Bytes> GetBase64(const Json& obj, std::string_view key, std::string_view what,
                          size_t max_len) {
  const Json& v = obj.at(key);
  auto w = [&] { return std::string(what) + "." + std::string(key); };  // only for errors
  if (!v.is_string()) return InvalidArgument(w() + " must be a string");
  const std::string& s = v.get_ref<const std::string&>();  // no copy of a large payload
  if (s.size() > (max_len + 2) / 3 * 4) {
    return ResourceExhausted(w() + " is longer than " + std::to_string((max_len + 2) / 3 * 4) + " bytes");
  }
  StatusOr<Bytes> b = Base64DecodePublic(s);
  if (!b.ok()) return InvalidArgument(w() + " is not canonical standard base64");
  return b;
}

StatusOr<Bytes> DecodeLowerHex(std::string_view text, size_t min_len, size_t max_len,
                               std::string_view what) {
  std::string w(what);
  bool lower = std::all_of(text.begin(), text.end(),
                           [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!lower || text.size() % 2 != 0 || text.size() < 2 * min_len || text.size() > 2 * max_len) {
    return InvalidArgument(w + " must be " + std::to_string(min_len) + ".." +
                           std::to_string(max_len) + " bytes as lowercase hex");
  }
  return HexDecode(text);
}

std::string Base64EncodeFast(ByteSpan data) { return Base64EncodePublic(data); }

// Standard base64 (RFC 4648 §4), canonical: common/bytes.h Base64DecodePublic.
StatusOr<Bytes> Base64DecodeStrict(std::string_view text) { return Base64DecodePublic(text); }

bool IsValidUtf8(std::string_view text) {
  try {
    (void)Json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

StatusOr<std::string> ReadFileLimited(const std::string& path, size_t max_bytes,
                                      std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + std::string(what) + " " + path + "; check the path");
  std::string data;
  data.resize(max_bytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return IoError("error reading " + std::string(what) + " " + path);
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > max_bytes) {
    return ResourceExhausted(std::string(what) + " " + path + " is larger than " +
                             std::to_string(max_bytes) + " bytes");
  }
  return data;
}

}  // namespace keyward::trust::internal

// Test-vector loading (BoringSSL FileTest spirit): vector files keep their provenance
// (testdata/vectors/SOURCES.md); a VectorCase records which fields a test read, and
// ExpectAllFieldsUsed() fails the test when a field was silently ignored. Loaders assert the number
// of cases so a truncated or swapped file cannot pass.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "common/bytes.h"

namespace keyward::testing {

// Absolute path of a file under testdata/ (e.g. "vectors/opaque-rfc9807-vectors.json").
std::string TestDataPath(const std::string& relative);
nlohmann::json LoadJson(const std::string& relative_to_testdata);
// Hex string to bytes; fails the test (and returns empty) on bad hex.
Bytes Hex(const std::string& hex);

// A view over one JSON object that remembers which keys were read.
class VectorCase {
 public:
  explicit VectorCase(const nlohmann::json& obj, std::string where = "")
      : obj_(obj), where_(std::move(where)) {}
  Bytes HexField(const std::string& key);
  std::string StringField(const std::string& key);
  const nlohmann::json& Field(const std::string& key);
  bool Has(const std::string& key) const { return obj_.contains(key); }
  void Ignore(const std::string& key) { used_.insert(key); }  // documented skip
  // GTest failure for every key that was never read or ignored.
  void ExpectAllFieldsUsed() const;

 private:
  const nlohmann::json& obj_;
  std::string where_;
  std::set<std::string> used_;
};

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace keyward::testing

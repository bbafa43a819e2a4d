#include "key_files.h"

#include <sys/stat.h>

#include <cstdio>

#include "log/durable_file.h"
#include "tlog/note.h"

namespace keyward::cli {

StatusOr<LoadedKey> LoadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
    std::fprintf(stderr, "warning: key file %s is accessible by other users; chmod 600 it\n", path.c_str());
  }
  auto text = log::ReadFileText(path, 4096);
  if (!text.ok()) return text.status().WithContext("reading key file");
  std::string s = std::move(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  auto parsed = tlog::ParseSignerKey(s);
  crypto::SecretBytes wipe(AsBytes(s));
  std::fill(s.begin(), s.end(), '\0');
  if (!parsed.ok()) {
    return parsed.status().WithContext("key file " + path +
                                       " is not a PRIVATE+KEY+... signer key (create one with `keyward keygen`)");
  }
  return LoadedKey{parsed->name, parsed->key};
}

}  // namespace keyward::cli

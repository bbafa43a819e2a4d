// Durable file operations for the log and witness daemons (docs/log.md "Files on disk").
//
// WriteFileDurably writes `data` to a temporary file in the target's directory, fsyncs it, renames
// it over the target (atomic on POSIX filesystems) and, unless told otherwise, fsyncs the
// directory. After it returns OK the file's new contents survive a crash; before, a crash leaves
// either the old contents or the new ones, never a torn mix. Temporary files are named
// ".tmp-<random>" so that a static web server can be told to hide dot files.
//
// Thread-safety: free functions; concurrent writes to the same path are the caller's problem.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace keyward::log {

struct DurableWriteOptions {
  bool sync_dir = true;   // false: the caller fsyncs the parent directory later (batched)
  bool sync_file = true;  // false: the caller makes the data durable later (TileStorage::Flush fsyncs the tiles)
  int mode = 0644;
};

// Creates parent directories as needed (each new directory's parent is fsynced when sync_dir).
Status WriteFileDurably(const std::filesystem::path& path, ByteSpan data,
                        const DurableWriteOptions& options = {});
// fsync(2) of a directory (makes renames/creates in it durable).
Status FsyncDir(const std::filesystem::path& dir);
// Creates `dir` and missing parents.
Status MakeDirs(const std::filesystem::path& dir);
// Reads a whole file of at most max_bytes. NotFound if absent, ResourceExhausted if larger.
StatusOr<Bytes> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes);
StatusOr<std::string> ReadFileText(const std::filesystem::path& path, size_t max_bytes);
// Creates a new file with mode 0600 exclusively (fails with AlreadyExists if present), writes and
// fsyncs it (for secret keys: never overwrites).
Status WriteNewPrivateFile(const std::filesystem::path& path, ByteSpan data);

}  // namespace keyward::log

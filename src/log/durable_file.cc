#include "log/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/random.h"

namespace keyward::log {
namespace {

Status Errno(std::string_view what, const std::filesystem::path& path) {
  int e = errno;
  return IoError(std::string(what) + " " + path.string() + ": " + std::strerror(e) +
                 "; check the directory exists, is writable and the disk is not full");
}

Status WriteAll(int fd, ByteSpan data, const std::filesystem::path& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("writing", path);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string TempName() {
  crypto::SystemRng rng;
  auto r = rng.Array<8>();
  return ".tmp-" + HexEncode(r);
}

}  // namespace

Status FsyncDir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("opening directory", dir);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return Errno("fsync of directory", dir);
  return Status::Ok();
}

Status MakeDirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("creating directory " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

Status WriteFileDurably(const std::filesystem::path& path, ByteSpan data,
                        const DurableWriteOptions& options) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    RETURN_IF_ERROR(MakeDirs(dir));
    // Make the new directory entries durable up to an existing ancestor.
    if (options.sync_dir) {
      for (auto d = dir; d.has_parent_path() && d != d.parent_path(); d = d.parent_path()) {
        RETURN_IF_ERROR(FsyncDir(d.parent_path()));
        if (d.parent_path() == d.root_path()) break;
      }
    }
  }
  std::filesystem::path tmp = dir / TempName();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, options.mode);
  if (fd < 0) return Errno("creating", tmp);
  Status st = WriteAll(fd, data, tmp);
  if (st.ok() && options.sync_file && ::fsync(fd) != 0) st = Errno("fsync of", tmp);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Errno("renaming onto", path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (options.sync_dir) RETURN_IF_ERROR(FsyncDir(dir));
  return Status::Ok();
}

StatusOr<Bytes> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no file " + path.string());
    return Errno("opening", path);
  }
  Bytes out;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = Errno("reading", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return ResourceExhausted(path.string() + " is larger than " + std::to_string(max_bytes) +
                               " bytes; is it the right file?");
    }
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

StatusOr<std::string> ReadFileText(const std::filesystem::path& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path, max_bytes));
  return std::string(b.begin(), b.end());
}

Status WriteNewPrivateFile(const std::filesystem::path& path, ByteSpan data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(ErrorCode::kAlreadyExists,
                    path.string() + " already exists; refusing to overwrite a key (choose another path)");
    }
    return Errno("creating", path);
  }
  Status st = WriteAll(fd, data, path);
  if (st.ok() && ::fsync(fd) != 0) st = Errno("fsync of", path);
  ::close(fd);
  if (!st.ok()) {
    ::unlink(path.c_str());
    return st;
  }
  auto dir = path.parent_path();
  return FsyncDir(dir.empty() ? std::filesystem::path(".") : dir);
}

}  // namespace keyward::log

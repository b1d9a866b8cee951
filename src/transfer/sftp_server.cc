// The SFTP endpoint. See sftp_server.h for the contract; this file is the how.
//
// Threads. The accept thread polls the listening socket and a wake pipe, hands each connection
// to libssh and starts a session thread; it also joins the threads of sessions that ended. A
// session thread owns its ssh_session outright and runs it with libssh's blocking calls: key
// exchange, authentication and channel set-up (bounded by kLoginGrace), then one SFTP request
// at a time (unbounded: an idle client may stay connected).
//
// Stopping. libssh has no way to interrupt a blocking call from another thread, so Stop shuts
// the sessions' sockets down (shutdown(2)), which makes every pending read or write fail. The
// descriptor libssh owns (and closes whenever it sees the connection fail) is a dup of the one
// the server keeps: the server's copy stays open, so its number cannot be reused by another
// file, until the session thread closes it under `mu_`; Stop only shuts down copies still open.
//
// Files. Each path is resolved through the user's HomeView (so nothing outside the home is
// reachable, whatever the spelling) to a domain path, stored at FILES_ROOT/s3|efs/<domain path>.
// File handles are plain descriptors; directory handles are listings taken at OPENDIR.
#define WITH_SERVER  // declares sftp_server_new/init/free in libssh/sftp.h
#include "transfer/sftp_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "base/random.h"
#include "transfer/home_view.h"

// The message-based server API (ssh_message_auth_pubkey and friends) is marked deprecated in
// favour of callbacks, but it is the one that lets a session be written as straight-line code.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace stepway::transfer {
namespace {

namespace fs = std::filesystem;

// Key exchange, authentication and opening the SFTP channel together (OpenSSH's LoginGraceTime
// is 120 s; our clients are scripts).
constexpr long kLoginGraceSeconds = 60;
// Authentication requests per connection (OpenSSH's MaxAuthTries is 6 failures; a client with
// several keys sends a probe and a signature per key).
constexpr int kMaxAuthRequests = 20;
// Handles open at once in one session (libssh's own handle table holds 256).
constexpr std::size_t kMaxHandles = 256;
// Bytes answered to one READ (clients ask for 32 KiB; draft-ietf-secsh-filexfer-02 lets a
// server answer less).
constexpr std::uint32_t kMaxReadBytes = 64 * 1024;
// Names in one READDIR answer (OpenSSH's sftp-server sends up to 100).
constexpr std::size_t kNamesPerReaddir = 100;
constexpr int kListenBacklog = 64;
// How often the accept thread wakes to join the threads of ended sessions.
constexpr int kReapIntervalMs = 1000;
// Pause after an accept error such as EMFILE, so that it is not retried in a busy loop.
constexpr int kAcceptRetryDelayMs = 50;

struct SessionFree {
  void operator()(ssh_session s) const { ssh_free(s); }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;
struct MessageFree {
  void operator()(ssh_message m) const { ssh_message_free(m); }
};
using MessagePtr = std::unique_ptr<ssh_message_struct, MessageFree>;
struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyFree>;
struct ClientMessageFree {
  void operator()(sftp_client_message m) const { sftp_client_message_free(m); }
};
using ClientMessagePtr = std::unique_ptr<sftp_client_message_struct, ClientMessageFree>;

// A descriptor closed on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string ErrnoText(int error) { return std::strerror(error); }

// ---------------------------------------------------------------------------------------------
// Start-up: host key and listening socket.

// Writes a new ed25519 key to `path` (mode 0600). Succeeds without writing when another process
// created the file first.
Status CreateHostKey(const std::string& path) {
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK) {
    return Fail(ErrorCode::kUnavailable, "cannot generate an ed25519 host key");
  }
  const KeyPtr key(raw);
  char* pem = nullptr;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &pem) != SSH_OK) {
    return Fail(ErrorCode::kUnavailable, "cannot export the host key");
  }
  const std::string text = pem;
  ssh_string_free_char(pem);
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return {};
    return Fail(ErrorCode::kUnavailable, "cannot create " + path + ": " + ErrnoText(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Fail(ErrorCode::kUnavailable, "cannot write " + path + ": " + ErrnoText(errno));
    }
    done += std::size_t(n);
  }
  return {};
}

Result<KeyPtr> LoadHostKey(const std::string& path) {
  if (path.empty()) return Fail(ErrorCode::kUnavailable, "no host key path");
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Fail(ErrorCode::kUnavailable, "cannot read " + path + ": " + ErrnoText(errno));
    }
    if (Status created = CreateHostKey(path); !created) return tl::unexpected(created.error());
  }
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
    return Fail(ErrorCode::kUnavailable, "cannot load the host key " + path);
  }
  return KeyPtr(raw);
}

// A listening TCP socket on host:port, and the port it got.
Result<std::pair<Fd, std::uint16_t>> Listen(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return Fail(ErrorCode::kUnavailable, "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(fd.get(), kListenBacklog) != 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    const std::uint16_t bound_port =
        bound.ss_family == AF_INET6
            ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
            : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    ::freeaddrinfo(found);
    return std::make_pair(std::move(fd), bound_port);
  }
  ::freeaddrinfo(found);
  return Fail(ErrorCode::kUnavailable,
              "cannot listen on " + host + ":" + service + ": " + last_error);
}

// ---------------------------------------------------------------------------------------------
// Authentication.

// The next space-separated word of `line`, removed from it.
std::string_view NextWord(std::string_view& line) {
  const auto begin = line.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(begin);
  const std::string_view word = line.substr(0, line.find_first_of(" \t\r\n"));
  line.remove_prefix(word.size());
  return word;
}

// True when `key` is one of the user's OpenSSH public key lines ("TYPE BASE64 [COMMENT]").
// Lines that do not parse are skipped.
bool KeyAllowed(const SftpUser& user, const ssh_key key) {
  for (std::string_view line : user.public_keys) {
    const std::string type(NextWord(line));
    const std::string blob(NextWord(line));
    if (type.empty() || blob.empty()) continue;
    const ssh_keytypes_e key_type = ssh_key_type_from_name(type.c_str());
    if (key_type == SSH_KEYTYPE_UNKNOWN) continue;
    ssh_key raw = nullptr;
    if (ssh_pki_import_pubkey_base64(blob.c_str(), key_type, &raw) != SSH_OK) continue;
    const KeyPtr known(raw);
    if (ssh_key_cmp(known.get(), key, SSH_KEY_CMP_PUBLIC) == 0) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Attributes and long names.

sftp_attributes_struct AttributesOf(const struct stat& st) {
  sftp_attributes_struct a{};
  a.flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID | SSH_FILEXFER_ATTR_PERMISSIONS |
            SSH_FILEXFER_ATTR_ACMODTIME;
  a.size = S_ISDIR(st.st_mode) ? 0 : std::uint64_t(st.st_size);
  a.permissions = st.st_mode & (S_IFMT | 07777);
  a.atime = std::uint32_t(st.st_atime);
  a.mtime = std::uint32_t(st.st_mtime);
  return a;
}

// A directory that exists only in the view (above LOGICAL entries).
sftp_attributes_struct SyntheticDirectory() {
  struct stat st {};
  st.st_mode = S_IFDIR | 0755;
  return AttributesOf(st);
}

// An `ls -l` line as OpenSSH's sftp-server writes it: the client prints it as is.
std::string LongName(const std::string& name, const sftp_attributes_struct& a,
                     const std::string& owner) {
  const std::uint32_t mode = a.permissions;
  std::string perms = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit) perms += (mode & (0400 >> bit)) ? rwx[bit] : '-';
  const std::time_t mtime = a.mtime;
  std::tm tm{};
  localtime_r(&mtime, &tm);
  constexpr std::time_t kSixMonths = 182 * 24 * 3600;
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when,
                mtime + kSixMonths > now && mtime <= now ? "%b %e %H:%M" : "%b %e  %Y", &tm);
  char line[512];
  std::snprintf(line, sizeof line, "%s %3u %-8.8s %-8.8s %8" PRIu64 " %s ", perms.c_str(), 1u,
                owner.c_str(), owner.c_str(), a.size, when);
  return line + name;
}

// ---------------------------------------------------------------------------------------------
// One SFTP conversation: requests in, answers out, on the session's thread.

struct Login {
  SftpUser user;
  HomeView view;
};

class SftpConversation {
 public:
  SftpConversation(sftp_session sftp, const SftpOptions& options, const SftpHooks& hooks,
                   std::string session_id, Login login)
      : sftp_(sftp),
        options_(options),
        hooks_(hooks),
        session_id_(std::move(session_id)),
        user_(std::move(login.user)),
        view_(std::move(login.view)) {}

  ~SftpConversation() { Finish(); }

  // Answers requests until the client leaves, the connection fails or a request is one that
  // libssh cannot parse.
  void Run() {
    while (alive_) {
      const ClientMessagePtr msg(sftp_get_client_message(sftp_));
      if (msg == nullptr) return;
      Dispatch(msg.get());
    }
  }

  // Closes every handle; files still open for writing with data are partial uploads.
  void Finish() {
    for (auto& [name, handle] : handles_) {
      if (handle.writing && handle.bytes_written > 0) Report(handle, /*partial=*/true);
    }
    handles_.clear();
  }

 private:
  struct DirEntry {
    std::string name;
    sftp_attributes_struct attrs;
  };
  struct Handle {
    Fd fd;                 // a file; -1 for a directory
    bool writing = false;  // opened with SSH_FXF_WRITE
    std::uint64_t bytes_written = 0;
    std::optional<FileLocation> location;  // where a written file is, for Uploaded
    std::vector<DirEntry> entries;         // a directory's listing
    std::size_t next_entry = 0;
  };

  // The local path of a domain path ("/" is the domain's folder).
  std::string LocalPath(const std::string& domain_path) const {
    return options_.files_root + (options_.domain == Domain::kS3 ? "/s3" : "/efs") +
           (domain_path == "/" ? "" : domain_path);
  }

  // Where the user may store or change something: a domain path with a root and a key (nothing
  // is stored at the domain or bucket level) that is not a home or mapping root when
  // `allow_root` is false. The SFTP status to answer otherwise.
  struct Place {
    std::string local;
    FileLocation location;
  };
  std::optional<Place> Writable(const HomeView::Target& target, bool allow_root,
                                std::uint32_t& status) const {
    if (target.kind == HomeView::Target::Kind::kMissing) {
      status = SSH_FX_NO_SUCH_FILE;
      return std::nullopt;
    }
    status = SSH_FX_PERMISSION_DENIED;
    if (target.kind != HomeView::Target::Kind::kDomain) return std::nullopt;
    if (target.is_root && !allow_root) return std::nullopt;
    auto location = FileLocation::FromDomainPath(options_.domain, target.domain_path);
    if (!location) return std::nullopt;
    return Place{LocalPath(target.domain_path), std::move(*location)};
  }

  static std::uint32_t StatusOf(int error) {
    switch (error) {
      case ENOENT:
      case ENOTDIR:
        return SSH_FX_NO_SUCH_FILE;
      case EACCES:
      case EPERM:
      case EROFS:
        return SSH_FX_PERMISSION_DENIED;
      default:
        return SSH_FX_FAILURE;
    }
  }

  void Reply(sftp_client_message msg, std::uint32_t status, const std::string& text) {
    if (sftp_reply_status(msg, status, text.c_str()) < 0) alive_ = false;
  }
  void ReplyErrno(sftp_client_message msg, int error) {
    Reply(msg, StatusOf(error), ErrnoText(error));
  }
  void ReplyOk(sftp_client_message msg) { Reply(msg, SSH_FX_OK, "Success"); }
  void ReplyDenied(sftp_client_message msg, std::uint32_t status) {
    Reply(msg, status, status == SSH_FX_NO_SUCH_FILE ? "No such file" : "Permission denied");
  }
  void ReplyAttrs(sftp_client_message msg, sftp_attributes_struct attrs) {
    if (sftp_reply_attr(msg, &attrs) < 0) alive_ = false;
  }

  static std::string PathOf(sftp_client_message msg) {
    return msg->filename != nullptr ? msg->filename : "";
  }
  // The second path of RENAME and posix-rename (raw bytes: HomeView ends it at a NUL).
  static std::string SecondPathOf(sftp_client_message msg) {
    if (msg->data == nullptr) return "";
    return std::string(static_cast<const char*>(ssh_string_data(msg->data)),
                       ssh_string_len(msg->data));
  }

  Handle* Find(sftp_client_message msg) {
    if (msg->handle == nullptr) return nullptr;
    const std::string key(static_cast<const char*>(ssh_string_data(msg->handle)),
                          ssh_string_len(msg->handle));
    const auto it = handles_.find(key);
    return it == handles_.end() ? nullptr : &it->second;
  }

  void ReplyHandle(sftp_client_message msg, Handle handle) {
    if (handles_.size() >= kMaxHandles) {
      Reply(msg, SSH_FX_FAILURE, "Too many open handles");
      return;
    }
    const std::string key = std::to_string(++handle_counter_);
    ssh_string name = ssh_string_from_char(key.c_str());
    if (name == nullptr) {
      alive_ = false;
      return;
    }
    handles_.emplace(key, std::move(handle));
    if (sftp_reply_handle(msg, name) < 0) alive_ = false;
    ssh_string_free(name);
  }

  void Report(Handle& handle, bool partial) {
    if (!hooks_.uploaded || !handle.location) return;
    struct stat st;
    Upload upload;
    upload.user_name = user_.user_name;
    upload.session_id = session_id_;
    upload.location = *handle.location;
    upload.size =
        ::fstat(handle.fd.get(), &st) == 0 ? std::uint64_t(st.st_size) : handle.bytes_written;
    upload.partial = partial;
    handle.bytes_written = 0;  // reported once
    try {
      hooks_.uploaded(upload);
    } catch (...) {
      // A hook that throws must not end the session; the upload is on disk either way.
    }
  }

  void Dispatch(sftp_client_message msg) {
    switch (msg->type) {
      case SSH_FXP_REALPATH:
        if (sftp_reply_name(msg, view_.Normalize(PathOf(msg)).c_str(), nullptr) < 0) {
          alive_ = false;
        }
        return;
      case SSH_FXP_STAT:
      case SSH_FXP_LSTAT:
        return Stat(msg);
      case SSH_FXP_FSTAT:
        return FStat(msg);
      case SSH_FXP_OPEN:
        return Open(msg);
      case SSH_FXP_READ:
        return Read(msg);
      case SSH_FXP_WRITE:
        return Write(msg);
      case SSH_FXP_CLOSE:
        return Close(msg);
      case SSH_FXP_OPENDIR:
        return OpenDir(msg);
      case SSH_FXP_READDIR:
        return ReadDir(msg);
      case SSH_FXP_MKDIR:
        return MkDir(msg);
      case SSH_FXP_RMDIR:
      case SSH_FXP_REMOVE:
        return Remove(msg);
      case SSH_FXP_RENAME:
        return Rename(msg, /*overwrite=*/false);
      case SSH_FXP_SETSTAT:
        return SetStat(msg);
      case SSH_FXP_FSETSTAT:
        return FSetStat(msg);
      case SSH_FXP_EXTENDED:
        if (msg->submessage != nullptr &&
            std::strcmp(msg->submessage, "posix-rename@openssh.com") == 0) {
          return Rename(msg, /*overwrite=*/true);
        }
        return Reply(msg, SSH_FX_OP_UNSUPPORTED, "Unsupported extension");
      default:  // READLINK, SYMLINK: S3 and this emulation have no links
        return Reply(msg, SSH_FX_OP_UNSUPPORTED, "Unsupported operation");
    }
  }

  void Stat(sftp_client_message msg) {
    const HomeView::Target target = view_.Resolve(PathOf(msg));
    switch (target.kind) {
      case HomeView::Target::Kind::kDenied:
        return ReplyDenied(msg, SSH_FX_PERMISSION_DENIED);
      case HomeView::Target::Kind::kMissing:
        return ReplyDenied(msg, SSH_FX_NO_SUCH_FILE);
      case HomeView::Target::Kind::kSynthetic:
        return ReplyAttrs(msg, SyntheticDirectory());
      case HomeView::Target::Kind::kDomain:
        break;
    }
    struct stat st;
    if (::lstat(LocalPath(target.domain_path).c_str(), &st) != 0) {
      const int error = errno;
      if (error == ENOENT && !target.children.empty()) {
        return ReplyAttrs(msg, SyntheticDirectory());
      }
      return ReplyErrno(msg, error);
    }
    ReplyAttrs(msg, AttributesOf(st));
  }

  void FStat(sftp_client_message msg) {
    Handle* handle = Find(msg);
    if (handle == nullptr) return Reply(msg, SSH_FX_FAILURE, "Invalid handle");
    if (handle->fd.get() < 0) return ReplyAttrs(msg, SyntheticDirectory());
    struct stat st;
    if (::fstat(handle->fd.get(), &st) != 0) return ReplyErrno(msg, errno);
    ReplyAttrs(msg, AttributesOf(st));
  }

  void Open(sftp_client_message msg) {
    const std::uint32_t pflags = msg->flags;
    const bool write = (pflags & SSH_FXF_WRITE) != 0;
    const bool read = (pflags & SSH_FXF_READ) != 0 || !write;
    const HomeView::Target target = view_.Resolve(PathOf(msg));
    std::string local;
    std::optional<FileLocation> location;
    if (write) {
      // A LOGICAL FILE mapping's entry is a file the user may write, so roots are allowed.
      std::uint32_t status = SSH_FX_OK;
      auto place = Writable(target, /*allow_root=*/true, status);
      if (!place) return ReplyDenied(msg, status);
      local = std::move(place->local);
      location = std::move(place->location);
    } else {
      if (target.kind == HomeView::Target::Kind::kDenied) {
        return ReplyDenied(msg, SSH_FX_PERMISSION_DENIED);
      }
      if (target.kind != HomeView::Target::Kind::kDomain) {
        return ReplyDenied(msg, SSH_FX_NO_SUCH_FILE);
      }
      local = LocalPath(target.domain_path);
    }
    int flags = O_CLOEXEC | O_NOFOLLOW | (read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY);
    if (write) {
      if (pflags & SSH_FXF_CREAT) flags |= O_CREAT;
      if (pflags & SSH_FXF_TRUNC) flags |= O_TRUNC;
      if (pflags & SSH_FXF_EXCL) flags |= O_EXCL;
      if (pflags & SSH_FXF_APPEND) flags |= O_APPEND;
    }
    if (flags & O_CREAT) {
      // S3 has no directories: a key may name prefixes nobody created.
      std::error_code ec;
      fs::create_directories(fs::path(local).parent_path(), ec);
    }
    Handle handle;
    handle.fd = Fd(::open(local.c_str(), flags, 0644));
    if (handle.fd.get() < 0) return ReplyErrno(msg, errno);
    struct stat st;
    if (::fstat(handle.fd.get(), &st) != 0) return ReplyErrno(msg, errno);
    if (!S_ISREG(st.st_mode)) return Reply(msg, SSH_FX_FAILURE, "Not a regular file");
    handle.writing = write;
    handle.location = std::move(location);
    ReplyHandle(msg, std::move(handle));
  }

  void Read(sftp_client_message msg) {
    Handle* handle = Find(msg);
    if (handle == nullptr || handle->fd.get() < 0) {
      return Reply(msg, SSH_FX_FAILURE, "Invalid handle");
    }
    const std::uint32_t want = std::min(msg->len, kMaxReadBytes);
    if (want == 0) return Reply(msg, SSH_FX_FAILURE, "Zero-length read");
    buffer_.resize(want);
    ssize_t n;
    do {
      n = ::pread(handle->fd.get(), buffer_.data(), want, off_t(msg->offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ReplyErrno(msg, errno);
    if (n == 0) return Reply(msg, SSH_FX_EOF, "End of file");
    if (sftp_reply_data(msg, buffer_.data(), int(n)) < 0) alive_ = false;
  }

  void Write(sftp_client_message msg) {
    Handle* handle = Find(msg);
    if (handle == nullptr || handle->fd.get() < 0 || !handle->writing) {
      return Reply(msg, SSH_FX_FAILURE, "Invalid handle");
    }
    const char* data =
        msg->data != nullptr ? static_cast<const char*>(ssh_string_data(msg->data)) : nullptr;
    const std::size_t size = msg->data != nullptr ? ssh_string_len(msg->data) : 0;
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n =
          ::pwrite(handle->fd.get(), data + done, size - done, off_t(msg->offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ReplyErrno(msg, errno);
      done += std::size_t(n);
    }
    handle->bytes_written += size;
    ReplyOk(msg);
  }

  void Close(sftp_client_message msg) {
    Handle* handle = Find(msg);
    if (handle == nullptr) return Reply(msg, SSH_FX_FAILURE, "Invalid handle");
    // The hook runs before the answer, so a client that saw its CLOSE succeed knows the upload
    // was reported.
    if (handle->writing && handle->bytes_written > 0) Report(*handle, /*partial=*/false);
    const std::string key(static_cast<const char*>(ssh_string_data(msg->handle)),
                          ssh_string_len(msg->handle));
    const int fd = handle->fd.release();
    handles_.erase(key);
    if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) return ReplyErrno(msg, errno);
    ReplyOk(msg);
  }

  void OpenDir(sftp_client_message msg) {
    const HomeView::Target target = view_.Resolve(PathOf(msg));
    if (target.kind == HomeView::Target::Kind::kDenied) {
      return ReplyDenied(msg, SSH_FX_PERMISSION_DENIED);
    }
    if (target.kind == HomeView::Target::Kind::kMissing) {
      return ReplyDenied(msg, SSH_FX_NO_SUCH_FILE);
    }
    Handle handle;
    if (target.kind == HomeView::Target::Kind::kDomain) {
      const std::string local = LocalPath(target.domain_path);
      Fd dir_fd(::open(local.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (dir_fd.get() < 0) {
        const int error = errno;
        if (error != ENOENT || target.children.empty()) return ReplyErrno(msg, error);
      } else {
        DIR* dir = ::fdopendir(dir_fd.get());
        if (dir == nullptr) return ReplyErrno(msg, errno);
        dir_fd.release();  // closedir closes it
        while (const dirent* e = ::readdir(dir)) {
          const std::string name = e->d_name;
          if (name == "." || name == "..") continue;
          struct stat st;
          if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
          handle.entries.push_back(DirEntry{name, AttributesOf(st)});
        }
        ::closedir(dir);
      }
    }
    for (const std::string& child : target.children) {
      const bool listed = std::any_of(handle.entries.begin(), handle.entries.end(),
                                      [&child](const DirEntry& e) { return e.name == child; });
      if (!listed) handle.entries.push_back(DirEntry{child, SyntheticDirectory()});
    }
    std::sort(handle.entries.begin(), handle.entries.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    ReplyHandle(msg, std::move(handle));
  }

  void ReadDir(sftp_client_message msg) {
    Handle* handle = Find(msg);
    if (handle == nullptr || handle->fd.get() >= 0) {
      return Reply(msg, SSH_FX_FAILURE, "Invalid handle");
    }
    if (handle->next_entry >= handle->entries.size()) return Reply(msg, SSH_FX_EOF, "End of file");
    const std::size_t end = std::min(handle->entries.size(), handle->next_entry + kNamesPerReaddir);
    for (; handle->next_entry < end; ++handle->next_entry) {
      DirEntry& e = handle->entries[handle->next_entry];
      const std::string long_name = LongName(e.name, e.attrs, user_.user_name);
      if (sftp_reply_names_add(msg, e.name.c_str(), long_name.c_str(), &e.attrs) < 0) {
        alive_ = false;
        return;
      }
    }
    if (sftp_reply_names(msg) < 0) alive_ = false;
  }

  void MkDir(sftp_client_message msg) {
    std::uint32_t status = SSH_FX_OK;
    const HomeView::Target target = view_.Resolve(PathOf(msg));
    if (target.kind == HomeView::Target::Kind::kSynthetic ||
        (target.kind == HomeView::Target::Kind::kDomain && target.is_root)) {
      return Reply(msg, SSH_FX_FAILURE, "File exists");
    }
    const auto place = Writable(target, /*allow_root=*/false, status);
    if (!place) return ReplyDenied(msg, status);
    std::error_code ec;
    fs::create_directories(fs::path(place->local).parent_path(), ec);
    if (::mkdir(place->local.c_str(), 0755) != 0) return ReplyErrno(msg, errno);
    ReplyOk(msg);
  }

  void Remove(sftp_client_message msg) {
    std::uint32_t status = SSH_FX_OK;
    const auto place = Writable(view_.Resolve(PathOf(msg)), /*allow_root=*/false, status);
    if (!place) return ReplyDenied(msg, status);
    const int rc =
        msg->type == SSH_FXP_RMDIR ? ::rmdir(place->local.c_str()) : ::unlink(place->local.c_str());
    if (rc != 0) return ReplyErrno(msg, errno);
    ReplyOk(msg);
  }

  // RENAME fails when the new path exists (draft-ietf-secsh-filexfer-02 leaves it to the
  // server; OpenSSH refuses); posix-rename@openssh.com replaces it.
  void Rename(sftp_client_message msg, bool overwrite) {
    std::uint32_t status = SSH_FX_OK;
    const auto from = Writable(view_.Resolve(PathOf(msg)), /*allow_root=*/false, status);
    if (!from) return ReplyDenied(msg, status);
    const auto to = Writable(view_.Resolve(SecondPathOf(msg)), /*allow_root=*/false, status);
    if (!to) return ReplyDenied(msg, status);
    struct stat st;
    if (::lstat(from->local.c_str(), &st) != 0) return ReplyErrno(msg, errno);
    if (!overwrite && ::lstat(to->local.c_str(), &st) == 0) {
      return Reply(msg, SSH_FX_FAILURE, "File exists");
    }
    if (::rename(from->local.c_str(), to->local.c_str()) != 0) return ReplyErrno(msg, errno);
    ReplyOk(msg);
  }

  // Sizes and times are applied; permissions and owners mean nothing to S3 and are ignored.
  void SetStat(sftp_client_message msg) {
    const HomeView::Target target = view_.Resolve(PathOf(msg));
    if (target.kind == HomeView::Target::Kind::kDenied) {
      return ReplyDenied(msg, SSH_FX_PERMISSION_DENIED);
    }
    if (target.kind == HomeView::Target::Kind::kMissing) {
      return ReplyDenied(msg, SSH_FX_NO_SUCH_FILE);
    }
    if (target.kind == HomeView::Target::Kind::kSynthetic) return ReplyOk(msg);
    const std::string local = LocalPath(target.domain_path);
    struct stat st;
    if (::lstat(local.c_str(), &st) != 0) return ReplyErrno(msg, errno);
    const sftp_attributes attrs = msg->attr;
    if (attrs != nullptr && S_ISREG(st.st_mode)) {
      if ((attrs->flags & SSH_FILEXFER_ATTR_SIZE) &&
          ::truncate(local.c_str(), off_t(attrs->size)) != 0) {
        return ReplyErrno(msg, errno);
      }
      if (attrs->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
        const timespec times[2] = {{time_t(attrs->atime), 0}, {time_t(attrs->mtime), 0}};
        ::utimensat(AT_FDCWD, local.c_str(), times, AT_SYMLINK_NOFOLLOW);
      }
    }
    ReplyOk(msg);
  }

  void FSetStat(sftp_client_message msg) {
    Handle* handle = Find(msg);
    if (handle == nullptr) return Reply(msg, SSH_FX_FAILURE, "Invalid handle");
    const sftp_attributes attrs = msg->attr;
    if (handle->fd.get() >= 0 && attrs != nullptr) {
      if ((attrs->flags & SSH_FILEXFER_ATTR_SIZE) && handle->writing &&
          ::ftruncate(handle->fd.get(), off_t(attrs->size)) != 0) {
        return ReplyErrno(msg, errno);
      }
      if (attrs->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
        const timespec times[2] = {{time_t(attrs->atime), 0}, {time_t(attrs->mtime), 0}};
        ::futimens(handle->fd.get(), times);
      }
    }
    ReplyOk(msg);
  }

  sftp_session sftp_;
  const SftpOptions& options_;
  const SftpHooks& hooks_;
  const std::string session_id_;
  const SftpUser user_;
  const HomeView view_;
  bool alive_ = true;  // false once an answer could not be sent
  std::map<std::string, Handle> handles_;
  std::uint64_t handle_counter_ = 0;
  std::vector<char> buffer_;  // READ's
};

// ---------------------------------------------------------------------------------------------
// The server.

class Server final : public SftpServer {
 public:
  Server(SftpOptions options, SftpHooks hooks, ssh_bind bind, Fd listen_fd, Fd wake_read,
         Fd wake_write, std::uint16_t port)
      : options_(std::move(options)),
        hooks_(std::move(hooks)),
        bind_(bind),
        listen_fd_(std::move(listen_fd)),
        wake_read_(std::move(wake_read)),
        wake_write_(std::move(wake_write)),
        port_(port) {}

  ~Server() override {
    Stop();
    ssh_bind_free(bind_);
  }

  void Start() {
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  std::uint16_t port() const override { return port_; }

  void Stop() override {
    const std::lock_guard stop_lock(stop_mu_);
    {
      const std::lock_guard lock(mu_);
      stopping_ = true;
    }
    const char byte = 0;
    while (::write(wake_write_.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    // The accept thread is gone, so no session is added from here on.
    std::vector<std::thread> threads;
    {
      const std::lock_guard lock(mu_);
      for (auto& [id, slot] : sessions_) {
        if (slot.fd >= 0) ::shutdown(slot.fd, SHUT_RDWR);
        threads.push_back(std::move(slot.thread));
      }
    }
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
    const std::lock_guard lock(mu_);
    sessions_.clear();
  }

 private:
  struct Slot {
    int fd = -1;  // the server's copy of the connection; -1 once the session closed it
    bool done = false;
    std::thread thread;
  };

  void AcceptLoop() {
    SystemRandom random;
    while (true) {
      pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
      const int n = ::poll(fds, 2, kReapIntervalMs);
      ReapEnded();
      if (fds[1].revents != 0) return;
      if (n <= 0 || (fds[0].revents & POLLIN) == 0) continue;
      Fd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (fd.get() < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          pollfd wake{wake_read_.get(), POLLIN, 0};
          ::poll(&wake, 1, kAcceptRetryDelayMs);
        }
        continue;
      }
      Fd lib_fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
      if (lib_fd.get() < 0) continue;
      SessionPtr session(ssh_new());
      if (session == nullptr) continue;
      if (ssh_bind_accept_fd(bind_, session.get(), lib_fd.get()) != SSH_OK) {
        // Once the session holds the descriptor, ssh_free closes it.
        if (ssh_get_fd(session.get()) == lib_fd.get()) lib_fd.release();
        continue;
      }
      lib_fd.release();  // the session's now
      char id[17];
      std::snprintf(id, sizeof id, "%016" PRIx64, random.Next());
      const std::lock_guard lock(mu_);
      if (stopping_) return;
      if (sessions_.count(id) != 0) continue;  // 2^-64; refuse rather than confuse ids
      Slot& slot = sessions_[id];
      try {
        slot.thread = std::thread(
            [this, sid = std::string(id), s = session.get()] { RunSession(sid, SessionPtr(s)); });
      } catch (const std::system_error&) {  // no thread to be had: refuse the connection
        sessions_.erase(id);
        continue;
      }
      session.release();  // the thread's now
      slot.fd = fd.release();
    }
  }

  // Joins the threads of sessions that ended (accept thread).
  void ReapEnded() {
    std::vector<std::thread> ended;
    {
      const std::lock_guard lock(mu_);
      for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (!it->second.done) {
          ++it;
          continue;
        }
        ended.push_back(std::move(it->second.thread));
        it = sessions_.erase(it);
      }
    }
    for (std::thread& t : ended) t.join();
  }

  void RunSession(const std::string& id, SessionPtr session) {
    Converse(id, session.get());
    ssh_disconnect(session.get());
    session.reset();
    const std::lock_guard lock(mu_);
    Slot& slot = sessions_.at(id);
    ::close(slot.fd);
    slot.fd = -1;
    slot.done = true;
  }

  // Handshake, login, SFTP: returns when the session is over.
  void Converse(const std::string& id, ssh_session session) {
    long grace = kLoginGraceSeconds;
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &grace);
    if (ssh_handle_key_exchange(session) != SSH_OK) return;
    std::optional<Login> login = Authenticate(session);
    if (!login) return;
    CreateRoots(login->view);
    const ssh_channel channel = OpenSftpChannel(session);  // freed with the session
    if (channel == nullptr) return;
    // From here on the session only reads its channel. Requests nobody waits for (a second
    // channel, keep-alives) get libssh's default answer instead of queueing up unanswered.
    ssh_set_message_callback(
        session, [](ssh_session, ssh_message, void*) { return 1; }, nullptr);
    long no_timeout = 0;  // SFTP reads wait for the client as long as it stays connected
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &no_timeout);
    const sftp_session sftp = sftp_server_new(session, channel);
    if (sftp == nullptr) return;
    if (sftp_server_init(sftp) == 0) {
      SftpConversation conversation(sftp, options_, hooks_, id, std::move(*login));
      conversation.Run();
      conversation.Finish();
    }
    sftp_server_free(sftp);
  }

  std::optional<SftpUser> FindUser(const std::string& name) const {
    if (!hooks_.find_user) return std::nullopt;
    try {
      return hooks_.find_user(name);
    } catch (...) {
      return std::nullopt;  // a failing lookup refuses the login
    }
  }

  // Public key authentication: a probe (no signature) for a known key gets PK_OK, a signed
  // request that libssh verified gets success. Everything else fails, listing publickey as the
  // only method. nullopt when the client gives up, the grace time ends or it tries too often.
  std::optional<Login> Authenticate(ssh_session session) const {
    ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);
    for (int requests = 0;;) {
      const MessagePtr msg(ssh_message_get(session));
      if (msg == nullptr) return std::nullopt;
      if (ssh_message_type(msg.get()) != SSH_REQUEST_AUTH) {
        ssh_message_reply_default(msg.get());
        continue;
      }
      if (++requests > kMaxAuthRequests) return std::nullopt;
      const char* name = ssh_message_auth_user(msg.get());
      const ssh_key key = ssh_message_auth_pubkey(msg.get());
      if (ssh_message_subtype(msg.get()) == SSH_AUTH_METHOD_PUBLICKEY && name != nullptr &&
          key != nullptr) {
        const ssh_publickey_state_e state = ssh_message_auth_publickey_state(msg.get());
        std::optional<SftpUser> user = FindUser(name);
        if (user && KeyAllowed(*user, key)) {
          auto view = HomeView::Create(*user);
          if (view && state == SSH_PUBLICKEY_STATE_NONE) {
            ssh_message_auth_reply_pk_ok_simple(msg.get());
            continue;
          }
          if (view && state == SSH_PUBLICKEY_STATE_VALID) {
            if (user->user_name.empty()) user->user_name = name;
            if (ssh_message_auth_reply_success(msg.get(), 0) != SSH_OK) return std::nullopt;
            return Login{std::move(*user), std::move(*view)};
          }
        }
      }
      ssh_message_auth_set_methods(msg.get(), SSH_AUTH_METHOD_PUBLICKEY);
      ssh_message_reply_default(msg.get());
    }
  }

  // Accepts one session channel and its "sftp" subsystem request; refuses anything else (shells,
  // commands, forwarding). nullptr when the client leaves or the grace time ends first.
  static ssh_channel OpenSftpChannel(ssh_session session) {
    ssh_channel channel = nullptr;
    while (true) {
      const MessagePtr msg(ssh_message_get(session));
      if (msg == nullptr) return nullptr;
      const int type = ssh_message_type(msg.get());
      const int subtype = ssh_message_subtype(msg.get());
      if (type == SSH_REQUEST_CHANNEL_OPEN && subtype == SSH_CHANNEL_SESSION &&
          channel == nullptr) {
        channel = ssh_message_channel_request_open_reply_accept(msg.get());
        if (channel == nullptr) return nullptr;
        continue;
      }
      if (type == SSH_REQUEST_CHANNEL && subtype == SSH_CHANNEL_REQUEST_SUBSYSTEM &&
          channel != nullptr && ssh_message_channel_request_channel(msg.get()) == channel) {
        const char* subsystem = ssh_message_channel_request_subsystem(msg.get());
        if (subsystem != nullptr && std::strcmp(subsystem, "sftp") == 0) {
          if (ssh_message_channel_request_reply_success(msg.get()) != SSH_OK) return nullptr;
          return channel;
        }
      }
      ssh_message_reply_default(msg.get());
    }
  }

  // Makes the folders the user's view is rooted at, so that the start directory lists.
  void CreateRoots(const HomeView& view) const {
    for (const std::string& root : view.RootDirectories()) {
      std::error_code ec;
      fs::create_directories(options_.files_root +
                                 (options_.domain == Domain::kS3 ? "/s3" : "/efs") +
                                 (root == "/" ? "" : root),
                             ec);
    }
  }

  const SftpOptions options_;
  const SftpHooks hooks_;
  const ssh_bind bind_;  // read only after Start, by the accept thread
  const Fd listen_fd_;
  const Fd wake_read_;
  const Fd wake_write_;
  const std::uint16_t port_;
  std::thread accept_thread_;

  std::mutex stop_mu_;  // serializes Stop
  std::mutex mu_;
  bool stopping_ = false;                 // guarded by mu_
  std::map<std::string, Slot> sessions_;  // guarded by mu_; by session id
};

}  // namespace

Result<std::unique_ptr<SftpServer>> StartSftpServer(SftpOptions options, SftpHooks hooks) {
  auto key = LoadHostKey(options.host_key_path);
  if (!key) return tl::unexpected(key.error());
  auto listening = Listen(options.host, options.port);
  if (!listening) return tl::unexpected(listening.error());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Fail(ErrorCode::kUnavailable, "cannot create a pipe: " + ErrnoText(errno));
  }
  Fd wake_read(pipe_fds[0]);
  Fd wake_write(pipe_fds[1]);

  ssh_bind bind = ssh_bind_new();
  if (bind == nullptr) return Fail(ErrorCode::kUnavailable, "cannot create an ssh_bind");
  // The server's behaviour is this file's, not the machine's /etc/libssh configuration.
  bool process_config = false;
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &process_config);
  if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key->get()) != SSH_OK) {
    const std::string error = ssh_get_error(bind);
    ssh_bind_free(bind);
    return Fail(ErrorCode::kUnavailable, "cannot use the host key: " + error);
  }
  key->release();  // the bind's now

  const std::uint16_t port = listening->second;
  auto server = std::make_unique<Server>(std::move(options), std::move(hooks), bind,
                                         std::move(listening->first), std::move(wake_read),
                                         std::move(wake_write), port);
  server->Start();
  return std::unique_ptr<SftpServer>(std::move(server));
}

}  // namespace stepway::transfer

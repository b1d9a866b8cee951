// The SFTP endpoint of one started Transfer server (libssh in server mode).
//
// Users log in with a public key (ssh-rsa, ecdsa, ed25519) that the server's hooks know for
// them, and see the server's domain (S3 or EFS) through their home directory:
// - HomeDirectoryType PATH: absolute paths are domain paths ("/BUCKET/KEY..."), the session
//   starts in HomeDirectory, and nothing outside HomeDirectory is reachable (as if chrooted;
//   without a HomeDirectory the whole domain is).
// - HomeDirectoryType LOGICAL: the user sees only the HomeDirectoryMappings' entries; the
//   longest Entry that is a prefix of a path maps it onto its Target ("/" -> "/bucket/home/u"
//   makes "/x" the object "home/u/x" of "bucket"); directories above entries are listed as
//   the entries' first components.
// Files are stored under FILES_ROOT (FileLocation::LocalPath). A file opened for writing and
// closed after at least one byte is an upload (Hooks::Uploaded with partial=false); a file
// still open for writing when its session ends (disconnect, kill of the client) is a partial
// upload (partial=true); zero-byte files report nothing.
//
// One accept thread per server and one thread per session. Thread-safe. The hooks are called on
// session threads, several at once when several users are connected.
//
// Protocol: SFTP version 3 (draft-ietf-secsh-filexfer-02) as OpenSSH's sftp speaks it, with
// posix-rename@openssh.com; no links. Paths outside the home answer "permission denied".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "transfer/file_location.h"

namespace stepway::transfer {

struct HomeDirectoryMapping {
  std::string entry;   // "/" or "/pictures"
  std::string target;  // "/bucket/prefix" (S3) or "/fs-id/path" (EFS)
  std::string type = "FILE";  // FILE or DIRECTORY
};

// A user as the SFTP endpoint needs them at login (read fresh at every login).
struct SftpUser {
  std::string user_name;
  std::string home_directory;  // "" or "/bucket/prefix"
  std::string home_directory_type = "PATH";  // PATH or LOGICAL
  std::vector<HomeDirectoryMapping> mappings;
  std::vector<std::string> public_keys;  // OpenSSH lines: "ssh-ed25519 AAAA... comment"
};

struct Upload {
  std::string user_name;
  std::string session_id;  // a unique id of the SFTP session (hex)
  FileLocation location;
  std::uint64_t size = 0;
  bool partial = false;
};

struct SftpHooks {
  // The user named `user_name`, or nullopt when the server has none (login refused).
  std::function<std::optional<SftpUser>(const std::string& user_name)> find_user;
  // An upload ended. Called on the session's thread; must not block for long.
  std::function<void(const Upload& upload)> uploaded;
};

struct SftpOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port is chosen
  std::string host_key_path;  // an OpenSSH private key file; created (ed25519) when missing
  std::string files_root;     // DATA/files
  Domain domain = Domain::kS3;
};

class SftpServer {
 public:
  virtual ~SftpServer() = default;
  virtual std::uint16_t port() const = 0;
  // Stops accepting, ends every session (their open uploads count as partial, reported before
  // Stop returns), joins threads. Idempotent. Not to be called from a hook.
  virtual void Stop() = 0;
};

// Listens on options.host:options.port. kUnavailable when the port cannot be bound or the host
// key cannot be loaded or created.
Result<std::unique_ptr<SftpServer>> StartSftpServer(SftpOptions options, SftpHooks hooks);

}  // namespace stepway::transfer

// What one SFTP user sees of the server's domain: the map from the paths of their session
// (virtual paths) to domain paths ("/BUCKET/KEY" or "/FS-ID/PATH"), per their home directory.
//
// - PATH homes: a virtual path is a domain path; only HomeDirectory and what lies below it are
//   reachable (every path without a HomeDirectory). The session starts in HomeDirectory.
// - LOGICAL homes: the longest mapping Entry that is a prefix of the path (by whole components)
//   maps it onto its Target; paths above entries are synthesized directories whose children are
//   the entries' next components; any other path does not exist. The session starts in "/".
//
// Paths are normalized lexically (".", "..", repeated and trailing '/'), ".." stopping at "/",
// so no spelling of a path leaves what the home allows. Pure: no I/O. Immutable after Create,
// so thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "transfer/file_location.h"
#include "transfer/sftp_server.h"

namespace stepway::transfer {

// `path` made absolute against `base` (itself absolute and normalized) and normalized:
// "/a/b", or "/" for the root. Never ends with '/' except for the root. `path` ends at its
// first NUL, as it would for the file system.
std::string NormalizeSftpPath(std::string_view base, std::string_view path);

class HomeView {
 public:
  // What a virtual path is.
  struct Target {
    enum class Kind {
      kDomain,     // a place in the domain: domain_path
      kSynthetic,  // a directory made up above LOGICAL entries: children
      kDenied,     // outside a PATH home
      kMissing,    // in no LOGICAL entry and above none
    };
    Kind kind = Kind::kMissing;
    std::string domain_path;  // kDomain: "/", "/bucket" or "/bucket/key..."
    // kDomain: the path is a home or an entry itself, which the user may not remove or rename.
    bool is_root = false;
    // kDomain and kSynthetic: directories of LOGICAL entries just below this path, to show in
    // a listing next to (kDomain) or instead of (kSynthetic) what is stored.
    std::vector<std::string> children;
  };

  // The view of `user`'s home. kInvalidArgument when the home type is neither PATH nor LOGICAL,
  // a LOGICAL home has no mappings, or a HomeDirectory/Entry/Target is not an absolute path.
  static Result<HomeView> Create(const SftpUser& user);

  // The normalized virtual path where the session starts (the answer to REALPATH ".").
  const std::string& start_directory() const { return start_directory_; }

  // `path` (absolute, or relative to start_directory()) normalized.
  std::string Normalize(std::string_view path) const {
    return NormalizeSftpPath(start_directory_, path);
  }

  // What the virtual path `path` (absolute or relative) is.
  Target Resolve(std::string_view path) const;

  // The domain paths this view is rooted at (the PATH home or every Target), to create at
  // login so that the start directory exists; "/" for a PATH home without HomeDirectory.
  std::vector<std::string> RootDirectories() const;

 private:
  struct Mapping {
    std::string entry;   // normalized virtual path
    std::string target;  // normalized domain path
    bool directory = false;
  };

  bool logical_ = false;
  std::string home_;               // PATH: normalized HomeDirectory ("/" without one)
  std::vector<Mapping> mappings_;  // LOGICAL, longest entry first
  std::string start_directory_ = "/";
};

// True when `path` is `prefix` or lies below it (both normalized).
bool IsSameOrBelow(std::string_view path, std::string_view prefix);

}  // namespace stepway::transfer

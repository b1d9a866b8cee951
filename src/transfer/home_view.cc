#include "transfer/home_view.h"

#include <algorithm>

namespace stepway::transfer {
namespace {

// The components of `path` appended to `parts`, "." dropped and ".." popping (never past the
// root).
void AppendComponents(std::string_view path, std::vector<std::string_view>& parts) {
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
}

bool IsAbsolute(std::string_view path) { return !path.empty() && path.front() == '/'; }

// The first component of `path` below `prefix`: "b" for ("/a/b/c", "/a"); `path` lies strictly
// below `prefix`.
std::string NextComponent(std::string_view path, std::string_view prefix) {
  std::string_view rest = path.substr(prefix == "/" ? 1 : prefix.size() + 1);
  return std::string(rest.substr(0, rest.find('/')));
}

// `domain_root` with the part of `path` below `prefix` appended (path is same or below prefix).
std::string Rebase(std::string_view path, std::string_view prefix, std::string_view domain_root) {
  std::string_view rest = prefix == "/" ? path : path.substr(prefix.size());  // "" or "/..."
  if (rest == "/") rest = {};
  if (domain_root == "/") return rest.empty() ? "/" : std::string(rest);
  return std::string(domain_root) + std::string(rest);
}

std::string Parent(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == 0 || slash == std::string_view::npos) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace

std::string NormalizeSftpPath(std::string_view base, std::string_view path) {
  // The file system reads a path up to its first NUL, so that is where the path ends here too;
  // otherwise "..\0x" would pass for a name and reach the kernel as "..".
  path = path.substr(0, path.find('\0'));
  std::vector<std::string_view> parts;
  if (!IsAbsolute(path)) AppendComponents(base, parts);
  AppendComponents(path, parts);
  if (parts.empty()) return "/";
  std::string out;
  for (const std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out;
}

bool IsSameOrBelow(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return true;
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

Result<HomeView> HomeView::Create(const SftpUser& user) {
  HomeView view;
  if (user.home_directory_type == "PATH") {
    if (!user.home_directory.empty() && !IsAbsolute(user.home_directory)) {
      return Fail(ErrorCode::kInvalidArgument, "HomeDirectory must be an absolute path");
    }
    view.home_ = NormalizeSftpPath("/", user.home_directory);
    view.start_directory_ = view.home_;
    return view;
  }
  if (user.home_directory_type != "LOGICAL") {
    return Fail(ErrorCode::kInvalidArgument,
                "HomeDirectoryType must be PATH or LOGICAL, not " + user.home_directory_type);
  }
  if (user.mappings.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a LOGICAL home needs HomeDirectoryMappings");
  }
  view.logical_ = true;
  for (const HomeDirectoryMapping& m : user.mappings) {
    if (!IsAbsolute(m.entry) || !IsAbsolute(m.target)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "a mapping's Entry and Target must be absolute paths");
    }
    view.mappings_.push_back(Mapping{NormalizeSftpPath("/", m.entry),
                                     NormalizeSftpPath("/", m.target), m.type == "DIRECTORY"});
  }
  // Longest entry first, so that the first prefix found is the longest; ties keep their order.
  std::stable_sort(
      view.mappings_.begin(), view.mappings_.end(),
      [](const Mapping& a, const Mapping& b) { return a.entry.size() > b.entry.size(); });
  return view;
}

HomeView::Target HomeView::Resolve(std::string_view raw) const {
  const std::string path = Normalize(raw);
  Target target;
  if (!logical_) {
    if (!IsSameOrBelow(path, home_)) {
      target.kind = Target::Kind::kDenied;
      return target;
    }
    target.kind = Target::Kind::kDomain;
    target.domain_path = path;
    target.is_root = path == home_;
    return target;
  }
  for (const Mapping& m : mappings_) {
    if (IsSameOrBelow(m.entry, path) && m.entry != path) {
      const std::string child = NextComponent(m.entry, path);
      if (std::find(target.children.begin(), target.children.end(), child) ==
          target.children.end()) {
        target.children.push_back(child);
      }
    }
  }
  std::sort(target.children.begin(), target.children.end());
  for (const Mapping& m : mappings_) {
    if (!IsSameOrBelow(path, m.entry)) continue;
    target.kind = Target::Kind::kDomain;
    target.domain_path = Rebase(path, m.entry, m.target);
    target.is_root = path == m.entry;
    return target;
  }
  target.kind = target.children.empty() ? Target::Kind::kMissing : Target::Kind::kSynthetic;
  return target;
}

std::vector<std::string> HomeView::RootDirectories() const {
  if (!logical_) return {home_};
  std::vector<std::string> out;
  for (const Mapping& m : mappings_) {
    // A FILE mapping (AWS's default Type) may name a file, so only its folder is made, unless
    // it maps the whole view ("/"), which is a directory whatever its Type.
    std::string dir = m.directory || m.entry == "/" ? m.target : Parent(m.target);
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(std::move(dir));
  }
  return out;
}

}  // namespace stepway::transfer

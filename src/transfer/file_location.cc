#include "transfer/file_location.h"

namespace stepway::transfer {

std::string_view DomainName(Domain domain) { return domain == Domain::kS3 ? "S3" : "EFS"; }

std::optional<Domain> ParseDomain(std::string_view name) {
  if (name == "S3") return Domain::kS3;
  if (name == "EFS") return Domain::kEfs;
  return std::nullopt;
}

std::string FileLocation::LocalPath(const std::string& files_root) const {
  return files_root + (domain == Domain::kS3 ? "/s3/" : "/efs/") + root + "/" + path;
}

std::string FileLocation::DomainPath() const { return "/" + root + "/" + path; }

json::Value FileLocation::ToJson() const {
  json::Object o;
  o["domain"] = DomainName(domain);
  if (domain == Domain::kS3) {
    o["bucket"] = root;
    o["key"] = path;
  } else {
    o["fileSystemId"] = root;
    o["path"] = "/" + path;
  }
  return o;
}

std::optional<FileLocation> FileLocation::FromJson(const json::Value& value) {
  const json::Object* o = value.if_object();
  if (o == nullptr) return std::nullopt;
  auto str = [o](std::string_view key) -> const json::String* {
    const json::Value* v = o->if_contains(key);
    return v != nullptr ? v->if_string() : nullptr;
  };
  const json::String* domain = str("domain");
  if (domain == nullptr) return std::nullopt;
  auto parsed = ParseDomain(*domain);
  if (!parsed) return std::nullopt;
  FileLocation location;
  location.domain = *parsed;
  const json::String* root = str(*parsed == Domain::kS3 ? "bucket" : "fileSystemId");
  const json::String* path = str(*parsed == Domain::kS3 ? "key" : "path");
  if (root == nullptr || path == nullptr || root->empty()) return std::nullopt;
  location.root = std::string(*root);
  std::string_view p = *path;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  location.path = std::string(p);
  return location;
}

std::optional<FileLocation> FileLocation::FromDomainPath(Domain domain, std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const auto slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    return std::nullopt;
  }
  FileLocation location;
  location.domain = domain;
  location.root = std::string(path.substr(0, slash));
  location.path = std::string(path.substr(slash + 1));
  return location;
}

}  // namespace stepway::transfer

// Where a Transfer file lives: an S3 object (bucket, key) or an EFS file (file system, path),
// and where Stepway keeps it in the data folder: FILES/s3/BUCKET/KEY or FILES/efs/FS-ID/PATH.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json/json.h"

namespace stepway::transfer {

enum class Domain { kS3, kEfs };

std::string_view DomainName(Domain domain);  // "S3" / "EFS"
std::optional<Domain> ParseDomain(std::string_view name);

struct FileLocation {
  Domain domain = Domain::kS3;
  std::string root;  // the bucket (S3) or the file system id (EFS)
  std::string path;  // the object key (S3) or the path below the file system root, no leading '/'

  // FILES_ROOT/s3/BUCKET/KEY or FILES_ROOT/efs/FS-ID/PATH.
  std::string LocalPath(const std::string& files_root) const;
  // "/BUCKET/KEY" or "/FS-ID/PATH": the path as a Transfer user of a PATH home sees it.
  std::string DomainPath() const;
  // AWS's fileLocation: {"domain":"S3","bucket":..,"key":..} or
  // {"domain":"EFS","fileSystemId":..,"path":"/.."}.
  json::Value ToJson() const;
  // The inverse of ToJson; nullopt when `value` is not such an object.
  static std::optional<FileLocation> FromJson(const json::Value& value);
  // "/BUCKET/KEY" (or "/FS-ID/PATH") in `domain`; nullopt without a root and a path.
  static std::optional<FileLocation> FromDomainPath(Domain domain, std::string_view path);

  bool operator==(const FileLocation&) const = default;
};

}  // namespace stepway::transfer

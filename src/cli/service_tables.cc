#include "cli/service_tables.h"

#include <algorithm>
#include <tuple>

namespace stepway::cli {
namespace {

namespace sfn {
#include "cli/cli_tables_sfn.inc"
}  // namespace sfn
namespace transfer {
#include "cli/cli_tables_transfer.inc"
}  // namespace transfer

constexpr ServiceInfo kSfn{api::Service::kStepFunctions, sfn::kCliName, sfn::kSigningName,
                           sfn::kServiceDoc};
constexpr ServiceInfo kTransfer{api::Service::kTransfer, transfer::kCliName,
                                transfer::kSigningName, transfer::kServiceDoc};

std::span<const MemberDoc> MemberDocs(api::Service service) {
  if (service == api::Service::kStepFunctions) return sfn::kMemberDocs;
  return transfer::kMemberDocs;
}

std::span<const Paginator> Paginators(api::Service service) {
  if (service == api::Service::kStepFunctions) return sfn::kPaginators;
  return transfer::kPaginators;
}

}  // namespace

const ServiceInfo* FindService(std::string_view cli_name) {
  if (cli_name == kSfn.cli_name) return &kSfn;
  if (cli_name == kTransfer.cli_name) return &kTransfer;
  return nullptr;
}

const ServiceInfo& InfoOf(api::Service service) {
  return service == api::Service::kStepFunctions ? kSfn : kTransfer;
}

std::span<const OperationDoc> OperationDocs(api::Service service) {
  if (service == api::Service::kStepFunctions) return sfn::kOperationDocs;
  return transfer::kOperationDocs;
}

const api::Operation* FindOperationByCliName(api::Service service, std::string_view cli_name) {
  for (const OperationDoc& d : OperationDocs(service)) {
    if (d.cli_name == cli_name) return api::FindOperation(service, d.name);
  }
  return nullptr;
}

const OperationDoc& DocOf(api::Service service, const api::Operation& operation) {
  const auto docs = OperationDocs(service);
  const auto ops = api::Operations(service);
  // Both tables are sorted by name from one model.
  return docs[static_cast<std::size_t>(&operation - ops.data())];
}

const MemberDoc* FindMemberDoc(api::Service service, std::string_view shape,
                               std::string_view member) {
  const auto docs = MemberDocs(service);
  const auto it = std::lower_bound(docs.begin(), docs.end(), std::tie(shape, member),
                                   [](const MemberDoc& d, const auto& key) {
                                     return std::tie(d.shape, d.member) < key;
                                   });
  if (it == docs.end() || it->shape != shape || it->member != member) return nullptr;
  return &*it;
}

std::string CliNameOf(api::Service service, std::string_view shape, std::string_view member) {
  if (const MemberDoc* d = FindMemberDoc(service, shape, member)) return std::string(d->cli_name);
  return std::string(member);
}

const Paginator* FindPaginator(api::Service service, std::string_view operation) {
  for (const Paginator& p : Paginators(service)) {
    if (p.operation == operation) return &p;
  }
  return nullptr;
}

std::string_view FirstSentence(std::string_view doc) {
  for (std::size_t i = 0; i + 1 < doc.size(); ++i) {
    if (doc[i] == '.' && doc[i + 1] == ' ') return doc.substr(0, i + 1);
  }
  return doc;
}

}  // namespace stepway::cli

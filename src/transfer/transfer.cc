#include "transfer/transfer.h"

#include <libssh/libssh.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>

#include "api/sfn/common.h"
#include "base/random.h"
#include "transfer/callback_token.h"
#include "transfer/file_location.h"
#include "transfer/json_fields.h"
#include "transfer/sftp_server.h"
#include "transfer/steps.h"
#include "transfer/workflow.h"

namespace stepway::transfer {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kServerKind = "transfer-server";
constexpr std::string_view kUserKind = "transfer-user";
constexpr std::string_view kWorkflowKind = "transfer-workflow";
constexpr std::string_view kMachinePrefix = "~transfer~";
constexpr std::size_t kMaxSshKeys = 50;

using api::Respond;
using api::Response;

Response Ok(const json::Object& body = {}) {
  Response r;
  r.content_type = "application/x-amz-json-1.1";
  r.body = json::Serialize(body);
  return r;
}

Response Error(std::string type, std::string message, int status = 400) {
  return api::ErrorResponse(api::ApiError{std::move(type), std::move(message), status},
                            api::JsonVersion::k1_1);
}

Response InvalidRequest(std::string message) {
  return Error("InvalidRequestException", std::move(message));
}

// ResourceNotFoundException / ResourceExistsException with their Resource and ResourceType.
Response ResourceError(std::string_view type, std::string message, std::string_view resource,
                       std::string_view resource_type) {
  json::Object extra;
  extra["Resource"] = resource;
  extra["ResourceType"] = resource_type;
  return api::ErrorResponse(api::ApiError{std::string(type), std::move(message), 400},
                            api::JsonVersion::k1_1, json::Serialize(extra));
}

Response NotFound(std::string_view resource, std::string_view resource_type) {
  std::string lower(resource_type);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ResourceError("ResourceNotFoundException", "Unknown " + lower, resource, resource_type);
}





std::string RandomId(std::string_view prefix, std::string_view alphabet, std::size_t length) {
  SystemRandom random;
  std::string id(prefix);
  for (std::size_t i = 0; i < length; ++i) id += alphabet[random.Next() % alphabet.size()];
  return id;
}

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// Offset paging over a small listing: MaxResults and NextToken.
struct Page {
  std::size_t begin = 0, end = 0;
  std::string next_token;
};
std::optional<Page> PageOf(const json::Object& request, std::size_t total,
                           std::int64_t default_max = 1000) {
  Page page;
  std::int64_t max = default_max;
  if (const json::Value* m = request.if_contains("MaxResults"); m && m->is_int64()) {
    max = m->get_int64();
  }
  if (const std::string token = Str(request, "NextToken"); !token.empty()) {
    auto position = api::sfn::DecodePageToken(token);
    if (!position || position->empty() ||
        position->find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    page.begin = std::min<std::size_t>(std::strtoull(position->c_str(), nullptr, 10), total);
  }
  page.end = std::min(total, page.begin + std::size_t(max));
  if (page.end < total) page.next_token = api::sfn::EncodePageToken(std::to_string(page.end));
  return page;
}

Response InvalidNextToken() {
  return Error("InvalidNextTokenException", "The NextToken is not valid");
}

// "ssh-ed25519 AAAA... comment" -> the key, for comparing and for logins.
ssh_key ImportPublicKey(const std::string& line) {
  std::size_t start = line.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return nullptr;
  std::size_t type_end = line.find_first_of(" \t", start);
  if (type_end == std::string::npos) return nullptr;
  std::size_t body_start = line.find_first_not_of(" \t", type_end);
  if (body_start == std::string::npos) return nullptr;
  std::size_t body_end = line.find_first_of(" \t\r\n", body_start);
  const std::string type = line.substr(start, type_end - start);
  const std::string body = line.substr(body_start, body_end == std::string::npos
                                                       ? std::string::npos
                                                       : body_end - body_start);
  ssh_key key = nullptr;
  const ssh_keytypes_e kind = ssh_key_type_from_name(type.c_str());
  if (kind == SSH_KEYTYPE_UNKNOWN) return nullptr;
  if (ssh_pki_import_pubkey_base64(body.c_str(), kind, &key) != SSH_OK) return nullptr;
  return key;
}

bool SameKey(const std::string& a, const std::string& b) {
  ssh_key ka = ImportPublicKey(a);
  ssh_key kb = ImportPublicKey(b);
  const bool same = ka != nullptr && kb != nullptr && ssh_key_cmp(ka, kb, SSH_KEY_CMP_PUBLIC) == 0;
  ssh_key_free(ka);
  ssh_key_free(kb);
  return same;
}

// "SHA256:..." of the server's host key, as DescribeServer shows it.
std::string HostKeyFingerprint(const std::string& private_key_path) {
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(private_key_path.c_str(), nullptr, nullptr, nullptr, &key) !=
      SSH_OK) {
    return "";
  }
  ssh_key pub = nullptr;
  std::string out;
  if (ssh_pki_export_privkey_to_pubkey(key, &pub) == SSH_OK) {
    unsigned char* hash = nullptr;
    size_t length = 0;
    if (ssh_get_publickey_hash(pub, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
      char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
      if (text != nullptr) {
        out = text;
        ssh_string_free_char(text);
      }
      ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(pub);
  }
  ssh_key_free(key);
  return out;
}

json::Value FileLocationShape(const FileLocation& l) {
  json::Object o;
  if (l.domain == Domain::kS3) {
    json::Object s3;
    s3["Bucket"] = l.root;
    s3["Key"] = l.path;
    o["S3FileLocation"] = std::move(s3);
  } else {
    json::Object efs;
    efs["FileSystemId"] = l.root;
    efs["Path"] = "/" + l.path;
    o["EfsFileLocation"] = std::move(efs);
  }
  return o;
}

json::Array TagList(const store::Tags& tags) {
  json::Array out;
  for (const auto& [key, value] : tags) {
    json::Object t;
    t["Key"] = key;
    t["Value"] = value;
    out.push_back(std::move(t));
  }
  return out;
}

store::Tags TagsOf(const json::Object& request) {
  store::Tags tags;
  if (const json::Array* list = Arr(request, "Tags")) {
    for (const json::Value& t : *list) {
      if (t.is_object()) tags[Str(t.get_object(), "Key")] = Str(t.get_object(), "Value");
    }
  }
  return tags;
}

}  // namespace

class Transfer::Impl {
 public:
  Impl(store::Store& store, runtime::Runtime& runtime, const runtime::TaskTokenCodec& tokens,
       TransferOptions options)
      : store_(store), runtime_(runtime), tokens_(tokens), options_(std::move(options)) {
    files_root_ = options_.data_dir + "/files";
  }

  ~Impl() { Stop(); }

  std::unique_ptr<runtime::Integration> NewStepIntegration(runtime::IntegrationResolver lambda) {
    StepsOptions steps;
    steps.files_root = files_root_;
    steps.pgp_keys_dir = options_.data_dir + "/pgp";
    steps.store = &store_;
    steps.tokens = &tokens_;
    steps.lambda = std::move(lambda);
    steps.log = [this](const std::string& server_id, json::Object event) {
      WriteLog(server_id, event);
    };
    return transfer::NewStepIntegration(std::move(steps));
  }

  Status Start() {
    for (const store::Document& d : store_.ListDocuments(kServerKind)) {
      auto server = ParseObject(d.body);
      if (!server || Str(*server, "State") != "ONLINE") continue;
      if (auto s = StartEndpoint(*server); !s) {
        std::fprintf(stderr, "stepway: SFTP server %s did not start: %s\n", d.id.c_str(),
                     s.error().message.c_str());
      }
    }
    // Follow the workflows' executions still running, for their ExecutionCompleted/Errored log
    // events (by workflow, through the store's index: not every running execution is read).
    for (const store::Document& w : store_.ListDocuments(kWorkflowKind)) {
      store::ExecutionFilter filter;
      filter.state_machine_arn = MachineArn(w.id);
      filter.status = "RUNNING";
      filter.limit = 0;
      for (const store::ExecutionRecord& e : store_.ListExecutions(filter).executions) {
        if (auto input = ParseObject(e.input)) Watch(e.arn, *input);
      }
    }
    return {};
  }

  void Stop() {
    std::map<std::string, std::unique_ptr<SftpServer>> endpoints;
    {
      std::lock_guard lock(mu_);
      endpoints.swap(endpoints_);
    }
    for (auto& [id, endpoint] : endpoints) endpoint->Stop();
  }

  std::uint16_t SftpPort(const std::string& server_id) {
    std::lock_guard lock(mu_);
    auto it = endpoints_.find(server_id);
    return it == endpoints_.end() ? 0 : it->second->port();
  }

  void Handle(std::string_view op, const json::Object& r, Respond respond) {
    using Op = void (Impl::*)(const json::Object&, Respond&);
    struct Entry {
      std::string_view name;
      Op op;
    };
    static constexpr Entry kOps[] = {
        {"CreateServer", &Impl::CreateServer},
        {"CreateUser", &Impl::CreateUser},
        {"CreateWorkflow", &Impl::CreateWorkflow},
        {"DeleteServer", &Impl::DeleteServer},
        {"DeleteSshPublicKey", &Impl::DeleteSshPublicKey},
        {"DeleteUser", &Impl::DeleteUser},
        {"DeleteWorkflow", &Impl::DeleteWorkflow},
        {"DescribeExecution", &Impl::DescribeExecution},
        {"DescribeServer", &Impl::DescribeServer},
        {"DescribeUser", &Impl::DescribeUser},
        {"DescribeWorkflow", &Impl::DescribeWorkflow},
        {"ImportSshPublicKey", &Impl::ImportSshPublicKey},
        {"ListExecutions", &Impl::ListExecutions},
        {"ListServers", &Impl::ListServers},
        {"ListTagsForResource", &Impl::ListTagsForResource},
        {"ListUsers", &Impl::ListUsers},
        {"ListWorkflows", &Impl::ListWorkflows},
        {"SendWorkflowStepState", &Impl::SendWorkflowStepState},
        {"StartServer", &Impl::StartServer},
        {"StopServer", &Impl::StopServer},
        {"TagResource", &Impl::TagResource},
        {"UntagResource", &Impl::UntagResource},
        {"UpdateServer", &Impl::UpdateServer},
        {"UpdateUser", &Impl::UpdateUser},
    };
    for (const Entry& e : kOps) {
      if (e.name == op) return (this->*e.op)(r, respond);
    }
    respond(Error("UnsupportedOperation",
                  "Stepway does not support " + std::string(op) + " yet", 400));
  }

 private:
  // ---------------------------------------------------------------------------------------
  // ARNs and documents

  std::string ArnPrefix() const {
    return "arn:aws:transfer:" + options_.region + ":" + options_.account + ":";
  }
  std::string ServerArn(const std::string& id) const { return ArnPrefix() + "server/" + id; }
  std::string UserArn(const std::string& server, const std::string& user) const {
    return ArnPrefix() + "user/" + server + "/" + user;
  }
  std::string WorkflowArn(const std::string& id) const { return ArnPrefix() + "workflow/" + id; }
  std::string MachineArn(const std::string& workflow_id) const {
    return "arn:aws:states:" + options_.region + ":" + options_.account + ":stateMachine:" +
           std::string(kMachinePrefix) + workflow_id;
  }
  std::string ExecutionArn(const std::string& workflow_id, const std::string& execution_id) const {
    return "arn:aws:states:" + options_.region + ":" + options_.account + ":execution:" +
           std::string(kMachinePrefix) + workflow_id + ":" + execution_id;
  }
  std::string HostKeyPath(const std::string& server_id) const {
    return options_.data_dir + "/sftp/" + server_id + "/ssh_host_key";
  }

  std::optional<json::Object> Load(std::string_view kind, const std::string& id) {
    auto d = store_.GetDocument(kind, id);
    if (!d) return std::nullopt;
    return ParseObject(d->body);
  }
  Status Save(std::string_view kind, const std::string& id, const json::Object& body) {
    return store_.PutDocument({std::string(kind), id, json::Serialize(body)});
  }
  static Response StoreFailed(const Status& s) {
    return Error("InternalServiceError", s.error().message, 500);
  }

  // ---------------------------------------------------------------------------------------
  // Servers

  static constexpr std::string_view kServerMembers[] = {
      "Certificate", "Domain", "EndpointDetails", "EndpointType", "IdentityProviderDetails",
      "IdentityProviderType", "LoggingRole", "PostAuthenticationLoginBanner",
      "PreAuthenticationLoginBanner", "Protocols", "ProtocolDetails", "SecurityPolicyName",
      "WorkflowDetails", "StructuredLogDestinations", "S3StorageOptions", "IpAddressType"};

  // What Stepway serves of a server's settings; nullopt when they are acceptable.
  std::optional<Response> CheckServerSettings(const json::Object& r) {
    if (const json::Array* protocols = Arr(r, "Protocols")) {
      for (const json::Value& p : *protocols) {
        if (!p.is_string() || p.get_string() != "SFTP") {
          return InvalidRequest("Stepway serves the SFTP protocol only");
        }
      }
    }
    const std::string idp = Str(r, "IdentityProviderType");
    if (!idp.empty() && idp != "SERVICE_MANAGED") {
      return InvalidRequest("Stepway supports IdentityProviderType SERVICE_MANAGED only");
    }
    if (const json::Object* details = Obj(r, "WorkflowDetails")) {
      for (std::string_view which : {"OnUpload", "OnPartialUpload"}) {
        const json::Array* list = Arr(*details, which);
        if (list == nullptr) continue;
        for (const json::Value& w : *list) {
          if (!w.is_object()) continue;
          const std::string id = Str(w.get_object(), "WorkflowId");
          if (!store_.GetDocument(kWorkflowKind, id)) return NotFound(id, "Workflow");
        }
      }
    }
    return std::nullopt;
  }

  void CreateServer(const json::Object& r, Respond& respond) {
    if (auto error = CheckServerSettings(r)) return respond(std::move(*error));
    const std::string id = RandomId("s-", "0123456789abcdef", 17);
    json::Object server;
    server["ServerId"] = id;
    server["Arn"] = ServerArn(id);
    for (std::string_view member : kServerMembers) {
      if (const json::Value* v = r.if_contains(member); v && !v->is_null()) server[member] = *v;
    }
    if (!server.contains("Domain")) server["Domain"] = "S3";
    if (!server.contains("Protocols")) server["Protocols"] = json::Array{"SFTP"};
    if (!server.contains("IdentityProviderType")) server["IdentityProviderType"] = "SERVICE_MANAGED";
    if (!server.contains("EndpointType")) server["EndpointType"] = "PUBLIC";
    if (!server.contains("SecurityPolicyName")) {
      server["SecurityPolicyName"] = "TransferSecurityPolicy-2018-11";
    }
    if (!server.contains("IpAddressType")) server["IpAddressType"] = "IPV4";
    server["State"] = "ONLINE";
    // A host key given by the client, else one made when the endpoint first starts.
    if (const std::string host_key = Str(r, "HostKey"); !host_key.empty()) {
      std::error_code ec;
      fs::create_directories(fs::path(HostKeyPath(id)).parent_path(), ec);
      std::ofstream out(HostKeyPath(id), std::ios::trunc);
      out << host_key;
      out.close();
      fs::permissions(HostKeyPath(id), fs::perms::owner_read | fs::perms::owner_write, ec);
      if (HostKeyFingerprint(HostKeyPath(id)).empty()) {
        fs::remove_all(fs::path(HostKeyPath(id)).parent_path(), ec);
        return respond(InvalidRequest("Unsupported or invalid SSH host key format"));
      }
    }
    if (auto s = Save(kServerKind, id, server); !s) return respond(StoreFailed(s));
    if (auto tags = TagsOf(r); !tags.empty()) (void)store_.TagResource(ServerArn(id), tags);
    if (auto s = StartEndpoint(server); !s) {
      server["State"] = "START_FAILED";
      (void)Save(kServerKind, id, server);
    }
    json::Object out;
    out["ServerId"] = id;
    respond(Ok(out));
  }

  // The server document with what DescribeServer adds: Tags, UserCount, the host key's
  // fingerprint and, beyond AWS's shape, the SFTP endpoint's port.
  json::Object DescribedServer(json::Object server) {
    const std::string id = Str(server, "ServerId");
    server.erase("Port");
    if (auto tags = store_.ListTags(Str(server, "Arn")); !tags.empty()) server["Tags"] = TagList(tags);
    server["UserCount"] = std::int64_t(store_.ListDocuments(kUserKind, id + "/").size());
    if (const std::string fp = HostKeyFingerprint(HostKeyPath(id)); !fp.empty()) {
      server["HostKeyFingerprint"] = fp;
    }
    if (const std::uint16_t port = SftpPort(id); port != 0) server["Port"] = port;
    return server;
  }

  void DescribeServer(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "ServerId");
    auto server = Load(kServerKind, id);
    if (!server) return respond(NotFound(id, "Server"));
    json::Object out;
    out["Server"] = DescribedServer(std::move(*server));
    respond(Ok(out));
  }

  void ListServers(const json::Object& r, Respond& respond) {
    auto all = store_.ListDocuments(kServerKind);
    auto page = PageOf(r, all.size());
    if (!page) return respond(InvalidNextToken());
    json::Array servers;
    for (std::size_t i = page->begin; i < page->end; ++i) {
      auto s = ParseObject(all[i].body);
      if (!s) continue;
      json::Object listed;
      for (std::string_view m : {"Arn", "Domain", "IdentityProviderType", "EndpointType",
                                 "LoggingRole", "ServerId", "State"}) {
        if (const json::Value* v = s->if_contains(m)) listed[m] = *v;
      }
      listed["UserCount"] = std::int64_t(store_.ListDocuments(kUserKind, all[i].id + "/").size());
      servers.push_back(std::move(listed));
    }
    json::Object out;
    out["Servers"] = std::move(servers);
    if (!page->next_token.empty()) out["NextToken"] = page->next_token;
    respond(Ok(out));
  }

  void UpdateServer(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "ServerId");
    auto server = Load(kServerKind, id);
    if (!server) return respond(NotFound(id, "Server"));
    if (auto error = CheckServerSettings(r)) return respond(std::move(*error));
    for (std::string_view member : kServerMembers) {
      const json::Value* v = r.if_contains(member);
      if (v == nullptr) continue;
      if (v->is_null()) {
        server->erase(member);
      } else {
        (*server)[member] = *v;
      }
    }
    // WorkflowDetails {"OnUpload": []} removes the workflow.
    if (const json::Object* details = Obj(*server, "WorkflowDetails")) {
      const json::Array* up = Arr(*details, "OnUpload");
      const json::Array* partial = Arr(*details, "OnPartialUpload");
      if ((up == nullptr || up->empty()) && (partial == nullptr || partial->empty())) {
        server->erase("WorkflowDetails");
      }
    }
    if (const std::string host_key = Str(r, "HostKey"); !host_key.empty()) {
      return respond(InvalidRequest("Stepway does not change a server's host key"));
    }
    if (auto s = Save(kServerKind, id, *server); !s) return respond(StoreFailed(s));
    json::Object out;
    out["ServerId"] = id;
    respond(Ok(out));
  }

  void DeleteServer(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "ServerId");
    auto server = Load(kServerKind, id);
    if (!server) return respond(NotFound(id, "Server"));
    StopEndpoint(id);
    for (const store::Document& u : store_.ListDocuments(kUserKind, id + "/")) {
      if (auto user = ParseObject(u.body)) (void)store_.UntagResource(Str(*user, "Arn"), TagKeys(Str(*user, "Arn")));
      (void)store_.DeleteDocument(kUserKind, u.id);
    }
    (void)store_.UntagResource(ServerArn(id), TagKeys(ServerArn(id)));
    if (auto s = store_.DeleteDocument(kServerKind, id); !s) return respond(StoreFailed(s));
    std::error_code ec;
    fs::remove_all(fs::path(HostKeyPath(id)).parent_path(), ec);
    respond(Ok());
  }

  std::vector<std::string> TagKeys(const std::string& arn) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : store_.ListTags(arn)) keys.push_back(k);
    return keys;
  }

  void StartServer(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "ServerId");
    auto server = Load(kServerKind, id);
    if (!server) return respond(NotFound(id, "Server"));
    (*server)["State"] = "ONLINE";
    if (auto s = StartEndpoint(*server); !s) (*server)["State"] = "START_FAILED";
    if (auto s = Save(kServerKind, id, *server); !s) return respond(StoreFailed(s));
    respond(Ok());
  }

  void StopServer(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "ServerId");
    auto server = Load(kServerKind, id);
    if (!server) return respond(NotFound(id, "Server"));
    StopEndpoint(id);
    (*server)["State"] = "OFFLINE";
    if (auto s = Save(kServerKind, id, *server); !s) return respond(StoreFailed(s));
    respond(Ok());
  }

  Status StartEndpoint(const json::Object& server) {
    const std::string id = Str(server, "ServerId");
    {
      std::lock_guard lock(mu_);
      if (endpoints_.count(id)) return {};
    }
    SftpOptions sftp;
    sftp.host = options_.sftp_host;
    sftp.host_key_path = HostKeyPath(id);
    sftp.files_root = files_root_;
    sftp.domain = ParseDomain(Str(server, "Domain")).value_or(Domain::kS3);
    std::error_code ec;
    fs::create_directories(fs::path(sftp.host_key_path).parent_path(), ec);
    fs::create_directories(files_root_, ec);
    std::vector<std::uint16_t> ports;
    if (auto fixed = options_.sftp_ports.find(id); fixed != options_.sftp_ports.end()) {
      ports.push_back(fixed->second);
    } else {
      if (const json::Value* p = server.if_contains("Port"); p && p->is_int64()) {
        ports.push_back(std::uint16_t(p->get_int64()));  // the port it had, when still free
      }
      ports.push_back(0);
    }
    Result<std::unique_ptr<SftpServer>> started = Fail(ErrorCode::kUnavailable, "no port");
    for (std::uint16_t port : ports) {
      sftp.port = port;
      SftpHooks hooks;
      hooks.find_user = [this, id](const std::string& name) { return FindUser(id, name); };
      hooks.uploaded = [this, id](const Upload& upload) { Uploaded(id, upload); };
      started = StartSftpServer(sftp, std::move(hooks));
      if (started) break;
    }
    if (!started) return tl::unexpected(started.error());
    const std::uint16_t port = (*started)->port();
    {
      std::lock_guard lock(mu_);
      endpoints_[id] = std::move(*started);
    }
    // Remember the port, so that a restart keeps clients' settings when it can.
    if (auto stored = Load(kServerKind, id)) {
      (*stored)["Port"] = port;
      (void)Save(kServerKind, id, *stored);
    }
    std::fprintf(stderr, "stepway: Transfer server %s: SFTP on %s:%u\n", id.c_str(),
                 options_.sftp_host.c_str(), unsigned(port));
    return {};
  }

  void StopEndpoint(const std::string& id) {
    std::unique_ptr<SftpServer> endpoint;
    {
      std::lock_guard lock(mu_);
      auto it = endpoints_.find(id);
      if (it == endpoints_.end()) return;
      endpoint = std::move(it->second);
      endpoints_.erase(it);
    }
    endpoint->Stop();
  }

  // ---------------------------------------------------------------------------------------
  // Users

  static std::string UserId(const std::string& server, const std::string& user) {
    return server + "/" + user;
  }

  std::optional<Response> CheckHome(const json::Object& user) {
    const std::string type = Str(user, "HomeDirectoryType");
    const json::Array* mappings = Arr(user, "HomeDirectoryMappings");
    if (type == "LOGICAL") {
      if (mappings == nullptr || mappings->empty()) {
        return InvalidRequest("HomeDirectoryMappings are required when HomeDirectoryType is LOGICAL");
      }
    } else if (mappings != nullptr && !mappings->empty()) {
      return InvalidRequest("HomeDirectoryMappings need HomeDirectoryType LOGICAL");
    }
    const std::string home = Str(user, "HomeDirectory");
    if (!home.empty() && home.find("/..") != std::string::npos) {
      return InvalidRequest("HomeDirectory may not contain '..'");
    }
    return std::nullopt;
  }

  void CreateUser(const json::Object& r, Respond& respond) {
    const std::string server_id = Str(r, "ServerId");
    const std::string name = Str(r, "UserName");
    if (!store_.GetDocument(kServerKind, server_id)) return respond(NotFound(server_id, "Server"));
    if (store_.GetDocument(kUserKind, UserId(server_id, name))) {
      return respond(ResourceError("ResourceExistsException", "User already exists", name, "User"));
    }
    json::Object user;
    user["UserName"] = name;
    user["Arn"] = UserArn(server_id, name);
    for (std::string_view m : {"HomeDirectory", "HomeDirectoryType", "HomeDirectoryMappings",
                               "Policy", "PosixProfile", "Role"}) {
      if (const json::Value* v = r.if_contains(m); v && !v->is_null()) user[m] = *v;
    }
    if (!user.contains("HomeDirectoryType")) user["HomeDirectoryType"] = "PATH";
    if (auto error = CheckHome(user)) return respond(std::move(*error));
    json::Array keys;
    if (const std::string body = Str(r, "SshPublicKeyBody"); !body.empty()) {
      auto key = NewSshKey(body);
      if (!key) return respond(InvalidRequest("Unsupported or invalid SSH public key format"));
      keys.push_back(std::move(*key));
    }
    user["SshPublicKeys"] = std::move(keys);
    if (auto s = Save(kUserKind, UserId(server_id, name), user); !s) return respond(StoreFailed(s));
    if (auto tags = TagsOf(r); !tags.empty()) (void)store_.TagResource(UserArn(server_id, name), tags);
    json::Object out;
    out["ServerId"] = server_id;
    out["UserName"] = name;
    respond(Ok(out));
  }

  std::optional<json::Object> NewSshKey(const std::string& body) {
    ssh_key key = ImportPublicKey(body);
    if (key == nullptr) return std::nullopt;
    ssh_key_free(key);
    json::Object k;
    k["SshPublicKeyBody"] = body;
    k["SshPublicKeyId"] = RandomId("key-", "0123456789abcdef", 17);
    k["DateImported"] = NowMillis();
    return k;
  }

  // Loads the server and the user, answering ResourceNotFoundException when either is missing.
  std::optional<json::Object> LoadUser(const json::Object& r, Respond& respond) {
    const std::string server_id = Str(r, "ServerId");
    const std::string name = Str(r, "UserName");
    if (!store_.GetDocument(kServerKind, server_id)) {
      respond(NotFound(server_id, "Server"));
      return std::nullopt;
    }
    auto user = Load(kUserKind, UserId(server_id, name));
    if (!user) respond(NotFound(name, "User"));
    return user;
  }

  json::Object DescribedUser(json::Object user) {
    json::Array keys;
    if (const json::Array* stored = Arr(user, "SshPublicKeys")) {
      for (const json::Value& k : *stored) {
        if (!k.is_object()) continue;
        json::Object key = k.get_object();
        const json::Value* date = key.if_contains("DateImported");
        key["DateImported"] = api::sfn::Timestamp(date && date->is_int64() ? date->get_int64() : 0);
        keys.push_back(std::move(key));
      }
    }
    user["SshPublicKeys"] = std::move(keys);
    if (auto tags = store_.ListTags(Str(user, "Arn")); !tags.empty()) user["Tags"] = TagList(tags);
    return user;
  }

  void DescribeUser(const json::Object& r, Respond& respond) {
    auto user = LoadUser(r, respond);
    if (!user) return;
    json::Object out;
    out["ServerId"] = Str(r, "ServerId");
    out["User"] = DescribedUser(std::move(*user));
    respond(Ok(out));
  }

  void ListUsers(const json::Object& r, Respond& respond) {
    const std::string server_id = Str(r, "ServerId");
    if (!store_.GetDocument(kServerKind, server_id)) return respond(NotFound(server_id, "Server"));
    auto all = store_.ListDocuments(kUserKind, server_id + "/");
    auto page = PageOf(r, all.size());
    if (!page) return respond(InvalidNextToken());
    json::Array users;
    for (std::size_t i = page->begin; i < page->end; ++i) {
      auto u = ParseObject(all[i].body);
      if (!u) continue;
      json::Object listed;
      for (std::string_view m : {"Arn", "HomeDirectory", "HomeDirectoryType", "Role", "UserName"}) {
        if (const json::Value* v = u->if_contains(m)) listed[m] = *v;
      }
      const json::Array* keys = Arr(*u, "SshPublicKeys");
      listed["SshPublicKeyCount"] = std::int64_t(keys != nullptr ? keys->size() : 0);
      users.push_back(std::move(listed));
    }
    json::Object out;
    out["ServerId"] = server_id;
    out["Users"] = std::move(users);
    if (!page->next_token.empty()) out["NextToken"] = page->next_token;
    respond(Ok(out));
  }

  void UpdateUser(const json::Object& r, Respond& respond) {
    auto user = LoadUser(r, respond);
    if (!user) return;
    for (std::string_view m : {"HomeDirectory", "HomeDirectoryType", "HomeDirectoryMappings",
                               "Policy", "PosixProfile", "Role"}) {
      if (const json::Value* v = r.if_contains(m); v && !v->is_null()) (*user)[m] = *v;
    }
    if (Str(*user, "HomeDirectoryType") == "PATH") user->erase("HomeDirectoryMappings");
    if (auto error = CheckHome(*user)) return respond(std::move(*error));
    const std::string server_id = Str(r, "ServerId");
    const std::string name = Str(r, "UserName");
    if (auto s = Save(kUserKind, UserId(server_id, name), *user); !s) return respond(StoreFailed(s));
    json::Object out;
    out["ServerId"] = server_id;
    out["UserName"] = name;
    respond(Ok(out));
  }

  void DeleteUser(const json::Object& r, Respond& respond) {
    auto user = LoadUser(r, respond);
    if (!user) return;
    (void)store_.UntagResource(Str(*user, "Arn"), TagKeys(Str(*user, "Arn")));
    if (auto s = store_.DeleteDocument(kUserKind, UserId(Str(r, "ServerId"), Str(r, "UserName")));
        !s) {
      return respond(StoreFailed(s));
    }
    respond(Ok());
  }

  void ImportSshPublicKey(const json::Object& r, Respond& respond) {
    auto user = LoadUser(r, respond);
    if (!user) return;
    const std::string body = Str(r, "SshPublicKeyBody");
    json::Array keys;
    if (const json::Array* stored = Arr(*user, "SshPublicKeys")) keys = *stored;
    for (const json::Value& k : keys) {
      if (k.is_object() && SameKey(Str(k.get_object(), "SshPublicKeyBody"), body)) {
        return respond(ResourceError("ResourceExistsException", "Public key already exists",
                                     Str(k.get_object(), "SshPublicKeyId"), "PublicKey"));
      }
    }
    if (keys.size() >= kMaxSshKeys) {
      return respond(InvalidRequest("A user can have at most 50 SSH public keys"));
    }
    auto key = NewSshKey(body);
    if (!key) return respond(InvalidRequest("Unsupported or invalid SSH public key format"));
    const std::string key_id = Str(*key, "SshPublicKeyId");
    keys.push_back(std::move(*key));
    (*user)["SshPublicKeys"] = std::move(keys);
    const std::string server_id = Str(r, "ServerId");
    const std::string name = Str(r, "UserName");
    if (auto s = Save(kUserKind, UserId(server_id, name), *user); !s) return respond(StoreFailed(s));
    json::Object out;
    out["ServerId"] = server_id;
    out["SshPublicKeyId"] = key_id;
    out["UserName"] = name;
    respond(Ok(out));
  }

  void DeleteSshPublicKey(const json::Object& r, Respond& respond) {
    auto user = LoadUser(r, respond);
    if (!user) return;
    const std::string key_id = Str(r, "SshPublicKeyId");
    json::Array keys;
    bool found = false;
    if (const json::Array* stored = Arr(*user, "SshPublicKeys")) {
      for (const json::Value& k : *stored) {
        if (k.is_object() && Str(k.get_object(), "SshPublicKeyId") == key_id) {
          found = true;
        } else {
          keys.push_back(k);
        }
      }
    }
    if (!found) return respond(NotFound(key_id, "PublicKey"));
    (*user)["SshPublicKeys"] = std::move(keys);
    if (auto s = Save(kUserKind, UserId(Str(r, "ServerId"), Str(r, "UserName")), *user); !s) {
      return respond(StoreFailed(s));
    }
    respond(Ok());
  }

  // What the SFTP endpoint needs of a user at login.
  std::optional<SftpUser> FindUser(const std::string& server_id, const std::string& name) {
    auto user = Load(kUserKind, UserId(server_id, name));
    if (!user) return std::nullopt;
    SftpUser out;
    out.user_name = name;
    out.home_directory = Str(*user, "HomeDirectory");
    out.home_directory_type = Str(*user, "HomeDirectoryType");
    if (out.home_directory_type.empty()) out.home_directory_type = "PATH";
    if (const json::Array* mappings = Arr(*user, "HomeDirectoryMappings")) {
      for (const json::Value& m : *mappings) {
        if (!m.is_object()) continue;
        HomeDirectoryMapping mapping;
        mapping.entry = Str(m.get_object(), "Entry");
        mapping.target = Str(m.get_object(), "Target");
        if (std::string type = Str(m.get_object(), "Type"); !type.empty()) mapping.type = type;
        // ${Transfer:UserName} in a target names the user, as AWS substitutes it.
        for (std::string var = "${Transfer:UserName}";;) {
          auto at = mapping.target.find(var);
          if (at == std::string::npos) break;
          mapping.target.replace(at, var.size(), name);
        }
        out.mappings.push_back(std::move(mapping));
      }
    }
    if (const json::Array* keys = Arr(*user, "SshPublicKeys")) {
      for (const json::Value& k : *keys) {
        if (k.is_object()) out.public_keys.push_back(Str(k.get_object(), "SshPublicKeyBody"));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Workflows

  void CreateWorkflow(const json::Object& r, Respond& respond) {
    static const json::Array kNone;
    const json::Array* steps = Arr(r, "Steps");
    const json::Array* on_exception = Arr(r, "OnExceptionSteps");
    auto definition = CompileWorkflow(steps ? *steps : kNone, on_exception ? *on_exception : kNone);
    if (!definition) return respond(InvalidRequest(definition.error().message));
    const std::string id = RandomId("w-", "abcdefghijklmnopqrstuvwxyz0123456789", 17);
    store::StateMachineRecord machine;
    machine.arn = MachineArn(id);
    machine.name = std::string(kMachinePrefix) + id;
    machine.definition = *definition;
    machine.role_arn = "arn:aws:iam::" + options_.account + ":role/service-role/transfer-workflow";
    machine.revision_id = id;
    machine.creation_millis = machine.update_millis = NowMillis();
    if (auto s = store_.PutStateMachine(machine); !s) return respond(StoreFailed(s));
    json::Object workflow;
    workflow["WorkflowId"] = id;
    workflow["Arn"] = WorkflowArn(id);
    if (const std::string d = Str(r, "Description"); !d.empty()) workflow["Description"] = d;
    workflow["Steps"] = steps ? *steps : kNone;
    workflow["OnExceptionSteps"] = on_exception ? *on_exception : kNone;
    if (auto s = Save(kWorkflowKind, id, workflow); !s) return respond(StoreFailed(s));
    if (auto tags = TagsOf(r); !tags.empty()) (void)store_.TagResource(WorkflowArn(id), tags);
    json::Object out;
    out["WorkflowId"] = id;
    respond(Ok(out));
  }

  void DescribeWorkflow(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "WorkflowId");
    auto workflow = Load(kWorkflowKind, id);
    if (!workflow) return respond(NotFound(id, "Workflow"));
    if (auto tags = store_.ListTags(WorkflowArn(id)); !tags.empty()) {
      (*workflow)["Tags"] = TagList(tags);
    }
    json::Object out;
    out["Workflow"] = std::move(*workflow);
    respond(Ok(out));
  }

  void ListWorkflows(const json::Object& r, Respond& respond) {
    auto all = store_.ListDocuments(kWorkflowKind);
    auto page = PageOf(r, all.size());
    if (!page) return respond(InvalidNextToken());
    json::Array workflows;
    for (std::size_t i = page->begin; i < page->end; ++i) {
      auto w = ParseObject(all[i].body);
      if (!w) continue;
      json::Object listed;
      for (std::string_view m : {"WorkflowId", "Description", "Arn"}) {
        if (const json::Value* v = w->if_contains(m)) listed[m] = *v;
      }
      workflows.push_back(std::move(listed));
    }
    json::Object out;
    out["Workflows"] = std::move(workflows);
    if (!page->next_token.empty()) out["NextToken"] = page->next_token;
    respond(Ok(out));
  }

  void DeleteWorkflow(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "WorkflowId");
    if (!store_.GetDocument(kWorkflowKind, id)) return respond(NotFound(id, "Workflow"));
    // A workflow a server runs on upload stays, as AWS refuses to delete it.
    for (const store::Document& d : store_.ListDocuments(kServerKind)) {
      if (d.body.find("\"" + id + "\"") != std::string::npos) {
        return respond(InvalidRequest("The workflow " + id + " is used by server " + d.id +
                                      "; remove it from the server's WorkflowDetails first"));
      }
    }
    (void)store_.UntagResource(WorkflowArn(id), TagKeys(WorkflowArn(id)));
    if (auto s = store_.DeleteDocument(kWorkflowKind, id); !s) return respond(StoreFailed(s));
    // Its state machine stays: executions still running need their definition, and finished
    // ones stay describable until the machine's name is reused (never: ids are random).
    runtime_.InvalidateStateMachine(MachineArn(id));
    respond(Ok());
  }

  // ---------------------------------------------------------------------------------------
  // Executions

  json::Object ListedExecution(const store::ExecutionRecord& record, bool full) {
    json::Object out;
    out["ExecutionId"] = record.name;
    auto input = ParseObject(record.input);
    if (input) {
      if (const json::Value* original = input->if_contains("original")) {
        if (auto l = FileLocation::FromJson(*original)) out["InitialFileLocation"] = FileLocationShape(*l);
      }
      json::Object user;
      if (const json::Object* t = Obj(*input, "transferDetails")) {
        user["UserName"] = Str(*t, "userName");
        user["ServerId"] = Str(*t, "serverId");
        user["SessionId"] = Str(*t, "sessionId");
      }
      json::Object metadata;
      metadata["UserDetails"] = std::move(user);
      out["ServiceMetadata"] = std::move(metadata);
    }
    auto history = store_.GetHistory(record.arn, 1, 0, false);
    ExecutionView view = ViewExecution(record, history);
    out["Status"] = view.status;
    if (full) {
      if (input) {
        if (std::string role = Str(*input, "executionRole"); !role.empty()) {
          out["ExecutionRole"] = role;
        }
      }
      auto results = [](const std::vector<StepResult>& steps) {
        json::Array list;
        for (const StepResult& s : steps) {
          json::Object o;
          o["StepType"] = s.type;
          if (s.outputs) o["Outputs"] = *s.outputs;
          if (s.error_type) {
            json::Object e;
            e["Type"] = *s.error_type;
            e["Message"] = s.error_message;
            o["Error"] = std::move(e);
          }
          list.push_back(std::move(o));
        }
        return list;
      };
      json::Object r;
      r["Steps"] = results(view.steps);
      r["OnExceptionSteps"] = results(view.exception_steps);
      out["Results"] = std::move(r);
    }
    return out;
  }

  void ListExecutions(const json::Object& r, Respond& respond) {
    const std::string id = Str(r, "WorkflowId");
    if (!store_.GetDocument(kWorkflowKind, id)) return respond(NotFound(id, "Workflow"));
    store::ExecutionFilter filter;
    filter.state_machine_arn = MachineArn(id);
    filter.limit = 1000;
    if (const json::Value* m = r.if_contains("MaxResults"); m && m->is_int64()) {
      filter.limit = std::size_t(m->get_int64());
    }
    if (const std::string token = Str(r, "NextToken"); !token.empty()) {
      auto cursor = api::sfn::DecodePageToken(token);
      if (!cursor || !store::IsValidExecutionCursor(*cursor)) return respond(InvalidNextToken());
      filter.after = *cursor;
    }
    store::ExecutionPage page = store_.ListExecutions(filter);
    json::Array executions;
    for (const store::ExecutionRecord& e : page.executions) {
      executions.push_back(ListedExecution(e, false));
    }
    json::Object out;
    out["WorkflowId"] = id;
    out["Executions"] = std::move(executions);
    if (!page.next.empty()) out["NextToken"] = api::sfn::EncodePageToken(page.next);
    respond(Ok(out));
  }

  void DescribeExecution(const json::Object& r, Respond& respond) {
    const std::string workflow_id = Str(r, "WorkflowId");
    const std::string execution_id = Str(r, "ExecutionId");
    if (!store_.GetDocument(kWorkflowKind, workflow_id)) {
      return respond(NotFound(workflow_id, "Workflow"));
    }
    auto record = store_.GetExecution(ExecutionArn(workflow_id, execution_id));
    if (!record) return respond(NotFound(execution_id, "Execution"));
    json::Object out;
    out["WorkflowId"] = workflow_id;
    out["Execution"] = ListedExecution(*record, true);
    respond(Ok(out));
  }

  void SendWorkflowStepState(const json::Object& r, Respond& respond) {
    const std::string workflow_id = Str(r, "WorkflowId");
    const std::string execution_id = Str(r, "ExecutionId");
    const std::string token = Str(r, "Token");
    const std::string status = Str(r, "Status");
    if (!store_.GetDocument(kWorkflowKind, workflow_id)) {
      return respond(NotFound(workflow_id, "Workflow"));
    }
    const std::string arn = ExecutionArn(workflow_id, execution_id);
    auto record = store_.GetExecution(arn);
    if (!record) return respond(NotFound(execution_id, "Execution"));
    auto full = FullToken(tokens_, arn, token);
    if (!full) return respond(NotFound(token, "Token"));
    auto done = [respond, token](Status s) {
      if (s) return respond(Ok());
      switch (s.error().code) {
        case ErrorCode::kTimedOut:
          return respond(InvalidRequest("The step is no longer waiting for its state: " +
                                        s.error().message));
        case ErrorCode::kInvalidArgument:
        case ErrorCode::kNotFound:
          return respond(NotFound(token, "Token"));
        default:
          return respond(Error("InternalServiceError", s.error().message, 500));
      }
    };
    if (status == "SUCCESS") {
      runtime_.SendTaskSuccess(*full, R"({"Status":"SUCCESS"})", std::move(done));
    } else {
      runtime_.SendTaskFailure(*full, "CUSTOM_STEP_FAILED",
                               "The custom step's target reported FAILURE", std::move(done));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Uploads start workflows

  void Uploaded(const std::string& server_id, const Upload& upload) {
    auto server = Load(kServerKind, server_id);
    if (!server) return;
    const json::Object* details = Obj(*server, "WorkflowDetails");
    const json::Array* list =
        details != nullptr ? Arr(*details, upload.partial ? "OnPartialUpload" : "OnUpload") : nullptr;
    if (list == nullptr || list->empty() || !(*list)[0].is_object()) return;
    const json::Object& detail = (*list)[0].get_object();
    const std::string workflow_id = Str(detail, "WorkflowId");
    if (!store_.GetDocument(kWorkflowKind, workflow_id)) {
      std::fprintf(stderr, "stepway: server %s: upload of %s: workflow %s does not exist\n",
                   server_id.c_str(), upload.location.DomainPath().c_str(), workflow_id.c_str());
      return;
    }
    json::Object state;
    state["original"] = upload.location.ToJson();
    state["previous"] = upload.location.ToJson();
    json::Object transfer;
    transfer["serverId"] = server_id;
    transfer["userName"] = upload.user_name;
    transfer["sessionId"] = upload.session_id;
    state["transferDetails"] = std::move(transfer);
    state["workflowId"] = workflow_id;
    state["executionRole"] = Str(detail, "ExecutionRole");
    state["uploadDate"] = Today();
    state["partial"] = upload.partial;
    state["outputs"] = json::Object();
    // The ExecutionId is chosen here so that ExecutionStarted is logged before any step.
    SystemRandom random;
    const std::string execution_id = NewUuid(random);
    json::Object event = LogEvent("ExecutionStarted", state, execution_id);
    json::Object input;
    input["initialFileLocation"] = state.at("original");
    json::Object started;
    started["input"] = std::move(input);
    event["details"] = std::move(started);
    WriteLog(server_id, event);
    runtime::StartExecutionRequest request;
    request.state_machine_arn = MachineArn(workflow_id);
    request.name = execution_id;
    request.input = json::Serialize(state);
    // The SFTP client hears that its upload is complete only once the execution it started is
    // durable (the hook runs before CLOSE is answered): a crash after that loses neither.
    auto outcome = std::make_shared<std::promise<void>>();
    std::future<void> committed = outcome->get_future();
    runtime_.StartExecution(std::move(request), [this, state, outcome](
                                                    Result<runtime::StartExecutionResult> r) {
      if (!r) {
        std::fprintf(stderr, "stepway: a workflow did not start: %s\n", r.error().message.c_str());
      } else {
        Watch(r->execution_arn, state);
      }
      outcome->set_value();
    });
    committed.wait_for(std::chrono::seconds(30));
  }

  // Logs the end of an execution when it comes.
  void Watch(const std::string& execution_arn, const json::Object& state) {
    runtime_.WatchExecution(execution_arn, [this, state](Result<store::ExecutionRecord> r) {
      if (!r) return;
      const bool ok = r->status == "SUCCEEDED";
      json::Object event = LogEvent(ok ? "ExecutionCompleted" : "ExecutionErrored", state, r->name);
      if (!ok) {
        json::Object details;
        details["status"] = r->status;
        event["details"] = std::move(details);
      }
      const json::Object* transfer = Obj(state, "transferDetails");
      WriteLog(transfer != nullptr ? Str(*transfer, "serverId") : "", event);
    });
  }

  // One JSON event per line in DATA/logs/transfer/SERVER_ID.log.
  // Each server's log stays open: events come from shard threads too, so a line costs one
  // write, not an open and a close.
  void WriteLog(const std::string& server_id, const json::Object& event) {
    if (server_id.empty()) return;
    std::string line = json::Serialize(event);
    line += '\n';
    std::lock_guard lock(log_mu_);
    auto it = logs_.find(server_id);
    if (it == logs_.end()) {
      const std::string dir = options_.data_dir + "/logs/transfer";
      std::error_code ec;
      fs::create_directories(dir, ec);
      it = logs_.emplace(server_id, std::ofstream(dir + "/" + server_id + ".log", std::ios::app))
               .first;
    }
    it->second.write(line.data(), std::streamsize(line.size()));
    it->second.flush();
  }

  // ---------------------------------------------------------------------------------------
  // Tags

  // Whether `arn` is an existing server, user or workflow of this server.
  bool ResourceExists(const std::string& arn) {
    const std::string prefix = ArnPrefix();
    if (arn.rfind(prefix, 0) != 0) return false;
    const std::string rest = arn.substr(prefix.size());
    auto after = [&rest](std::string_view type) -> std::optional<std::string> {
      if (rest.rfind(type, 0) != 0) return std::nullopt;
      return rest.substr(type.size());
    };
    if (auto id = after("server/")) return store_.GetDocument(kServerKind, *id).has_value();
    if (auto id = after("workflow/")) return store_.GetDocument(kWorkflowKind, *id).has_value();
    if (auto id = after("user/")) return store_.GetDocument(kUserKind, *id).has_value();
    return false;
  }

  void TagResource(const json::Object& r, Respond& respond) {
    const std::string arn = Str(r, "Arn");
    if (!ResourceExists(arn)) return respond(NotFound(arn, "Resource"));
    store::Tags tags = TagsOf(r);
    store::Tags merged = store_.ListTags(arn);
    for (const auto& [k, v] : tags) merged[k] = v;
    if (merged.size() > 50) return respond(InvalidRequest("A resource can have at most 50 tags"));
    if (auto s = store_.TagResource(arn, tags); !s) return respond(StoreFailed(s));
    respond(Ok());
  }

  void UntagResource(const json::Object& r, Respond& respond) {
    const std::string arn = Str(r, "Arn");
    if (!ResourceExists(arn)) return respond(NotFound(arn, "Resource"));
    std::vector<std::string> keys;
    if (const json::Array* list = Arr(r, "TagKeys")) {
      for (const json::Value& k : *list) {
        if (k.is_string()) keys.emplace_back(k.get_string());
      }
    }
    if (auto s = store_.UntagResource(arn, keys); !s) return respond(StoreFailed(s));
    respond(Ok());
  }

  void ListTagsForResource(const json::Object& r, Respond& respond) {
    const std::string arn = Str(r, "Arn");
    if (!ResourceExists(arn)) return respond(InvalidRequest("Invalid or unknown resource ARN: " + arn));
    json::Array all = TagList(store_.ListTags(arn));
    auto page = PageOf(r, all.size());
    if (!page) return respond(InvalidNextToken());
    json::Array tags(all.begin() + std::ptrdiff_t(page->begin), all.begin() + std::ptrdiff_t(page->end));
    json::Object out;
    out["Arn"] = arn;
    out["Tags"] = std::move(tags);
    if (!page->next_token.empty()) out["NextToken"] = page->next_token;
    respond(Ok(out));
  }

  store::Store& store_;
  runtime::Runtime& runtime_;
  const runtime::TaskTokenCodec& tokens_;
  TransferOptions options_;
  std::string files_root_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<SftpServer>> endpoints_;  // GUARDED_BY(mu_)
  std::mutex log_mu_;
  std::map<std::string, std::ofstream> logs_;  // GUARDED_BY(log_mu_), by server id
};

Transfer::Transfer(store::Store& store, runtime::Runtime& runtime,
                   const runtime::TaskTokenCodec& tokens, TransferOptions options)
    : impl_(std::make_unique<Impl>(store, runtime, tokens, std::move(options))) {}

Transfer::~Transfer() = default;

std::unique_ptr<runtime::Integration> Transfer::NewStepIntegration(
    runtime::IntegrationResolver lambda) {
  return impl_->NewStepIntegration(std::move(lambda));
}

Status Transfer::Start() { return impl_->Start(); }
void Transfer::Stop() { impl_->Stop(); }

void Transfer::Handle(std::string_view operation, const json::Object& request,
                      api::Respond respond) {
  impl_->Handle(operation, request, std::move(respond));
}

std::uint16_t Transfer::SftpPort(const std::string& server_id) {
  return impl_->SftpPort(server_id);
}

}  // namespace stepway::transfer

// The SFTP endpoint driven by real clients: OpenSSH's sftp in batch mode for everyday use, and
// libssh's client API where a test must misbehave (leave a file open and drop the connection).
#include "transfer/sftp_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace stepway::transfer {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// Runs `command` with /bin/sh; its exit code (-1 when it did not exit normally).
int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A temporary folder, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "stepway-sftp-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct SftpRun {
  int exit_code = -1;
  std::string output;
};

class SftpServerTest : public ::testing::Test {
 protected:
  // Client keys are made once: ssh-keygen is fast, but not free.
  static void SetUpTestSuite() {
    keys_ = new TempDir();
    for (const auto& [name, type] : {std::pair{"alice", "-t ed25519"},
                                     {"other", "-t ed25519"},
                                     {"ecdsa", "-t ecdsa -b 256"},
                                     {"rsa", "-t rsa -b 2048"}}) {
      const fs::path key = keys_->path() / name;
      ASSERT_EQ(
          RunShell("ssh-keygen -q " + std::string(type) + " -N '' -C test -f " + key.string()), 0);
    }
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }
  static fs::path Key(const std::string& name) { return keys_->path() / name; }
  static std::string PublicKey(const std::string& name) {
    std::string line = ReadFile(Key(name).string() + ".pub");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

  void SetUp() override {
    SftpUser alice;
    alice.user_name = "alice";
    alice.home_directory = "/bucket/home/alice";
    alice.public_keys = {"ssh-rsa AAAAnot-a-key", PublicKey("alice")};
    AddUser(alice);
    SftpUser lara;
    lara.user_name = "lara";
    lara.home_directory_type = "LOGICAL";
    lara.mappings = {{"/", "/bucket/home/lara"}, {"/shared", "/bucket2/shared", "DIRECTORY"}};
    lara.public_keys = {PublicKey("alice")};
    AddUser(lara);
    StartServer();
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  void StartServer() {
    SftpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.host_key_path = (dir_.path() / "keys" / "host_ed25519").string();
    options.files_root = files_root().string();
    SftpHooks hooks;
    hooks.find_user = [this](const std::string& name) -> std::optional<SftpUser> {
      const std::lock_guard lock(mu_);
      ++lookups_;
      const auto it = users_.find(name);
      if (it == users_.end()) return std::nullopt;
      return it->second;
    };
    hooks.uploaded = [this](const Upload& upload) {
      const std::lock_guard lock(mu_);
      uploads_.push_back(upload);
      cv_.notify_all();
    };
    auto server = StartSftpServer(options, hooks);
    ASSERT_TRUE(server.has_value()) << server.error().message;
    server_ = std::move(*server);
    ASSERT_NE(server_->port(), 0);
  }

  void AddUser(const SftpUser& user) {
    const std::lock_guard lock(mu_);
    users_[user.user_name] = user;
  }

  fs::path files_root() const { return dir_.path() / "files"; }
  fs::path local() const { return dir_.path() / "local"; }
  fs::path S3(const std::string& bucket_and_key) const {
    return files_root() / "s3" / bucket_and_key;
  }

  // Runs OpenSSH's sftp with `commands` as its batch file, from the local folder.
  SftpRun Sftp(const std::string& user, const std::string& key,
               const std::vector<std::string>& commands) {
    fs::create_directories(local());
    const fs::path batch = dir_.path() / "batch";
    const fs::path output = dir_.path() / "sftp.out";
    std::string text;
    for (const std::string& c : commands) text += c + "\n";
    WriteFile(batch, text);
    const std::string command =
        "cd " + local().string() + " && timeout 60 sftp -F /dev/null -b " + batch.string() +
        " -i " + Key(key).string() + " -P " + std::to_string(server_->port()) +
        " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
        " -o IdentitiesOnly=yes -o IdentityAgent=none -o LogLevel=ERROR -o ConnectTimeout=10 " +
        user + "@127.0.0.1 > " + output.string() + " 2>&1";
    SftpRun run;
    run.exit_code = RunShell(command);
    run.output = ReadFile(output);
    return run;
  }

  std::vector<Upload> uploads() {
    const std::lock_guard lock(mu_);
    return uploads_;
  }

  // The uploads once there are at least `n`, or whatever there is after `timeout`.
  std::vector<Upload> WaitForUploads(std::size_t n, std::chrono::seconds timeout = 10s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return uploads_.size() >= n; });
    return uploads_;
  }

  TempDir dir_;
  std::unique_ptr<SftpServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, SftpUser> users_;  // guarded by mu_
  std::vector<Upload> uploads_;            // guarded by mu_
  int lookups_ = 0;                        // guarded by mu_
  static TempDir* keys_;
};

TempDir* SftpServerTest::keys_ = nullptr;

FileLocation S3Location(const std::string& bucket, const std::string& key) {
  return FileLocation{Domain::kS3, bucket, key};
}

TEST_F(SftpServerTest, CreatesTheHostKeyPrivatelyAndKeepsIt) {
  const fs::path key = dir_.path() / "keys" / "host_ed25519";
  struct stat st;
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string first = ReadFile(key);
  EXPECT_NE(first.find("PRIVATE KEY"), std::string::npos);
  server_->Stop();
  server_.reset();
  StartServer();
  EXPECT_EQ(ReadFile(key), first);
}

TEST_F(SftpServerTest, RefusesAPortInUse) {
  SftpOptions options;
  options.port = server_->port();
  options.host_key_path = (dir_.path() / "keys" / "host_ed25519").string();
  options.files_root = files_root().string();
  auto second = StartSftpServer(options, {});
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
}

TEST_F(SftpServerTest, PutGetListMkdirRenameRemove) {
  WriteFile(local() / "a.txt", "hello sftp\n");
  const SftpRun run =
      Sftp("alice", "alice",
           {"pwd", "put a.txt", "mkdir sub", "put a.txt sub/b.txt", "rename a.txt c.txt", "ls -l",
            "ls sub", "get c.txt c_back.txt", "rm sub/b.txt", "rmdir sub"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("/bucket/home/alice"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("c.txt"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("sub/b.txt"), std::string::npos) << run.output;

  EXPECT_EQ(ReadFile(S3("bucket/home/alice/c.txt")), "hello sftp\n");
  EXPECT_FALSE(fs::exists(S3("bucket/home/alice/a.txt")));
  EXPECT_FALSE(fs::exists(S3("bucket/home/alice/sub")));
  EXPECT_EQ(ReadFile(local() / "c_back.txt"), "hello sftp\n");

  const std::vector<Upload> got = uploads();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].user_name, "alice");
  EXPECT_EQ(got[0].location, S3Location("bucket", "home/alice/a.txt"));
  EXPECT_EQ(got[0].size, 11u);
  EXPECT_FALSE(got[0].partial);
  EXPECT_EQ(got[1].location, S3Location("bucket", "home/alice/sub/b.txt"));
  EXPECT_EQ(got[0].session_id, got[1].session_id);
  EXPECT_EQ(got[0].session_id.size(), 16u);
  EXPECT_EQ(got[0].session_id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(SftpServerTest, LargeFilesRoundTripAndEmptyFilesAreNoUpload) {
  std::string big(5 * 1024 * 1024 + 123, '\0');
  std::mt19937_64 random(42);
  for (char& c : big) c = char(random());
  WriteFile(local() / "big.bin", big);
  WriteFile(local() / "empty.txt", "");
  const SftpRun run =
      Sftp("alice", "alice", {"put big.bin", "put empty.txt", "get big.bin big_back.bin"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(ReadFile(S3("bucket/home/alice/big.bin")) == big);
  EXPECT_TRUE(ReadFile(local() / "big_back.bin") == big);
  EXPECT_TRUE(fs::exists(S3("bucket/home/alice/empty.txt")));
  EXPECT_EQ(fs::file_size(S3("bucket/home/alice/empty.txt")), 0u);

  const std::vector<Upload> got = uploads();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].location, S3Location("bucket", "home/alice/big.bin"));
  EXPECT_EQ(got[0].size, big.size());
  EXPECT_FALSE(got[0].partial);
}

TEST_F(SftpServerTest, SessionsGetTheirOwnIds) {
  WriteFile(local() / "a.txt", "x");
  ASSERT_EQ(Sftp("alice", "alice", {"put a.txt"}).exit_code, 0);
  ASSERT_EQ(Sftp("alice", "alice", {"put a.txt"}).exit_code, 0);
  const std::vector<Upload> got = uploads();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].session_id, got[1].session_id);
}

TEST_F(SftpServerTest, AcceptsEcdsaAndRsaKeys) {
  SftpUser carol;
  carol.user_name = "carol";
  carol.home_directory = "/bucket/home/carol";
  carol.public_keys = {PublicKey("ecdsa"), PublicKey("rsa")};
  AddUser(carol);
  WriteFile(local() / "a.txt", "x");
  for (const char* key : {"ecdsa", "rsa"}) {
    const SftpRun run = Sftp("carol", key, {"put a.txt"});
    EXPECT_EQ(run.exit_code, 0) << key << ": " << run.output;
  }
  EXPECT_EQ(uploads().size(), 2u);
}

TEST_F(SftpServerTest, RefusesAWrongKeyAndAnUnknownUser) {
  WriteFile(local() / "a.txt", "x");
  SftpRun run = Sftp("alice", "other", {"put a.txt"});
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Permission denied"), std::string::npos) << run.output;
  run = Sftp("mallory", "alice", {"put a.txt"});
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_FALSE(fs::exists(S3("bucket/home/alice/a.txt")));
  EXPECT_TRUE(uploads().empty());
  const std::lock_guard lock(mu_);
  EXPECT_GE(lookups_, 2);
}

TEST_F(SftpServerTest, DeniesPathsOutsideAPathHome) {
  WriteFile(local() / "a.txt", "x");
  WriteFile(S3("bucket/home/bob/secret.txt"), "bob's");
  // A leading '-' lets the batch go on after a failing command.
  const SftpRun run =
      Sftp("alice", "alice",
           {"-put a.txt ../escape.txt", "-put a.txt /bucket/home/bob/x.txt",
            "-put a.txt ../../../../bucket/x.txt", "-get ../bob/secret.txt", "-ls /", "-ls ..",
            "-rename ../bob/secret.txt mine.txt", "-rmdir /bucket/home/alice",
            "-cd /bucket/home/bob", "put a.txt ok.txt"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(fs::exists(S3("bucket/home/escape.txt")));
  EXPECT_FALSE(fs::exists(S3("bucket/home/bob/x.txt")));
  EXPECT_FALSE(fs::exists(S3("bucket/x.txt")));
  EXPECT_FALSE(fs::exists(local() / "secret.txt"));
  EXPECT_TRUE(fs::exists(S3("bucket/home/bob/secret.txt")));
  EXPECT_TRUE(fs::exists(S3("bucket/home/alice")));
  EXPECT_TRUE(fs::exists(S3("bucket/home/alice/ok.txt")));
  std::size_t denied = 0;
  for (std::size_t at = 0; (at = run.output.find("ermission denied", at)) != std::string::npos;
       ++at) {
    ++denied;
  }
  EXPECT_GE(denied, 6u) << run.output;
  const std::vector<Upload> got = uploads();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].location, S3Location("bucket", "home/alice/ok.txt"));
}

TEST_F(SftpServerTest, LogicalHomeMapsEntriesOntoTargets) {
  WriteFile(local() / "a.txt", "logical");
  const SftpRun run = Sftp("lara", "alice",
                           {"pwd", "put a.txt", "put a.txt /shared/s.txt", "ls /", "cd ..",
                            "put a.txt up.txt", "ls -l /shared", "-ls /bucket"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(ReadFile(S3("bucket/home/lara/a.txt")), "logical");
  EXPECT_EQ(ReadFile(S3("bucket2/shared/s.txt")), "logical");
  EXPECT_EQ(ReadFile(S3("bucket/home/lara/up.txt")), "logical");
  EXPECT_NE(run.output.find("shared"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("s.txt"), std::string::npos) << run.output;

  const std::vector<Upload> got = uploads();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].user_name, "lara");
  EXPECT_EQ(got[0].location, S3Location("bucket", "home/lara/a.txt"));
  EXPECT_EQ(got[1].location, S3Location("bucket2", "shared/s.txt"));
  EXPECT_EQ(got[2].location, S3Location("bucket", "home/lara/up.txt"));
}

TEST_F(SftpServerTest, SurvivesGarbageOnTheSocket) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string garbage = "GET / HTTP/1.1\r\n\r\n\x00\xff\x01garbage\r\n";
  ASSERT_GT(::write(fd, garbage.data(), garbage.size()), 0);
  ::close(fd);
  WriteFile(local() / "a.txt", "x");
  const SftpRun run = Sftp("alice", "alice", {"put a.txt"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

// A libssh client logged in as alice, for what OpenSSH's sftp will not do on purpose.
class LibsshClient {
 public:
  // Logs in; then starts an sftp session unless `start_sftp` is false.
  LibsshClient(std::uint16_t port, const fs::path& key, bool start_sftp = true) {
    session_ = ssh_new();
    const bool process_config = false;
    ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
    ssh_options_set(session_, SSH_OPTIONS_HOST, "127.0.0.1");
    const unsigned int p = port;
    ssh_options_set(session_, SSH_OPTIONS_PORT, &p);
    ssh_options_set(session_, SSH_OPTIONS_USER, "alice");
    const long timeout = 10;
    ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout);
    if (ssh_connect(session_) != SSH_OK) return;
    ssh_key private_key = nullptr;
    if (ssh_pki_import_privkey_file(key.c_str(), nullptr, nullptr, nullptr, &private_key) !=
        SSH_OK) {
      return;
    }
    const int auth = ssh_userauth_publickey(session_, nullptr, private_key);
    ssh_key_free(private_key);
    if (auth != SSH_AUTH_SUCCESS) return;
    if (!start_sftp) {
      ready_ = true;
      return;
    }
    sftp_ = sftp_new(session_);
    if (sftp_ == nullptr || sftp_init(sftp_) != SSH_OK) return;
    ready_ = true;
  }

  ~LibsshClient() {
    Drop();
    // The connection is gone, so these only free (ssh_disconnect first would free the channel
    // the sftp session still points to).
    if (file_ != nullptr) sftp_close(file_);
    if (sftp_ != nullptr) sftp_free(sftp_);
    ssh_disconnect(session_);
    ssh_free(session_);
  }

  bool ready() const { return ready_; }
  std::string error() const { return ssh_get_error(session_); }
  ssh_session session() const { return session_; }
  sftp_session sftp() const { return sftp_; }

  // Opens `path` for writing and writes `bytes` bytes to it, leaving it open.
  bool WriteAndKeepOpen(const std::string& path, std::size_t bytes) {
    file_ = sftp_open(sftp_, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (file_ == nullptr) return false;
    const std::string data(bytes, 'p');
    return sftp_write(file_, data.data(), data.size()) == ssize_t(data.size());
  }

  // Drops the connection as a killed client would: no CLOSE, no channel close, no goodbye.
  void Drop() {
    const int fd = ssh_get_fd(session_);
    if (!dropped_ && fd >= 0 && ssh_is_connected(session_)) ::shutdown(fd, SHUT_RDWR);
    dropped_ = true;
  }

 private:
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;
  sftp_file file_ = nullptr;
  bool ready_ = false;
  bool dropped_ = false;
};

TEST_F(SftpServerTest, AFileLeftOpenWhenTheClientGoesIsAPartialUpload) {
  LibsshClient client(server_->port(), Key("alice"));
  ASSERT_TRUE(client.ready()) << client.error();
  ASSERT_TRUE(client.WriteAndKeepOpen("part.bin", 1000)) << client.error();
  EXPECT_TRUE(uploads().empty());
  client.Drop();

  const std::vector<Upload> got = WaitForUploads(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].location, S3Location("bucket", "home/alice/part.bin"));
  EXPECT_EQ(got[0].size, 1000u);
  EXPECT_TRUE(got[0].partial);
  EXPECT_EQ(fs::file_size(S3("bucket/home/alice/part.bin")), 1000u);
}

TEST_F(SftpServerTest, StopEndsConnectedSessionsPromptly) {
  LibsshClient client(server_->port(), Key("alice"));
  ASSERT_TRUE(client.ready()) << client.error();
  ASSERT_TRUE(client.WriteAndKeepOpen("cut.bin", 10)) << client.error();
  LibsshClient idle(server_->port(), Key("alice"));
  ASSERT_TRUE(idle.ready()) << idle.error();

  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  // Stop joined the sessions, so their partial uploads are already reported.
  const std::vector<Upload> got = uploads();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].location, S3Location("bucket", "home/alice/cut.bin"));
  EXPECT_TRUE(got[0].partial);
  server_->Stop();  // idempotent
}

TEST_F(SftpServerTest, AnswersEachRequestWithItsStatus) {
  LibsshClient client(server_->port(), Key("alice"));
  ASSERT_TRUE(client.ready()) << client.error();
  const sftp_session sftp = client.sftp();

  EXPECT_EQ(sftp_stat(sftp, "/etc/passwd"), nullptr);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_PERMISSION_DENIED);
  EXPECT_EQ(sftp_stat(sftp, "nope"), nullptr);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_NO_SUCH_FILE);
  EXPECT_EQ(sftp_opendir(sftp, "nope"), nullptr);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_NO_SUCH_FILE);

  ASSERT_EQ(sftp_mkdir(sftp, "d", 0755), 0);
  EXPECT_LT(sftp_mkdir(sftp, "d", 0755), 0);
  // The server answers FAILURE (SFTP v3 has no better code); libssh's client then finds the
  // directory there and reports FILE_ALREADY_EXISTS.
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_FILE_ALREADY_EXISTS);
  EXPECT_EQ(sftp_open(sftp, "d", O_RDONLY, 0), nullptr);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_FAILURE);
  EXPECT_EQ(sftp_chmod(sftp, "d", 0700), 0);  // accepted, meaningless to S3
  EXPECT_EQ(sftp_readlink(sftp, "d"), nullptr);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_OP_UNSUPPORTED);
  EXPECT_LT(sftp_symlink(sftp, "d", "link"), 0);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_OP_UNSUPPORTED);
  EXPECT_LT(sftp_rmdir(sftp, "."), 0);  // the home itself
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_PERMISSION_DENIED);

  char* real = sftp_canonicalize_path(sftp, "d/../../x/./y");
  ASSERT_NE(real, nullptr);
  EXPECT_STREQ(real, "/bucket/home/x/y");
  ssh_string_free_char(real);

  sftp_file file = sftp_open(sftp, "d/f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(sftp_write(file, "abc", 3), 3);
  sftp_seek(file, 0);
  char buffer[16];
  EXPECT_EQ(sftp_read(file, buffer, sizeof buffer), 3);
  EXPECT_EQ(std::string(buffer, 3), "abc");
  EXPECT_EQ(sftp_read(file, buffer, sizeof buffer), 0);  // EOF
  EXPECT_EQ(sftp_close(file), 0);
  sftp_attributes attrs = sftp_stat(sftp, "d/f");
  ASSERT_NE(attrs, nullptr);
  EXPECT_EQ(attrs->size, 3u);
  sftp_attributes_free(attrs);

  EXPECT_LT(sftp_rename(sftp, "d/f", "../f"), 0);
  EXPECT_EQ(sftp_get_error(sftp), SSH_FX_PERMISSION_DENIED);
  EXPECT_LT(sftp_unlink(sftp, "d"), 0);  // a directory
  EXPECT_EQ(sftp_unlink(sftp, "d/f"), 0);
  EXPECT_EQ(sftp_rmdir(sftp, "d"), 0);
  ASSERT_EQ(uploads().size(), 1u);
  EXPECT_EQ(uploads()[0].location, S3Location("bucket", "home/alice/d/f"));
}

// An SFTP channel written to byte by byte, for requests no client library would send.
class RawSftp {
 public:
  RawSftp(std::uint16_t port, const fs::path& key) : client_(port, key, /*start_sftp=*/false) {
    if (!client_.ready()) return;
    channel_ = ssh_channel_new(client_.session());
    if (channel_ == nullptr || ssh_channel_open_session(channel_) != SSH_OK ||
        ssh_channel_request_subsystem(channel_, "sftp") != SSH_OK) {
      return;
    }
    Send(Packet(SSH_FXP_INIT, U32(3)));
    const auto version = Read();
    ready_ = version.has_value() && version->front() == SSH_FXP_VERSION;
  }
  ~RawSftp() {
    if (channel_ != nullptr) ssh_channel_free(channel_);
  }

  bool ready() const { return ready_; }

  static std::string U32(std::uint32_t v) {
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  }
  static std::string U64(std::uint64_t v) { return U32(std::uint32_t(v >> 32)) + U32(v); }
  static std::string Str(const std::string& s) { return U32(std::uint32_t(s.size())) + s; }
  static std::string Packet(std::uint8_t type, const std::string& payload) {
    return U32(std::uint32_t(payload.size() + 1)) + char(type) + payload;
  }

  void Send(const std::string& bytes) {
    ssh_channel_write(channel_, bytes.data(), std::uint32_t(bytes.size()));
  }

  // The next packet (type byte first), or nullopt when the server ends the session or says
  // nothing within a few seconds.
  std::optional<std::string> Read() {
    std::string header = ReadExactly(4);
    if (header.size() != 4) return std::nullopt;
    const std::uint32_t size = std::uint32_t(std::uint8_t(header[0])) << 24 |
                               std::uint32_t(std::uint8_t(header[1])) << 16 |
                               std::uint32_t(std::uint8_t(header[2])) << 8 |
                               std::uint8_t(header[3]);
    std::string body = ReadExactly(size);
    if (body.size() != size || body.empty()) return std::nullopt;
    return body;
  }

 private:
  std::string ReadExactly(std::size_t n) {
    std::string out;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      const int got = ssh_channel_read_timeout(
          channel_, buffer, std::uint32_t(std::min(sizeof buffer, n - out.size())), 0, 500);
      if (got < 0 || (got == 0 && ssh_channel_is_eof(channel_))) break;
      out.append(buffer, std::size_t(got));
    }
    return out;
  }

  LibsshClient client_;
  ssh_channel channel_ = nullptr;
  bool ready_ = false;
};

TEST_F(SftpServerTest, SurvivesMalformedSftpPackets) {
  using R = RawSftp;
  // Requests libssh cannot parse or refuses (READs of 256 KiB or more) end the session; the
  // server must only stay up.
  for (const std::string& garbage :
       {R::Packet(99, R::U32(1)), R::Packet(SSH_FXP_OPEN, R::U32(2)),
        R::Packet(SSH_FXP_WRITE, R::U32(3) + R::U32(1000) + "ab"),
        R::Packet(SSH_FXP_INIT, R::U32(3)),
        R::Packet(SSH_FXP_READ, R::U32(4) + R::Str("1") + R::U64(0) + R::U32(0xffffffff)),
        R::U32(0), R::U32(0x7fffffff) + "x"}) {
    RawSftp raw(server_->port(), Key("alice"));
    ASSERT_TRUE(raw.ready());
    raw.Send(garbage);
    raw.Read();
  }
  // Requests that parse get a status and the session goes on.
  RawSftp raw(server_->port(), Key("alice"));
  ASSERT_TRUE(raw.ready());
  const std::string id = R::U32(42);
  raw.Send(R::Packet(SSH_FXP_READ, id + R::Str("bogus") + R::U64(0) + R::U32(128 * 1024)));
  auto reply = raw.Read();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->substr(0, 5), char(SSH_FXP_STATUS) + id);
  EXPECT_EQ(reply->substr(5, 4), R::U32(SSH_FX_FAILURE));
  raw.Send(R::Packet(SSH_FXP_CLOSE, id + R::Str("")));
  reply = raw.Read();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->substr(5, 4), R::U32(SSH_FX_FAILURE));
  raw.Send(R::Packet(SSH_FXP_OPEN, id + R::Str("../../../../etc/x") +
                                       R::U32(SSH_FXF_WRITE | SSH_FXF_CREAT) + R::U32(0)));
  reply = raw.Read();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->substr(5, 4), R::U32(SSH_FX_PERMISSION_DENIED));
  raw.Send(R::Packet(SSH_FXP_REALPATH, id + R::Str("a/../..")));
  reply = raw.Read();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->front(), char(SSH_FXP_NAME));
  EXPECT_NE(reply->find("/bucket/home"), std::string::npos);

  WriteFile(local() / "a.txt", "x");
  const SftpRun run = Sftp("alice", "alice", {"put a.txt"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace
}  // namespace stepway::transfer

#include "transfer/pgp.h"

#include <fcntl.h>
#include <gpgme.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "json/json.h"

extern char** environ;

namespace stepway::transfer {
namespace {

namespace fs = std::filesystem;

// A key file holds one armored key and a passphrase; anything this large is not one.
constexpr std::size_t kMaxKeyFileBytes = 1024 * 1024;
constexpr std::string_view kDefaultKeyFileName = "@pgp-default.json";
constexpr std::string_view kPrivateKeyMember = "PGPPrivateKey";
constexpr std::string_view kPassphraseMember = "PGPPassphrase";
constexpr std::string_view kPrivateKeyArmorLine = "-----BEGIN PGP PRIVATE KEY BLOCK-----";
constexpr std::string_view kHomeNamePattern = "stepway-pgp-XXXXXX";
// The longest socket name gpg-agent puts in its home (S.gpg-agent.browser), plus the '/'.
constexpr std::size_t kLongestAgentSocketName = 20;
// How long a killed gpg-agent gets to remove its sockets before its home is deleted anyway.
constexpr std::chrono::milliseconds kAgentExitWait{2000};
constexpr std::chrono::milliseconds kAgentExitPoll{5};
// The gpg-agent of a temporary home. An imported key is re-protected by the agent at its first
// use, with an S2K count it first calibrates (~100 ms of hashing, but seconds on a busy machine):
// the minimum count skips that, and protects nothing of value, since the home is deleted after
// the call while the passphrase itself is in the key file. No smartcard daemon is wanted.
constexpr std::string_view kAgentConf =
    "s2k-count 65536\n"
    "allow-loopback-pinentry\n"
    "disable-scdaemon\n";

std::string ErrnoText(int err) { return std::strerror(err); }

std::string GpgText(gpgme_error_t err) {
  char buf[256];
  gpgme_strerror_r(err, buf, sizeof buf);
  return buf;
}

// A file or directory name for one path component: no separators, no "." or "..".
bool IsPlainName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// The key in one key file; nullopt when the file does not exist.
Result<std::optional<PgpKey>> ReadKeyFile(const fs::path& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    return Fail(ErrorCode::kInternal,
                "cannot open PGP key file " + path.string() + ": " + ErrnoText(errno));
  }
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Fail(ErrorCode::kInternal,
                  "cannot read PGP key file " + path.string() + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxKeyFileBytes) {
      return Fail(ErrorCode::kInvalidArgument, "PGP key file " + path.string() +
                                                   " is larger than " +
                                                   std::to_string(kMaxKeyFileBytes) + " bytes");
    }
  }

  const auto invalid = [&path](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, "PGP key file " + path.string() + ": " + why);
  };
  auto value = json::Parse(text);
  if (!value) return invalid("not JSON: " + value.error().message);
  if (!value->is_object()) {
    return invalid(std::string("expected a JSON object with \"PGPPrivateKey\", got ") +
                   json::TypeName(*value));
  }
  PgpKey key;
  const json::Value* private_key = json::Find(*value, kPrivateKeyMember);
  if (private_key == nullptr) return invalid("no \"PGPPrivateKey\" member");
  if (!private_key->is_string()) {
    return invalid(std::string("\"PGPPrivateKey\" is a ") + json::TypeName(*private_key) +
                   ", not a string");
  }
  key.private_key = std::string(private_key->get_string());
  if (key.private_key.find(kPrivateKeyArmorLine) == std::string::npos) {
    return invalid("\"PGPPrivateKey\" is not an ASCII-armored secret key (no \"" +
                   std::string(kPrivateKeyArmorLine) + "\" line)");
  }
  if (const json::Value* passphrase = json::Find(*value, kPassphraseMember);
      passphrase != nullptr && !passphrase->is_null()) {
    if (!passphrase->is_string()) {
      return invalid(std::string("\"PGPPassphrase\" is a ") + json::TypeName(*passphrase) +
                     ", not a string");
    }
    key.passphrase = std::string(passphrase->get_string());
  }
  return key;
}

// ---- GPGME ----

// gpgme_check_version initialises the library (and makes it ignore SIGPIPE, which a write to a
// gpg that has quit would otherwise raise); it must run once before any other call.
Status InitGpgme() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] {
    if (gpgme_check_version(nullptr) == nullptr) {
      status = Fail(ErrorCode::kInternal, "GPGME failed to initialise");
      return;
    }
    if (const gpgme_error_t err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP); err != 0) {
      status = Fail(ErrorCode::kInternal, "GnuPG (gpg) is not usable: " + GpgText(err));
    }
  });
  return status;
}

struct CtxDeleter {
  void operator()(gpgme_ctx_t ctx) const { gpgme_release(ctx); }
};
struct DataDeleter {
  void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
struct KeyDeleter {
  void operator()(gpgme_key_t key) const { gpgme_key_unref(key); }
};
using Ctx = std::unique_ptr<std::remove_pointer_t<gpgme_ctx_t>, CtxDeleter>;
using Data = std::unique_ptr<std::remove_pointer_t<gpgme_data_t>, DataDeleter>;
using Key = std::unique_ptr<std::remove_pointer_t<gpgme_key_t>, KeyDeleter>;

// The gpgconf that GPGME uses; "gpgconf" (found on PATH) when GPGME does not say.
std::string GpgconfPath() {
  gpgme_engine_info_t info = nullptr;
  if (gpgme_get_engine_info(&info) == 0) {
    for (; info != nullptr; info = info->next) {
      if (info->protocol == GPGME_PROTOCOL_GPGCONF && info->file_name != nullptr) {
        return info->file_name;
      }
    }
  }
  return "gpgconf";
}

// Runs `gpgconf --homedir HOME --kill gpg-agent` and waits for it. gpgconf does not start an
// agent that is not running.
void KillAgent(const std::string& home) {
  const std::string gpgconf = GpgconfPath();
  std::string arg0 = gpgconf, arg1 = "--homedir", arg2 = home, arg3 = "--kill", arg4 = "gpg-agent";
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), arg3.data(), arg4.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd : {0, 1, 2}) {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  // The caller's signal mask and ignored signals are no business of gpgconf's.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const int err = gpgconf.find('/') == std::string::npos
                      ? posix_spawnp(&pid, gpgconf.c_str(), &actions, &attr, argv, environ)
                      : posix_spawn(&pid, gpgconf.c_str(), &actions, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return;
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }

  // KILLAGENT is answered before the agent exits; its last act is removing its socket.
  const fs::path socket = fs::path(home) / "S.gpg-agent";
  const auto deadline = std::chrono::steady_clock::now() + kAgentExitWait;
  std::error_code ec;
  while (fs::exists(fs::symlink_status(socket, ec)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kAgentExitPoll);
  }
}

// A private GnuPG home for one call: created 0700 by mkdtemp; on destruction the gpg-agent that
// gpg started for it is killed and the directory removed.
class TempHome {
 public:
  static Result<std::unique_ptr<TempHome>> Create() {
    std::error_code ec;
    std::string dir = fs::temp_directory_path(ec).string();
    // gpg-agent's sockets live in the home; a socket name must fit in sun_path.
    if (ec || dir.size() + 1 + kHomeNamePattern.size() + kLongestAgentSocketName >=
                  sizeof(sockaddr_un::sun_path)) {
      dir = "/tmp";
    }
    std::string path = dir + "/" + std::string(kHomeNamePattern);
    if (::mkdtemp(path.data()) == nullptr) {
      return Fail(ErrorCode::kInternal,
                  "cannot create a GnuPG home in " + dir + ": " + ErrnoText(errno));
    }
    auto home = std::unique_ptr<TempHome>(new TempHome(std::move(path)));
    if (Status conf = home->WriteFile("gpg-agent.conf", kAgentConf); !conf) {
      return tl::unexpected(std::move(conf.error()));
    }
    return home;
  }

  ~TempHome() {
    if (agent_may_run_) KillAgent(path_);
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;

  const std::string& path() const { return path_; }
  // Called before the first gpg runs in this home: from then on an agent may have started.
  void MarkAgentMayRun() { agent_may_run_ = true; }

 private:
  explicit TempHome(std::string path) : path_(std::move(path)) {}

  Status WriteFile(std::string_view name, std::string_view text) const {
    const std::string file = path_ + "/" + std::string(name);
    const UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0 ||
        ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return Fail(ErrorCode::kInternal, "cannot write " + file + ": " + ErrnoText(errno));
    }
    return {};
  }

  std::string path_;
  bool agent_may_run_ = false;
};

// The output file while it is written: `out_path` plus a unique suffix, renamed onto
// `out_path` by Commit(), removed otherwise.
class PendingOutput {
 public:
  static Result<std::unique_ptr<PendingOutput>> Create(const std::string& out_path) {
    static std::atomic<unsigned> counter{0};
    for (;;) {
      std::string temp = out_path + ".stepway-decrypt-" + std::to_string(::getpid()) + "-" +
                         std::to_string(counter.fetch_add(1));
      const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        return std::unique_ptr<PendingOutput>(new PendingOutput(fd, std::move(temp), out_path));
      }
      if (errno != EEXIST) {
        return Fail(ErrorCode::kInternal,
                    "cannot create output file " + out_path + ": " + ErrnoText(errno));
      }
    }
  }

  ~PendingOutput() {
    fd_.Reset();
    if (!committed_) ::unlink(temp_.c_str());
  }
  PendingOutput(const PendingOutput&) = delete;
  PendingOutput& operator=(const PendingOutput&) = delete;

  int fd() const { return fd_.get(); }

  Status Commit() {
    if (::fsync(fd_.get()) != 0) {
      return Fail(ErrorCode::kInternal, "cannot write " + out_path_ + ": " + ErrnoText(errno));
    }
    fd_.Reset();
    if (::rename(temp_.c_str(), out_path_.c_str()) != 0) {
      return Fail(ErrorCode::kInternal,
                  "cannot rename " + temp_ + " to " + out_path_ + ": " + ErrnoText(errno));
    }
    committed_ = true;
    return {};
  }

 private:
  PendingOutput(int fd, std::string temp, std::string out_path)
      : fd_(fd), temp_(std::move(temp)), out_path_(std::move(out_path)) {}
  UniqueFd fd_;
  std::string temp_;
  std::string out_path_;
  bool committed_ = false;
};

// Answers gpg's passphrase questions from the configured keys, and remembers what was asked so
// that a failure can say why.
struct PassphraseBook {
  struct Entry {
    std::string passphrase;
    std::string user_id;
  };
  std::map<std::string, Entry> by_keyid;  // every (sub)key's 16-hex-digit key ID

  std::string asked_keyid;     // the last key ID asked about, "" if none
  std::string rejected_keyid;  // a key whose passphrase gpg rejected, "" if none
  bool asked_unknown = false;  // asked for a passphrase we do not have (e.g. symmetric)

  const Entry* Find(std::string_view keyid) const {
    const auto it = by_keyid.find(std::string(keyid));
    return it == by_keyid.end() ? nullptr : &it->second;
  }

  std::string Describe(const std::string& keyid) const {
    const Entry* entry = Find(keyid);
    return entry == nullptr || entry->user_id.empty() ? keyid : keyid + " (" + entry->user_id + ")";
  }
};

// gpg's passphrase_info is "KEYID MAINKEYID ALGO LENGTH" for a secret key, "CIPHER S2K HASH"
// for a symmetrically encrypted message.
gpgme_error_t AnswerPassphrase(void* hook, const char* uid_hint, const char* passphrase_info,
                               int prev_was_bad, int fd) {
  auto& book = *static_cast<PassphraseBook*>(hook);
  if (prev_was_bad && !book.asked_keyid.empty()) book.rejected_keyid = book.asked_keyid;

  std::vector<std::string_view> ids;
  for (std::string_view text : {std::string_view(passphrase_info ? passphrase_info : ""),
                                std::string_view(uid_hint ? uid_hint : "")}) {
    while (!text.empty()) {
      const std::size_t space = text.find(' ');
      ids.push_back(text.substr(0, space));
      if (space == std::string_view::npos) break;
      text.remove_prefix(space + 1);
    }
  }
  for (std::string_view id : ids) {
    const PassphraseBook::Entry* entry = book.Find(id);
    if (entry == nullptr) continue;
    // gpg asks again only after a wrong answer: the same answer again would not help.
    if (prev_was_bad && book.asked_keyid == id) break;
    book.asked_keyid = std::string(id);
    std::string answer = entry->passphrase + "\n";
    const bool ok = gpgme_io_writen(fd, answer.data(), answer.size()) == 0;
    std::fill(answer.begin(), answer.end(), '\0');
    return ok ? 0 : gpgme_error_from_errno(errno);
  }
  if (!prev_was_bad) book.asked_unknown = true;
  return gpg_error(GPG_ERR_CANCELED);
}

// Imports `key` into the context's home and records its key IDs and passphrase in `book`
// (the first key configured for a key ID wins). False when gpg found no secret key in it.
bool ImportKey(gpgme_ctx_t ctx, const PgpKey& key, PassphraseBook& book) {
  gpgme_data_t raw = nullptr;
  if (gpgme_data_new_from_mem(&raw, key.private_key.data(), key.private_key.size(), 0) != 0) {
    return false;
  }
  const Data data(raw);
  if (gpgme_op_import(ctx, data.get()) != 0) return false;
  const gpgme_import_result_t result = gpgme_op_import_result(ctx);
  if (result == nullptr) return false;
  bool any = false;
  for (gpgme_import_status_t s = result->imports; s != nullptr; s = s->next) {
    if (s->result != 0 || s->fpr == nullptr) continue;
    gpgme_key_t raw_key = nullptr;
    if (gpgme_get_key(ctx, s->fpr, &raw_key, /*secret=*/1) != 0) continue;
    const Key k(raw_key);
    any = true;
    const std::string user_id =
        k->uids != nullptr && k->uids->uid != nullptr ? k->uids->uid : std::string();
    for (gpgme_subkey_t sub = k->subkeys; sub != nullptr; sub = sub->next) {
      if (sub->keyid != nullptr)
        book.by_keyid.try_emplace(sub->keyid, PassphraseBook::Entry{key.passphrase, user_id});
    }
  }
  return any;
}

// Turns a failed decryption into the error DecryptFile promises.
Error DecryptError(gpgme_ctx_t ctx, gpgme_error_t err, const PassphraseBook& book,
                   const std::string& in_path) {
  const gpgme_err_code_t code = gpgme_err_code(err);
  const auto precondition = [&in_path](const std::string& why) {
    return Error{ErrorCode::kFailedPrecondition, "cannot decrypt " + in_path + ": " + why};
  };
  if (code == GPG_ERR_NO_DATA) return precondition("the file is not OpenPGP encrypted data");
  if (!book.rejected_keyid.empty() || code == GPG_ERR_BAD_PASSPHRASE) {
    const std::string& keyid = book.rejected_keyid.empty() ? book.asked_keyid : book.rejected_keyid;
    return precondition("wrong passphrase (PGPPassphrase) for key " +
                        (keyid.empty() ? std::string("?") : book.Describe(keyid)));
  }

  std::string recipients;
  bool has_seckey = false;
  if (const gpgme_decrypt_result_t result = gpgme_op_decrypt_result(ctx); result != nullptr) {
    for (gpgme_recipient_t r = result->recipients; r != nullptr; r = r->next) {
      if (r->keyid == nullptr) continue;
      if (!recipients.empty()) recipients += ", ";
      recipients += r->keyid;
      if (book.Find(r->keyid) != nullptr) has_seckey = true;
    }
  }
  if (book.asked_unknown && recipients.empty()) {
    return precondition("the message is encrypted with a passphrase, not to a key");
  }
  if (code == GPG_ERR_NO_SECKEY || (!recipients.empty() && !has_seckey)) {
    return precondition("none of the configured keys opens it (encrypted to " +
                        (recipients.empty() ? std::string("unknown keys") : recipients) + ")");
  }
  if (code == GPG_ERR_CANCELED && !book.asked_keyid.empty()) {
    return precondition("wrong passphrase (PGPPassphrase) for key " +
                        book.Describe(book.asked_keyid));
  }
  if (gpgme_err_code_to_errno(code) != 0) {
    return Error{ErrorCode::kInternal, "cannot decrypt " + in_path + ": " + GpgText(err)};
  }
  return precondition("decryption failed (the data may be truncated or corrupt): " + GpgText(err));
}

}  // namespace

Result<std::vector<PgpKey>> LoadPgpKeys(const std::string& keys_dir, const std::string& server_id,
                                        const std::string& user_name) {
  if (!IsPlainName(server_id)) {
    return Fail(ErrorCode::kInvalidArgument,
                "invalid server id for PGP keys: \"" + server_id + "\"");
  }
  if (!IsPlainName(user_name)) {
    return Fail(ErrorCode::kInvalidArgument,
                "invalid user name for PGP keys: \"" + user_name + "\"");
  }
  const fs::path server_dir = fs::path(keys_dir) / server_id;
  std::vector<PgpKey> keys;
  for (const fs::path& path :
       {server_dir / (user_name + ".json"), server_dir / std::string(kDefaultKeyFileName)}) {
    auto key = ReadKeyFile(path);
    if (!key) return tl::unexpected(std::move(key.error()));
    if (key->has_value()) keys.push_back(std::move(**key));
  }
  return keys;
}

Status DecryptFile(const std::string& in_path, const std::string& out_path,
                   const std::vector<PgpKey>& keys) {
  if (keys.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                "cannot decrypt " + in_path + ": no PGP private key is configured");
  }
  if (Status init = InitGpgme(); !init) return init;

  const UniqueFd in_fd(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in_fd.get() < 0) {
    return Fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal,
                "cannot open " + in_path + ": " + ErrnoText(errno));
  }

  auto home = TempHome::Create();
  if (!home) return tl::unexpected(std::move(home.error()));

  // The passphrase callback's hook: declared before `ctx`, so that it outlives it.
  PassphraseBook book;
  gpgme_ctx_t raw_ctx = nullptr;
  if (const gpgme_error_t err = gpgme_new(&raw_ctx); err != 0) {
    return Fail(ErrorCode::kInternal, "gpgme_new: " + GpgText(err));
  }
  const Ctx ctx(raw_ctx);
  const auto setup_failed = [](const char* what, gpgme_error_t err) {
    return Fail(ErrorCode::kInternal,
                std::string("cannot set the GPGME ") + what + ": " + GpgText(err));
  };
  if (const gpgme_error_t err = gpgme_set_protocol(ctx.get(), GPGME_PROTOCOL_OpenPGP); err != 0) {
    return setup_failed("protocol", err);
  }
  if (const gpgme_error_t err = gpgme_ctx_set_engine_info(ctx.get(), GPGME_PROTOCOL_OpenPGP,
                                                          nullptr, (*home)->path().c_str());
      err != 0) {
    return setup_failed("GnuPG home", err);
  }
  if (const gpgme_error_t err = gpgme_set_pinentry_mode(ctx.get(), GPGME_PINENTRY_MODE_LOOPBACK);
      err != 0) {
    return setup_failed("pinentry mode", err);
  }
  gpgme_set_passphrase_cb(ctx.get(), AnswerPassphrase, &book);

  (*home)->MarkAgentMayRun();
  std::size_t imported = 0;
  for (const PgpKey& key : keys) imported += ImportKey(ctx.get(), key, book) ? 1 : 0;
  if (imported == 0) {
    return Fail(ErrorCode::kFailedPrecondition,
                "cannot decrypt " + in_path + ": none of the " + std::to_string(keys.size()) +
                    " configured PGP keys could be imported as a secret key");
  }

  auto out = PendingOutput::Create(out_path);
  if (!out) return tl::unexpected(std::move(out.error()));
  gpgme_data_t raw_in = nullptr, raw_out = nullptr;
  if (const gpgme_error_t err = gpgme_data_new_from_fd(&raw_in, in_fd.get()); err != 0) {
    return Fail(ErrorCode::kInternal, "gpgme_data_new_from_fd: " + GpgText(err));
  }
  const Data cipher(raw_in);
  if (const gpgme_error_t err = gpgme_data_new_from_fd(&raw_out, (*out)->fd()); err != 0) {
    return Fail(ErrorCode::kInternal, "gpgme_data_new_from_fd: " + GpgText(err));
  }
  const Data plain(raw_out);

  if (const gpgme_error_t err = gpgme_op_decrypt(ctx.get(), cipher.get(), plain.get()); err != 0) {
    return tl::unexpected(DecryptError(ctx.get(), err, book, in_path));
  }
  return (*out)->Commit();
}

}  // namespace stepway::transfer

#include "transfer/pgp.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace stepway::transfer {
namespace {

namespace fs = std::filesystem;

constexpr char kBobPassphrase[] = "correct horse battery staple";
constexpr char kArmoredStub[] =
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const fs::path& path, const std::string& data) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Key files as AWS Secrets Manager holds them.
std::string KeyJson(const std::string& armored, const std::string& passphrase) {
  std::string escaped;
  for (char c : armored) {
    if (c == '\n') {
      escaped += "\\n";
    } else if (c != '\r') {
      escaped += c;
    }
  }
  return "{\"PGPPrivateKey\": \"" + escaped + "\", \"PGPPassphrase\": \"" + passphrase + "\"}";
}

// The gpg-agent processes whose home is below `root` (zombies have an empty cmdline).
std::vector<std::string> AgentsBelow(const fs::path& root) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string cmdline = ReadAll(entry.path() / "cmdline");
    std::vector<std::string> argv;
    std::stringstream ss(cmdline);
    for (std::string arg; std::getline(ss, arg, '\0');) argv.push_back(arg);
    if (argv.empty() || fs::path(argv[0]).filename() != "gpg-agent") continue;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--homedir" && argv[i + 1].rfind(root.string(), 0) == 0) {
        found.push_back(entry.path().filename().string() + " " + argv[i + 1]);
      }
    }
  }
  return found;
}

// A GnuPG home with key pairs made by the gpg command line, and messages encrypted to them.
// DecryptFile's own temporary homes go to TMPDIR=ROOT/tmp, so that the tests can see that each
// call removes its home and stops its agent.
class PgpTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl = (fs::path(testing::TempDir()) / "pgp_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = new fs::path(tmpl);
    fs::create_directories(*root_ / "gnupg");
    fs::permissions(*root_ / "gnupg", fs::perms::owner_all, fs::perm_options::replace);
    fs::create_directories(*root_ / "tmp");
    const char* old_tmpdir = std::getenv("TMPDIR");
    old_tmpdir_ = old_tmpdir == nullptr ? nullptr : new std::string(old_tmpdir);
    ::setenv("TMPDIR", (*root_ / "tmp").c_str(), 1);

    keys_ = new std::map<std::string, PgpKey>;
    for (const auto& [name, passphrase] : std::vector<std::pair<std::string, std::string>>{
             {"alice", ""}, {"bob", kBobPassphrase}, {"carol", ""}, {"mallory", ""}}) {
      const std::string pass = " --pinentry-mode loopback --passphrase '" + passphrase + "'";
      ASSERT_TRUE(Gpg(pass + " --quick-gen-key '" + name + " <" + name +
                      "@example.com>' future-default default never"));
      const fs::path exported = *root_ / (name + ".asc");
      ASSERT_TRUE(Gpg(pass + " --armor --output " + exported.string() + " --export-secret-keys " +
                      name + "@example.com"));
      (*keys_)[name] = PgpKey{ReadAll(exported), passphrase};
    }
  }

  static void TearDownTestSuite() {
    Gpg("", "gpgconf --homedir " + (*root_ / "gnupg").string() + " --kill gpg-agent");
    if (old_tmpdir_ != nullptr) {
      ::setenv("TMPDIR", old_tmpdir_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
    std::error_code ec;
    fs::remove_all(*root_, ec);
    delete root_;
    delete keys_;
    delete old_tmpdir_;
  }

  void SetUp() override {
    dir_ = *root_ / testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
  }

  // Every DecryptFile call must leave no home behind and no agent running.
  void TearDown() override {
    EXPECT_TRUE(fs::is_empty(*root_ / "tmp")) << "a temporary GnuPG home was left behind";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::vector<std::string> agents = AgentsBelow(*root_ / "tmp");
    while (!agents.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      agents = AgentsBelow(*root_ / "tmp");
    }
    EXPECT_TRUE(agents.empty()) << "gpg-agent left running: " << agents.front();
  }

  // Runs gpg (or `command`) on the test keyring; false, with its output printed, on failure.
  static bool Gpg(const std::string& args, const std::string& command = "") {
    const fs::path log = *root_ / "gpg.log";
    const std::string line =
        (command.empty() ? "gpg --homedir " + (*root_ / "gnupg").string() +
                               " --batch --yes --quiet --trust-model always" + args
                         : command) +
        " >" + log.string() + " 2>&1";
    if (std::system(line.c_str()) == 0) return true;
    ADD_FAILURE() << line << "\n" << ReadAll(log);
    return false;
  }

  // Encrypts `plain` to the named keys; returns the path of the message.
  fs::path Encrypt(const std::string& plain, const std::vector<std::string>& recipients, bool armor,
                   const std::string& name = "message") {
    const fs::path in = dir_ / (name + ".txt");
    const fs::path out = dir_ / (name + (armor ? ".asc" : ".gpg"));
    WriteAll(in, plain);
    std::string args = armor ? " --armor" : "";
    for (const std::string& r : recipients) args += " --recipient " + r + "@example.com";
    EXPECT_TRUE(Gpg(args + " --output " + out.string() + " --encrypt " + in.string()));
    return out;
  }

  static const PgpKey& KeyOf(const std::string& name) { return keys_->at(name); }

  static fs::path* root_;
  static std::map<std::string, PgpKey>* keys_;
  static std::string* old_tmpdir_;
  fs::path dir_;
};

fs::path* PgpTest::root_ = nullptr;
std::map<std::string, PgpKey>* PgpTest::keys_ = nullptr;
std::string* PgpTest::old_tmpdir_ = nullptr;

TEST_F(PgpTest, DecryptsBinaryMessage) {
  const fs::path message = Encrypt("hello, binary\n", {"alice"}, false);
  const fs::path out = dir_ / "plain";
  const Status status = DecryptFile(message, out, {KeyOf("alice")});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(ReadAll(out), "hello, binary\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 3)
      << "no temporary output file is left next to the output";
}

TEST_F(PgpTest, DecryptsArmoredMessage) {
  const fs::path message = Encrypt("hello, armor\n", {"alice"}, true);
  ASSERT_EQ(ReadAll(message).rfind("-----BEGIN PGP MESSAGE-----", 0), 0u);
  const fs::path out = dir_ / "plain";
  const Status status = DecryptFile(message, out, {KeyOf("alice")});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(ReadAll(out), "hello, armor\n");
}

TEST_F(PgpTest, DecryptsLargeFile) {
  std::string plain(12 * 1024 * 1024, '\0');
  std::mt19937_64 random(42);  // incompressible, so the message is as large as the file
  for (std::size_t i = 0; i + 8 <= plain.size(); i += 8) {
    const std::uint64_t word = random();
    std::memcpy(plain.data() + i, &word, 8);
  }
  for (bool armor : {false, true}) {
    const fs::path message = Encrypt(plain, {"alice"}, armor, armor ? "large-armor" : "large");
    const fs::path out = dir_ / (armor ? "plain-armor" : "plain");
    const Status status = DecryptFile(message, out, {KeyOf("alice")});
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_TRUE(ReadAll(out) == plain) << "armor=" << armor;
  }
}

TEST_F(PgpTest, DecryptsWithPassphraseKey) {
  const fs::path message = Encrypt("for bob\n", {"bob"}, false);
  const fs::path out = dir_ / "plain";
  const Status status = DecryptFile(message, out, {KeyOf("bob")});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(ReadAll(out), "for bob\n");
}

TEST_F(PgpTest, WrongPassphraseFailsAndSaysSo) {
  const fs::path message = Encrypt("for bob\n", {"bob"}, false);
  const fs::path out = dir_ / "plain";
  PgpKey key = KeyOf("bob");
  key.passphrase = "not it";
  const Status status = DecryptFile(message, out, {key});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("passphrase"), std::string::npos) << status.error().message;
  EXPECT_NE(status.error().message.find("bob@example.com"), std::string::npos)
      << status.error().message;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PgpTest, MissingPassphraseFails) {
  const fs::path message = Encrypt("for bob\n", {"bob"}, false);
  const fs::path out = dir_ / "plain";
  PgpKey key = KeyOf("bob");
  key.passphrase.clear();
  const Status status = DecryptFile(message, out, {key});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("passphrase"), std::string::npos) << status.error().message;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PgpTest, WrongKeyFailsAndLeavesNoOutput) {
  const fs::path message = Encrypt("for mallory\n", {"mallory"}, false);
  const fs::path out = dir_ / "plain";
  const Status status = DecryptFile(message, out, {KeyOf("alice"), KeyOf("carol")});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("none of the configured keys"), std::string::npos)
      << status.error().message;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2)
      << "no temporary output file is left next to the output";
}

TEST_F(PgpTest, FailureKeepsAnExistingOutputFile) {
  const fs::path message = Encrypt("for mallory\n", {"mallory"}, true);
  const fs::path out = dir_ / "plain";
  WriteAll(out, "earlier\n");
  ASSERT_FALSE(DecryptFile(message, out, {KeyOf("alice")}));
  EXPECT_EQ(ReadAll(out), "earlier\n");
}

TEST_F(PgpTest, SuccessReplacesAnExistingOutputFile) {
  const fs::path message = Encrypt("new\n", {"alice"}, false);
  const fs::path out = dir_ / "plain";
  WriteAll(out, "earlier and longer\n");
  ASSERT_TRUE(DecryptFile(message, out, {KeyOf("alice")}));
  EXPECT_EQ(ReadAll(out), "new\n");
}

TEST_F(PgpTest, NotOpenPgpDataFails) {
  // More than a pipe holds: gpg gives up before reading it all, and the writes to its closed
  // stdin must not kill the process (GPGME ignores SIGPIPE).
  std::string noise(1024 * 1024, '\0');
  std::mt19937 random(7);
  for (char& c : noise) c = static_cast<char>(random());
  for (const auto& [name, data] : std::vector<std::pair<std::string, std::string>>{
           {"text", "just some text, not a PGP message\n"},
           {"empty", ""},
           {"noise", noise},
           {"armor-only", "-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n"}}) {
    const fs::path in = dir_ / name;
    WriteAll(in, data);
    const fs::path out = dir_ / (name + ".out");
    const Status status = DecryptFile(in, out, {KeyOf("alice")});
    ASSERT_FALSE(status) << name;
    EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition) << name;
    EXPECT_NE(status.error().message.find("not OpenPGP"), std::string::npos)
        << name << ": " << status.error().message;
    EXPECT_FALSE(fs::exists(out)) << name;
  }
}

TEST_F(PgpTest, SymmetricMessageFails) {
  const fs::path in = dir_ / "plain.txt";
  WriteAll(in, "secret\n");
  const fs::path message = dir_ / "plain.gpg";
  ASSERT_TRUE(Gpg(" --pinentry-mode loopback --passphrase pw --output " + message.string() +
                  " --symmetric " + in.string()));
  const fs::path out = dir_ / "out";
  const Status status = DecryptFile(message, out, {KeyOf("alice")});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("passphrase, not to a key"), std::string::npos)
      << status.error().message;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(PgpTest, AnyConfiguredKeyMayOpenIt) {
  // Encrypted to both alice and bob; bob's passphrase is wrong, alice's key opens it.
  const fs::path message = Encrypt("to both\n", {"bob", "alice"}, false);
  PgpKey bob = KeyOf("bob");
  bob.passphrase = "not it";
  const fs::path out = dir_ / "plain";
  const Status status = DecryptFile(message, out, {bob, KeyOf("alice")});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(ReadAll(out), "to both\n");
}

TEST_F(PgpTest, NoKeysFails) {
  const fs::path message = Encrypt("x\n", {"alice"}, false);
  const Status status = DecryptFile(message, dir_ / "out", {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(PgpTest, UnusableKeyFails) {
  const fs::path message = Encrypt("x\n", {"alice"}, false);
  const Status status = DecryptFile(message, dir_ / "out", {PgpKey{kArmoredStub, ""}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("could be imported"), std::string::npos)
      << status.error().message;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(PgpTest, MissingInputIsNotFound) {
  const Status status = DecryptFile(dir_ / "absent.gpg", dir_ / "out", {KeyOf("alice")});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

// The DECRYPT step's path: the user's key file, else the server's default.
TEST_F(PgpTest, UserKeyThenServerDefault) {
  const fs::path keys_dir = dir_ / "keys";
  WriteAll(keys_dir / "s-1" / "alice.json", KeyJson(KeyOf("alice").private_key, ""));
  WriteAll(keys_dir / "s-1" / "@pgp-default.json", KeyJson(KeyOf("carol").private_key, ""));
  WriteAll(keys_dir / "s-1" / "bob.json", KeyJson(KeyOf("bob").private_key, kBobPassphrase));

  auto alice_keys = LoadPgpKeys(keys_dir, "s-1", "alice");
  ASSERT_TRUE(alice_keys) << alice_keys.error().message;
  ASSERT_EQ(alice_keys->size(), 2u);
  EXPECT_EQ((*alice_keys)[0].private_key, KeyOf("alice").private_key);
  EXPECT_EQ((*alice_keys)[1].private_key, KeyOf("carol").private_key);

  const fs::path to_alice = Encrypt("to alice\n", {"alice"}, false, "to-alice");
  const fs::path to_carol = Encrypt("to carol\n", {"carol"}, true, "to-carol");
  const fs::path to_bob = Encrypt("to bob\n", {"bob"}, false, "to-bob");

  ASSERT_TRUE(DecryptFile(to_alice, dir_ / "a", *alice_keys));
  EXPECT_EQ(ReadAll(dir_ / "a"), "to alice\n");
  ASSERT_TRUE(DecryptFile(to_carol, dir_ / "c", *alice_keys));
  EXPECT_EQ(ReadAll(dir_ / "c"), "to carol\n");

  auto bob_keys = LoadPgpKeys(keys_dir, "s-1", "bob");
  ASSERT_TRUE(bob_keys);
  ASSERT_EQ(bob_keys->size(), 2u);
  EXPECT_EQ((*bob_keys)[0].passphrase, kBobPassphrase);
  const Status bob_status = DecryptFile(to_bob, dir_ / "b", *bob_keys);
  ASSERT_TRUE(bob_status) << bob_status.error().message;
  EXPECT_EQ(ReadAll(dir_ / "b"), "to bob\n");

  // dave has no key of his own: only the server default.
  auto dave_keys = LoadPgpKeys(keys_dir, "s-1", "dave");
  ASSERT_TRUE(dave_keys);
  ASSERT_EQ(dave_keys->size(), 1u);
  ASSERT_TRUE(DecryptFile(to_carol, dir_ / "d", *dave_keys));
  const Status status = DecryptFile(to_alice, dir_ / "d2", *dave_keys);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(PgpTest, ConcurrentCalls) {
  constexpr int kThreads = 4;
  std::vector<fs::path> messages;
  for (int i = 0; i < kThreads; ++i) {
    messages.push_back(Encrypt("message " + std::to_string(i) + "\n", {i % 2 ? "bob" : "alice"},
                               i % 3 == 0, "m" + std::to_string(i)));
  }
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] = DecryptFile(messages[i], dir_ / ("out" + std::to_string(i)),
                               {KeyOf("alice"), KeyOf("bob")});
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i]) << i << ": " << results[i].error().message;
    EXPECT_EQ(ReadAll(dir_ / ("out" + std::to_string(i))), "message " + std::to_string(i) + "\n");
  }
}

// ---- LoadPgpKeys: files only, no gpg ----

class PgpLoadKeysTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(testing::TempDir()) / "pgp_keys_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(PgpLoadKeysTest, NoFilesNoKeys) {
  auto keys = LoadPgpKeys(dir_, "s-1", "alice");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_TRUE(keys->empty());
  keys = LoadPgpKeys(dir_ / "absent", "s-1", "alice");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_TRUE(keys->empty());
}

TEST_F(PgpLoadKeysTest, PassphraseMayBeAbsentOrNull) {
  WriteAll(dir_ / "s-1" / "alice.json",
           std::string("{\"PGPPrivateKey\": \"") + "-----BEGIN PGP PRIVATE KEY BLOCK-----\\nxx\"}");
  WriteAll(dir_ / "s-1" / "@pgp-default.json",
           std::string("{\"PGPPrivateKey\": \"-----BEGIN PGP PRIVATE KEY BLOCK-----\", "
                       "\"PGPPassphrase\": null, \"Other\": 1}"));
  auto keys = LoadPgpKeys(dir_, "s-1", "alice");
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].private_key, "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx");
  EXPECT_EQ((*keys)[0].passphrase, "");
  EXPECT_EQ((*keys)[1].passphrase, "");
}

TEST_F(PgpLoadKeysTest, MalformedFilesAreInvalidArgument) {
  const std::string key = "\"-----BEGIN PGP PRIVATE KEY BLOCK-----\"";
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"{\"PGPPrivateKey\": ", "not JSON"},
           {"[]", "JSON object"},
           {"{}", "no \"PGPPrivateKey\""},
           {"{\"PGPPrivateKey\": 1}", "not a string"},
           {"{\"PGPPrivateKey\": \"-----BEGIN PGP PUBLIC KEY BLOCK-----\"}", "ASCII-armored"},
           {"{\"PGPPrivateKey\": " + key + ", \"PGPPassphrase\": 5}", "\"PGPPassphrase\""}}) {
    for (const std::string file : {"alice.json", "@pgp-default.json"}) {
      fs::remove_all(dir_ / "s-1");
      WriteAll(dir_ / "s-1" / file, text);
      auto keys = LoadPgpKeys(dir_, "s-1", "alice");
      ASSERT_FALSE(keys) << text;
      EXPECT_EQ(keys.error().code, ErrorCode::kInvalidArgument) << text;
      EXPECT_NE(keys.error().message.find(why), std::string::npos)
          << text << ": " << keys.error().message;
      EXPECT_NE(keys.error().message.find(file), std::string::npos) << keys.error().message;
    }
  }
}

TEST_F(PgpLoadKeysTest, NamesAreSinglePathComponents) {
  for (const auto& [server, user] : std::vector<std::pair<std::string, std::string>>{
           {"s-1", "../x"}, {"s-1", ".."}, {"s-1", ""}, {"..", "alice"}, {"a/b", "alice"}}) {
    auto keys = LoadPgpKeys(dir_, server, user);
    ASSERT_FALSE(keys) << server << " " << user;
    EXPECT_EQ(keys.error().code, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace stepway::transfer

// The 18 intrinsic functions of the Amazon States Language (JSONPath mode), "States.Format(...)".
//
// Grammar (AWS "Intrinsic functions"): a call is `States.Name(arg, ...)`; an argument is a string
// literal in single quotes (with `\'`, `\{`, `\}` and `\\` escapes), a number, true, false, null,
// a path (`$.x`, `$$.x`, `$var`) or another call, nested up to 10 deep. Runtime argument errors
// are States.IntrinsicFailure; a path argument that names nothing is States.Runtime, as for any
// payload template path.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "asl/path.h"
#include "asl/payload_template.h"
#include "base/limits.h"
#include "base/random.h"

namespace stepway::asl {
namespace {

// AWS: Base64Encode/Base64Decode/Hash take "a string of up to 10,000 characters".
constexpr std::size_t kMaxIntrinsicStringChars = 10000;

// Whether `s` has more than kMaxIntrinsicStringChars characters. A text has no more
// characters than bytes, so only a long one is counted.
bool TooLong(std::string_view s) {
  return s.size() > kMaxIntrinsicStringChars && json::CodePointCount(s) > kMaxIntrinsicStringChars;
}

struct Argument {
  enum class Kind { kLiteral, kPath, kCall };
  Kind kind = Kind::kLiteral;
  json::Value literal;
  // For a string literal: the text between the quotes as written, escapes included, because
  // States.Format tells an escaped `\{` from a placeholder `{}`.
  std::optional<std::string> raw_string;
  std::optional<Path> path;
  std::shared_ptr<const IntrinsicCall::Impl> call;
};

// The functions, so that a call is dispatched on a number rather than its name.
enum class Function {
  kFormat,
  kStringToJson,
  kJsonToString,
  kArray,
  kArrayPartition,
  kArrayContains,
  kArrayRange,
  kArrayGetItem,
  kArrayLength,
  kArrayUnique,
  kBase64Encode,
  kBase64Decode,
  kHash,
  kJsonMerge,
  kMathRandom,
  kMathAdd,
  kStringSplit,
  kUUID,
};

struct Arity {
  std::string_view name;
  std::size_t min, max;
  Function function;
};

constexpr std::size_t kAny = std::numeric_limits<std::size_t>::max();

constexpr Arity kFunctions[] = {
    {"States.Format", 1, kAny, Function::kFormat},
    {"States.StringToJson", 1, 1, Function::kStringToJson},
    {"States.JsonToString", 1, 1, Function::kJsonToString},
    {"States.Array", 0, kAny, Function::kArray},
    {"States.ArrayPartition", 2, 2, Function::kArrayPartition},
    {"States.ArrayContains", 2, 2, Function::kArrayContains},
    {"States.ArrayRange", 3, 3, Function::kArrayRange},
    {"States.ArrayGetItem", 2, 2, Function::kArrayGetItem},
    {"States.ArrayLength", 1, 1, Function::kArrayLength},
    {"States.ArrayUnique", 1, 1, Function::kArrayUnique},
    {"States.Base64Encode", 1, 1, Function::kBase64Encode},
    {"States.Base64Decode", 1, 1, Function::kBase64Decode},
    {"States.Hash", 2, 2, Function::kHash},
    {"States.JsonMerge", 3, 3, Function::kJsonMerge},
    {"States.MathRandom", 2, 3, Function::kMathRandom},
    {"States.MathAdd", 2, 2, Function::kMathAdd},
    {"States.StringSplit", 2, 2, Function::kStringSplit},
    {"States.UUID", 0, 0, Function::kUUID},
};

const Arity* FindFunction(std::string_view name) {
  for (const Arity& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

struct IntrinsicCall::Impl {
  std::string name;
  Function function = Function::kFormat;
  std::vector<Argument> args;
};

namespace {

class CallParser {
 public:
  explicit CallParser(std::string_view s) : s_(s) {}

  Result<std::shared_ptr<const IntrinsicCall::Impl>> ParseTop() {
    auto call = ParseCall(1);
    if (!call) return tl::unexpected(call.error());
    SkipSpace();
    if (i_ != s_.size()) return Invalid("unexpected text after the closing ')'");
    return call;
  }

 private:
  tl::unexpected<Error> Invalid(std::string why) const {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid intrinsic function call '" + std::string(s_) + "': " + why);
  }

  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }

  Result<std::shared_ptr<const IntrinsicCall::Impl>> ParseCall(int depth) {
    if (depth > limits::kMaxIntrinsicNesting) {
      return Invalid("intrinsic functions can be nested at most " +
                     std::to_string(limits::kMaxIntrinsicNesting) + " deep");
    }
    const std::size_t start = i_;
    if (s_.substr(i_, 7) != "States.") return Invalid("expected 'States.'");
    i_ += 7;
    while (i_ < s_.size() && IsNameChar(s_[i_])) ++i_;
    auto impl = std::make_shared<IntrinsicCall::Impl>();
    impl->name = std::string(s_.substr(start, i_ - start));
    const Arity* arity = FindFunction(impl->name);
    if (arity == nullptr) return Invalid("unknown function " + impl->name);
    impl->function = arity->function;
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '(') return Invalid("expected '(' after " + impl->name);
    ++i_;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ')') {
      ++i_;
    } else {
      while (true) {
        auto arg = ParseArgument(depth);
        if (!arg) return tl::unexpected(arg.error());
        impl->args.push_back(std::move(*arg));
        SkipSpace();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ')') {
          ++i_;
          break;
        }
        return Invalid("expected ',' or ')' in the arguments of " + impl->name);
      }
    }
    if (impl->args.size() < arity->min || impl->args.size() > arity->max) {
      return Invalid(impl->name + " takes " +
                     (arity->min == arity->max ? std::to_string(arity->min)
                      : arity->max == kAny
                          ? "at least " + std::to_string(arity->min)
                          : std::to_string(arity->min) + " to " + std::to_string(arity->max)) +
                     " argument(s), got " + std::to_string(impl->args.size()));
    }
    return std::shared_ptr<const IntrinsicCall::Impl>(std::move(impl));
  }

  Result<Argument> ParseArgument(int depth) {
    SkipSpace();
    if (i_ >= s_.size()) return Invalid("unexpected end");
    Argument arg;
    const char c = s_[i_];
    if (c == '\'') {
      ++i_;
      std::string raw, value;
      for (; i_ < s_.size() && s_[i_] != '\''; ++i_) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
          const char e = s_[i_ + 1];
          raw += '\\';
          raw += e;
          ++i_;
          // Only these are escapes; any other backslash stays as written.
          if (e != '\'' && e != '{' && e != '}' && e != '\\') value += '\\';
          value += e;
          continue;
        }
        raw += s_[i_];
        value += s_[i_];
      }
      if (i_ >= s_.size()) return Invalid("unterminated string literal");
      ++i_;
      arg.literal = json::String(value);
      arg.raw_string = std::move(raw);
      return arg;
    }
    if (c == '$') {
      // A path runs to the ',' or ')' that ends the argument, outside brackets and quotes.
      const std::size_t start = i_;
      int depth_brackets = 0;
      char quote = 0;
      for (; i_ < s_.size(); ++i_) {
        const char d = s_[i_];
        if (quote) {
          if (d == '\\') {
            ++i_;
          } else if (d == quote) {
            quote = 0;
          }
          continue;
        }
        if (d == '\'' || d == '"') {
          quote = d;
        } else if (d == '[' || d == '(') {
          ++depth_brackets;
        } else if (d == ']' || (d == ')' && depth_brackets > 0)) {
          --depth_brackets;
        } else if (depth_brackets == 0 && (d == ',' || d == ')')) {
          break;
        }
      }
      std::string_view text = s_.substr(start, i_ - start);
      while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
      auto path = Path::Parse(text);
      if (!path) return Invalid(path.error().message);
      arg.kind = Argument::Kind::kPath;
      arg.path = std::move(*path);
      return arg;
    }
    if (s_.substr(i_, 7) == "States.") {
      auto call = ParseCall(depth + 1);
      if (!call) return tl::unexpected(call.error());
      arg.kind = Argument::Kind::kCall;
      arg.call = std::move(*call);
      return arg;
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(i_, word.size()) == word &&
          (i_ + word.size() >= s_.size() || !IsNameChar(s_[i_ + word.size()]))) {
        i_ += word.size();
        arg.literal = word == "null" ? json::Value(nullptr) : json::Value(word == "true");
        return arg;
      }
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      const std::size_t start = i_++;
      while (i_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' ||
              s_[i_] == 'e' || s_[i_] == 'E' ||
              ((s_[i_] == '+' || s_[i_] == '-') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E')))) {
        ++i_;
      }
      auto number = json::Parse(s_.substr(start, i_ - start));
      if (!number || !number->is_number()) {
        return Invalid("invalid number '" + std::string(s_.substr(start, i_ - start)) + "'");
      }
      arg.literal = std::move(*number);
      return arg;
    }
    return Invalid("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation helpers.

tl::unexpected<Failure> InvalidArguments(std::string_view function, std::string_view detail) {
  return Failed(errors::kIntrinsicFailure,
                "Invalid arguments in " + std::string(function) + ": " + std::string(detail));
}

// Java's Math.round: halves round up (towards positive infinity).
std::optional<std::int64_t> RoundJava(const json::Value& v) {
  if (!v.is_number()) return std::nullopt;
  std::int64_t i;
  if (json::AsInt64(v, i)) return i;
  const double d = json::AsDouble(v);
  if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return std::nullopt;
  return std::int64_t(std::floor(d + 0.5));
}

// An integer argument; a number with a fraction is rejected.
std::optional<std::int64_t> ExactInt(const json::Value& v) {
  std::int64_t i;
  if (v.is_number() && json::AsInt64(v, i)) return i;
  return std::nullopt;
}

// How States.Format prints a value: Java's toString of the value Step Functions holds, so
// objects print as {a=1, b=[x, y]} and strings inside them are unquoted.
void AppendFormatted(const json::Value& v, std::string& out) {
  switch (v.kind()) {
    case json::Kind::string: out += v.get_string(); return;
    case json::Kind::array: {
      out += '[';
      bool first = true;
      for (const json::Value& e : v.get_array()) {
        if (!first) out += ", ";
        first = false;
        AppendFormatted(e, out);
      }
      out += ']';
      return;
    }
    case json::Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out += ", ";
        first = false;
        out += member.key();
        out += '=';
        AppendFormatted(member.value(), out);
      }
      out += '}';
      return;
    }
    default: out += json::Serialize(v); return;
  }
}

// Replaces bytes that are not valid UTF-8 with U+FFFD, as Java's new String(bytes, UTF_8) does.
std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points past U+10FFFF.
      std::uint32_t cp = c & (0xFF >> (len + 1));
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (in[i + k] & 0x3F);
      ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
           !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    }
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string Base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  out.resize(std::size_t(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  for (std::size_t k = 0; k < in.size(); ++k) {
    const char c = in[k];
    const bool pad_ok = c == '=' && k + 2 >= in.size() &&
                        (k + 1 == in.size() || in[k + 1] == '=');
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || pad_ok)) {
      return std::nullopt;
    }
  }
  if (in.empty()) return std::string();
  std::string out(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = std::size_t(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (in.back() == '=') --size;
  if (in.size() >= 2 && in[in.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

// The digest for an algorithm name of States.Hash. With OpenSSL 3 each is fetched once from the
// default provider: EVP_sha256() and the like make EVP_Digest fetch the implementation again
// on every call, which cost more than hashing a short string.
const EVP_MD* Digest(std::string_view algorithm) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  struct Fetched {
    const EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    const EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    const EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  };
  static const Fetched fetched;  // kept for the process's life
  const EVP_MD* md = algorithm == "MD5"       ? fetched.md5
                     : algorithm == "SHA-1"   ? fetched.sha1
                     : algorithm == "SHA-256" ? fetched.sha256
                     : algorithm == "SHA-384" ? fetched.sha384
                     : algorithm == "SHA-512" ? fetched.sha512
                                              : nullptr;
  if (md != nullptr) return md;
#endif
  return algorithm == "MD5"       ? EVP_md5()
         : algorithm == "SHA-1"   ? EVP_sha1()
         : algorithm == "SHA-256" ? EVP_sha256()
         : algorithm == "SHA-384" ? EVP_sha384()
         : algorithm == "SHA-512" ? EVP_sha512()
                                  : nullptr;
}

std::optional<std::string> Hash(std::string_view data, std::string_view algorithm) {
  const EVP_MD* md = Digest(algorithm);
  if (md == nullptr) return std::nullopt;
  // One digest context per thread, reset by each Init: EVP_Digest would allocate and free a
  // context (and its provider state) on every call.
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local const Context context;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (context.ctx == nullptr || EVP_DigestInit_ex(context.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, digest, &size) != 1) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * std::size_t(size), '\0');
  for (unsigned int k = 0; k < size; ++k) {
    out[2 * k] = kHex[digest[k] >> 4];
    out[2 * k + 1] = kHex[digest[k] & 15];
  }
  return out;
}

// java.util.Random, so that States.MathRandom with a seed gives what AWS gives for that seed.
class JavaRandom {
 public:
  explicit JavaRandom(std::int64_t seed)
      : seed_((std::uint64_t(seed) ^ 0x5DEECE66DULL) & kMask) {}

  std::int32_t NextInt(std::int32_t bound) {
    std::int32_t r = Next(31);
    const std::int32_t m = bound - 1;
    if ((bound & m) == 0) return std::int32_t((std::int64_t(bound) * r) >> 31);
    for (std::int32_t u = r; std::int32_t(std::uint32_t(u) - std::uint32_t(r = u % bound) +
                                          std::uint32_t(m)) < 0;
         u = Next(31)) {
    }
    return r;
  }

 private:
  static constexpr std::uint64_t kMask = (1ULL << 48) - 1;
  std::int32_t Next(int bits) {
    seed_ = (seed_ * 0x5DEECE66DULL + 0xBULL) & kMask;
    return std::int32_t(std::int64_t(seed_ >> (48 - bits)));
  }
  std::uint64_t seed_;
};

// A per-thread buffer to build a string result in before copying it once into its
// json::String: no allocation per call for the buffer. Emptied on each use; one that grew
// large is let go.
std::string& Scratch() {
  constexpr std::size_t kKeptCapacity = 64 * 1024;
  thread_local std::string scratch;
  if (scratch.capacity() > kKeptCapacity) scratch = std::string();
  scratch.clear();
  return scratch;
}

class Evaluator {
 public:
  Evaluator(const Scope& scope, std::string_view field) : scope_(scope), field_(field) {}

  Outcome<json::Value> Call(const IntrinsicCall::Impl& call) {
    // Literals and the nodes simple paths name are read where they are; only what a nested
    // call or a complex path produces is held, in `owned`, which is reserved for every
    // argument on its first use so that the pointers into it stay valid. Up to kInlineArgs
    // pointers live on the stack, left uninitialised until set (zeroing a buffer of
    // optional values for every call cost more than the common call's own work).
    const std::size_t n = call.args.size();
    std::array<const json::Value*, kInlineArgs> inline_pointers;
    std::vector<const json::Value*> more_pointers;
    if (n > kInlineArgs) more_pointers.resize(n);
    const json::Value** pointers = n > kInlineArgs ? more_pointers.data() : inline_pointers.data();
    std::vector<json::Value> owned;
    auto hold = [&](json::Value v) {
      if (owned.capacity() == 0) owned.reserve(n);
      owned.push_back(std::move(v));
      return &owned.back();
    };
    for (std::size_t k = 0; k < n; ++k) {
      const Argument& arg = call.args[k];
      const json::Value* found = nullptr;
      switch (arg.kind) {
        case Argument::Kind::kLiteral: found = &arg.literal; break;
        case Argument::Kind::kCall: {
          auto v = Call(*arg.call);
          if (!v) return v;
          found = hold(std::move(*v));
          break;
        }
        case Argument::Kind::kPath: {
          found = arg.path->Find(scope_);
          if (found != nullptr) break;
          auto v = arg.path->Evaluate(scope_);
          if (!v) {
            return Failed(errors::kRuntime,
                          "The JSONPath '" + arg.path->text() + "' specified for the field '" +
                              std::string(field_) + "' could not be found in the input '" +
                              json::Serialize(scope_.input) + "'");
          }
          found = hold(std::move(*v));
          break;
        }
      }
      pointers[k] = found;
    }
    return Apply(call, Args{pointers, n});
  }

 private:
  static constexpr std::size_t kInlineArgs = 6;

  // The evaluated arguments of one call.
  struct Args {
    const json::Value* const* values;
    std::size_t count;
    const json::Value& operator[](std::size_t k) const { return *values[k]; }
    std::size_t size() const { return count; }
  };

  Outcome<json::Value> Format(const IntrinsicCall::Impl& call, const Args& args) {
    const std::string& name = call.name;
    if (!args[0].is_string()) return InvalidArguments(name, "the format must be a string");
    // A literal keeps its escapes so that `\{` is a brace, not the start of a placeholder.
    const Argument& first = call.args[0];
    const std::string_view text = first.raw_string ? std::string_view(*first.raw_string)
                                                   : std::string_view(args[0].get_string());
    const bool escapes = first.raw_string.has_value();
    std::string& out = Scratch();
    out.reserve(text.size() + 8 * (args.size() - 1));
    std::size_t next_arg = 1;
    for (std::size_t k = 0; k < text.size(); ++k) {
      // Copy the run of plain characters up to the next escape or brace at once.
      std::size_t plain = k;
      while (plain < text.size() && text[plain] != '\\' && text[plain] != '{') ++plain;
      if (plain > k) {
        out.append(text.substr(k, plain - k));
        k = plain;
        if (k == text.size()) break;
      }
      const char c = text[k];
      if (escapes && c == '\\' && k + 1 < text.size()) {
        const char e = text[++k];
        if (e != '\'' && e != '{' && e != '}' && e != '\\') out += '\\';
        out += e;
        continue;
      }
      if (c == '{' && k + 1 < text.size() && text[k + 1] == '}') {
        if (next_arg >= args.size()) {
          return InvalidArguments(name, "the format has more placeholders than arguments");
        }
        AppendFormatted(args[next_arg++], out);
        ++k;
        continue;
      }
      out += c;
    }
    if (next_arg != args.size()) {
      return InvalidArguments(name, "the format has fewer placeholders than arguments");
    }
    return json::Value(json::String(out));
  }

  Outcome<json::Value> Apply(const IntrinsicCall::Impl& call, const Args& args) {
    const std::string& name = call.name;
    const Function fn = call.function;
    auto invalid = [&](std::string_view detail) { return InvalidArguments(name, detail); };
    auto string_arg = [&](std::size_t k) -> const json::String* {
      return args[k].is_string() ? &args[k].get_string() : nullptr;
    };
    auto array_arg = [&](std::size_t k) -> const json::Array* {
      return args[k].is_array() ? &args[k].get_array() : nullptr;
    };

    if (fn == Function::kFormat) return Format(call, args);

    if (fn == Function::kStringToJson) {
      const json::String* s = string_arg(0);
      if (!s) return invalid("the argument must be a string");
      std::string_view text(*s);
      while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
      while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
      // AWS gives null for an empty or blank string.
      if (text.empty()) return json::Value(nullptr);
      auto parsed = json::Parse(text);
      if (!parsed) return invalid("the argument is not valid JSON");
      return std::move(*parsed);
    }

    if (fn == Function::kJsonToString) {
      std::string& text = Scratch();
      json::SerializeTo(args[0], text);
      return json::Value(json::String(text));
    }

    if (fn == Function::kArray) {
      json::Array out;
      out.reserve(args.size());
      for (std::size_t k = 0; k < args.size(); ++k) out.push_back(args[k]);
      return json::Value(std::move(out));
    }

    if (fn == Function::kArrayPartition) {
      const json::Array* array = array_arg(0);
      auto size = ExactInt(args[1]);
      if (!array) return invalid("the first argument must be an array");
      if (!size || *size <= 0) return invalid("the chunk size must be a positive integer");
      const std::size_t chunk = std::size_t(*size);
      json::Array out;
      out.reserve(array->size() / chunk + (array->size() % chunk != 0 ? 1 : 0));
      for (std::size_t k = 0; k < array->size(); k += chunk) {
        const std::size_t end = std::min(array->size(), k + chunk);
        out.emplace_back(json::Array(array->begin() + long(k), array->begin() + long(end)));
      }
      return json::Value(std::move(out));
    }

    if (fn == Function::kArrayContains) {
      const json::Array* array = array_arg(0);
      if (!array) return invalid("the first argument must be an array");
      return json::Value(std::any_of(array->begin(), array->end(),
                                     [&](const json::Value& e) { return json::Equal(e, args[1]); }));
    }

    if (fn == Function::kArrayRange) {
      auto start = ExactInt(args[0]), end = ExactInt(args[1]), step = ExactInt(args[2]);
      if (!start || !end || !step) return invalid("the arguments must be integers");
      if (*step == 0) return invalid("the step must not be 0");
      json::Array out;
      const std::int64_t count =
          (*step > 0 ? *end >= *start : *end <= *start) ? (*end - *start) / *step + 1 : 0;
      if (count > limits::kMaxArrayRangeElements) {
        return invalid("the range has more than " +
                       std::to_string(limits::kMaxArrayRangeElements) + " elements");
      }
      for (std::int64_t k = 0; k < count; ++k) out.emplace_back(*start + k * *step);
      return json::Value(std::move(out));
    }

    if (fn == Function::kArrayGetItem) {
      const json::Array* array = array_arg(0);
      auto index = ExactInt(args[1]);
      if (!array) return invalid("the first argument must be an array");
      if (!index || *index < 0) return invalid("the index must be a non-negative integer");
      if (std::uint64_t(*index) >= array->size()) return invalid("the index is out of bounds");
      return (*array)[std::size_t(*index)];
    }

    if (fn == Function::kArrayLength) {
      const json::Array* array = array_arg(0);
      if (!array) return invalid("the argument must be an array");
      return json::Value(std::int64_t(array->size()));
    }

    if (fn == Function::kArrayUnique) {
      const json::Array* array = array_arg(0);
      if (!array) return invalid("the argument must be an array");
      json::Array out;
      for (const json::Value& e : *array) {
        if (std::none_of(out.begin(), out.end(),
                         [&](const json::Value& seen) { return json::Equal(seen, e); })) {
          out.push_back(e);
        }
      }
      return json::Value(std::move(out));
    }

    if (fn == Function::kBase64Encode || fn == Function::kBase64Decode) {
      const json::String* s = string_arg(0);
      if (!s) return invalid("the argument must be a string");
      if (TooLong(*s)) {
        return invalid("the string is longer than 10000 characters");
      }
      if (fn == Function::kBase64Encode) return json::Value(json::String(Base64Encode(*s)));
      auto decoded = Base64Decode(*s);
      if (!decoded) return invalid("the argument is not valid base64");
      return json::Value(json::String(SanitizeUtf8(*decoded)));
    }

    if (fn == Function::kHash) {
      const json::String* data = string_arg(0);
      const json::String* algorithm = string_arg(1);
      if (!data) return invalid("the data must be a string");
      if (TooLong(*data)) {
        return invalid("the data is longer than 10000 characters");
      }
      if (!algorithm) return invalid("the algorithm must be a string");
      auto digest = Hash(*data, *algorithm);
      if (!digest) {
        return invalid("the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
      }
      return json::Value(json::String(*digest));
    }

    if (fn == Function::kJsonMerge) {
      if (!args[0].is_object() || !args[1].is_object()) {
        return invalid("the first two arguments must be JSON objects");
      }
      if (!args[2].is_bool()) return invalid("the third argument must be a boolean");
      // AWS: "Step Functions only supports the shallow merging mode".
      if (args[2].get_bool()) return invalid("only shallow merging (false) is supported");
      json::Object out = args[0].get_object();
      for (const auto& member : args[1].get_object()) out[member.key()] = member.value();
      return json::Value(std::move(out));
    }

    if (fn == Function::kMathAdd) {
      auto a = RoundJava(args[0]), b = RoundJava(args[1]);
      if (!a || !b) return invalid("the arguments must be numbers");
      if (!FitsInt32(*a) || !FitsInt32(*b)) {
        return invalid("the arguments must be between -2147483648 and 2147483647");
      }
      return json::Value(*a + *b);
    }

    if (fn == Function::kMathRandom) {
      auto start = RoundJava(args[0]), end = RoundJava(args[1]);
      if (!start || !end) return invalid("the start and end must be numbers");
      if (!FitsInt32(*start) || !FitsInt32(*end)) {
        return invalid("the start and end must be between -2147483648 and 2147483647");
      }
      if (*end <= *start) return invalid("the end must be greater than the start");
      const std::int64_t span = *end - *start;
      if (args.size() == 3) {
        auto seed = RoundJava(args[2]);
        if (!seed) return invalid("the seed must be a number");
        if (span > std::numeric_limits<std::int32_t>::max()) {
          return invalid("the range is too large");
        }
        return json::Value(*start + JavaRandom(*seed).NextInt(std::int32_t(span)));
      }
      if (scope_.random == nullptr) {
        return Failed(errors::kRuntime, "No source of randomness for States.MathRandom");
      }
      return json::Value(*start + std::int64_t(scope_.random->Next() % std::uint64_t(span)));
    }

    if (fn == Function::kStringSplit) {
      const json::String* s = string_arg(0);
      const json::String* delimiters = string_arg(1);
      if (!s || !delimiters) return invalid("the arguments must be strings");
      return json::Value(Split(*s, *delimiters));
    }

    if (fn == Function::kUUID) {
      if (scope_.random == nullptr) {
        return Failed(errors::kRuntime, "No source of randomness for States.UUID");
      }
      return json::Value(json::String(NewUuid(*scope_.random)));
    }

    return invalid("unknown function");
  }

  static bool FitsInt32(std::int64_t v) {
    return v >= std::numeric_limits<std::int32_t>::min() &&
           v <= std::numeric_limits<std::int32_t>::max();
  }

  // Java's StringTokenizer: every character of `delimiters` separates, and empty tokens are
  // dropped ("a,,b" split on "," gives ["a","b"]). Characters are whole UTF-8 sequences.
  static json::Array Split(std::string_view s, std::string_view delimiters) {
    auto char_len = [](unsigned char c) -> std::size_t {
      return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    };
    std::vector<std::string_view> delims;
    for (std::size_t k = 0; k < delimiters.size();) {
      const std::size_t n = std::min(char_len(delimiters[k]), delimiters.size() - k);
      delims.push_back(delimiters.substr(k, n));
      k += n;
    }
    json::Array out;
    std::string token;
    for (std::size_t k = 0; k < s.size();) {
      const std::size_t n = std::min(char_len(s[k]), s.size() - k);
      const std::string_view ch = s.substr(k, n);
      if (std::find(delims.begin(), delims.end(), ch) != delims.end()) {
        if (!token.empty()) out.emplace_back(json::String(token));
        token.clear();
      } else {
        token.append(ch);
      }
      k += n;
    }
    if (!token.empty()) out.emplace_back(json::String(token));
    return out;
  }

  const Scope& scope_;
  std::string_view field_;
};

}  // namespace

bool IntrinsicCall::LooksLikeCall(std::string_view text) {
  if (text.substr(0, 7) != "States.") return false;
  std::size_t i = 7;
  while (i < text.size() && IsNameChar(text[i])) ++i;
  if (i == 7) return false;
  while (i < text.size() && IsSpace(text[i])) ++i;
  return i < text.size() && text[i] == '(';
}

Result<IntrinsicCall> IntrinsicCall::Parse(std::string_view text) {
  auto impl = CallParser(text).ParseTop();
  if (!impl) return tl::unexpected(impl.error());
  return IntrinsicCall(std::move(*impl));
}

Outcome<json::Value> IntrinsicCall::Evaluate(const Scope& scope, std::string_view field) const {
  return Evaluator(scope, field).Call(*impl_);
}

const std::string& IntrinsicCall::name() const { return impl_->name; }

}  // namespace stepway::asl

// Regular expressions with JavaScript semantics on PCRE2 (UTF mode, `$` only at the end
// unless `m`, JavaScript's \u escapes, unset back-references match empty). A compiled Regex
// is immutable and shared between threads; each Exec allocates its own match data.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace stepway::jsonata {

class Regex {
 public:
  struct Match {
    std::size_t start = 0;  // byte offsets
    std::size_t end = 0;
    // (start, end) byte offsets per capture group; start == npos when it did not take part.
    std::vector<std::pair<std::size_t, std::size_t>> groups;
  };

  // flags: any of "i", "m". On failure: PCRE2's message.
  static tl::expected<std::shared_ptr<const Regex>, std::string> Compile(std::string_view pattern,
                                                                         std::string_view flags);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Searches subject from byte offset `from`. False when there is no match.
  bool Exec(std::string_view subject, std::size_t from, Match& m) const;

  const std::string& source() const { return source_; }

 private:
  Regex() = default;
  void* code_ = nullptr;  // pcre2_code_8*
  std::string source_;
};

}  // namespace stepway::jsonata

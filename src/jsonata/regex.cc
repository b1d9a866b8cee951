#include "jsonata/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace stepway::jsonata {

tl::expected<std::shared_ptr<const Regex>, std::string> Regex::Compile(std::string_view pattern,
                                                                       std::string_view flags) {
  std::uint32_t options = PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF |
                          PCRE2_DOLLAR_ENDONLY;
  for (const char f : flags) {
    if (f == 'i') options |= PCRE2_CASELESS;
    if (f == 'm') options |= PCRE2_MULTILINE;
  }
  pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(ctx, PCRE2_NEWLINE_ANYCRLF);
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &error, &offset, ctx);
  pcre2_compile_context_free(ctx);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error, buf, sizeof(buf));
    return tl::unexpected(std::string(reinterpret_cast<char*>(buf)));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  std::shared_ptr<Regex> re(new Regex());
  re->code_ = code;
  re->source_ = std::string(pattern);
  return std::shared_ptr<const Regex>(std::move(re));
}

Regex::~Regex() {
  if (code_ != nullptr) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

bool Regex::Exec(std::string_view subject, std::size_t from, Match& m) const {
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                             from, 0, md, nullptr);
  if (rc < 0) {
    pcre2_match_data_free(md);
    return false;
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  std::uint32_t count = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
  m.start = ov[0];
  m.end = ov[1];
  m.groups.clear();
  for (std::uint32_t i = 1; i <= count; ++i) {
    if (static_cast<int>(i) < rc && ov[2 * i] != PCRE2_UNSET) {
      m.groups.emplace_back(ov[2 * i], ov[2 * i + 1]);
    } else {
      m.groups.emplace_back(std::string::npos, std::string::npos);
    }
  }
  pcre2_match_data_free(md);
  return true;
}

}  // namespace stepway::jsonata

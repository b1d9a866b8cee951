#include "asl/validation.h"

#include <cctype>
#include <cstdio>

namespace stepway::asl::validation {

void AddError(std::vector<Diagnostic>& diagnostics, std::string code, std::string message,
              std::string location) {
  diagnostics.push_back(
      Diagnostic{"ERROR", std::move(code), std::move(message), std::move(location)});
}

void AddSchemaError(std::vector<Diagnostic>& diagnostics, std::string message,
                    std::string location) {
  AddError(diagnostics, kSchemaValidationFailed, std::move(message), std::move(location));
}

std::string Child(std::string_view location, std::string_view field) {
  std::string out(location);
  out += '/';
  out += field;
  return out;
}

std::string Element(std::string_view location, std::string_view field, std::size_t index) {
  return Child(location, field) + "[" + std::to_string(index) + "]";
}

std::string Display(std::string_view location) {
  return location.empty() ? std::string("/") : std::string(location);
}

namespace {

std::string JoinList(std::initializer_list<std::string_view> items) {
  std::string out = "[";
  bool first = true;
  for (std::string_view item : items) {
    if (!first) out += ", ";
    first = false;
    out += item;
  }
  out += "]";
  return out;
}

}  // namespace

std::string RequiredFields(std::initializer_list<std::string_view> fields) {
  return "These fields are required: " + JoinList(fields);
}

std::string NotSupported(std::string_view field) {
  return "Field '" + std::string(field) + "' is not supported";
}

std::string ExpectedType(std::string_view kind) {
  return "Expected value of type [" + std::string(kind) + "]";
}

std::string OneOf(std::initializer_list<std::string_view> values) {
  return "Value should be one of the following: " + JoinList(values);
}

std::string MinimumValue(std::string_view value) {
  return "Minimum value is " + std::string(value);
}

std::string MaximumValue(std::string_view value) {
  return "Maximum value is " + std::string(value);
}

std::string OnlyOneOf(std::initializer_list<std::string_view> fields) {
  return "Only one of these fields can be provided: " + JoinList(fields);
}

std::string JsonPathOnlyField(std::string_view field) {
  return "The QueryLanguage is set to 'JSONata', but field '" + std::string(field) +
         "' is only supported for the 'JSONPath' QueryLanguage";
}

std::string JsonataOnlyField(std::string_view field) {
  return "The QueryLanguage is set to 'JSONPath', but field '" + std::string(field) +
         "' is only supported for the 'JSONata' QueryLanguage";
}

std::string InvalidJsonPath(std::string_view field) {
  return "The value for the field '" + std::string(field) + "' must be a valid JSONPath";
}

std::string InvalidReferencePath(std::string_view field) {
  return "The value for the field '" + std::string(field) + "' must be a valid ReferencePath";
}

bool IsValidVariableName(std::string_view name) {
  if (name.empty()) return false;
  std::size_t characters = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    ++characters;
    if (c >= 0x80) continue;  // non-ASCII: accepted (see the header)
    const bool letter = std::isalpha(c) != 0;
    if (i == 0 ? !letter : !(letter || std::isdigit(c) != 0 || c == '_')) return false;
  }
  return characters <= kMaxVariableNameLength;
}

void CheckAssignNames(const json::Value& assign, bool jsonata, std::string_view location,
                      std::vector<Diagnostic>& diagnostics) {
  if (!assign.is_object()) return;
  for (const auto& kv : assign.get_object()) {
    const std::string_view key = kv.key();
    std::string_view name = key;
    if (!jsonata && name.size() > 2 && name.substr(name.size() - 2) == ".$") {
      name.remove_suffix(2);
    }
    if (name == kReservedVariableName) {
      AddSchemaError(diagnostics,
                     "The variable name '" + std::string(name) +
                         "' is reserved and cannot be assigned",
                     Child(location, key));
    } else if (!IsValidVariableName(name)) {
      AddSchemaError(diagnostics,
                     "The variable name '" + std::string(name) +
                         "' is not valid: it must start with a letter, continue with letters, "
                         "digits or '_', and have at most 80 characters",
                     Child(location, key));
    }
  }
}

bool IsJsonataExpression(const json::Value& value) {
  if (!value.is_string()) return false;
  std::string_view text = value.get_string();
  return text.size() >= 4 && text.substr(0, 2) == "{%" && text.substr(text.size() - 2) == "%}";
}

std::string JsonataExpressionText(std::string_view text) {
  if (text.size() >= 4) text = text.substr(2, text.size() - 4);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

namespace {

// Reproduces the first error Jackson (the JSON parser AWS runs) reports for `text`, with the
// same wording and "[Source: ...; line, column]" suffix, because that is what
// ValidateStateMachineDefinition returns verbatim. Only the common error shapes are modelled.
class JacksonScanner {
 public:
  explicit JacksonScanner(std::string_view text) : text_(text) {}

  Diagnostic Run() {
    SkipWhitespace();
    if (!Value()) return Result();
    // Jackson's readTree stops after the root value; trailing content is not reported by it, but
    // our JSON parser refused the text, so report the first character left over.
    SkipWhitespace();
    if (pos_ < text_.size()) {
      UnexpectedCharacter(
          "expected end-of-input");
      return Result();
    }
    message_ = "Unexpected end-of-input";
    return Result();
  }

 private:
  Diagnostic Result() const {
    std::string location = SourceLocation(line_, column_);
    return Diagnostic{"ERROR", kInvalidJsonDescription, message_ + "\n at " + location, location};
  }

  std::string SourceDescription() const {
    constexpr std::size_t kMaxSnippet = 500;  // Jackson's ErrorReportConfiguration default
    std::string out = "(String)\"";
    if (text_.size() > kMaxSnippet) {
      out += text_.substr(0, kMaxSnippet);
      out += "\"[truncated " + std::to_string(text_.size() - kMaxSnippet) + " chars]";
    } else {
      out += text_;
      out += "\"";
    }
    return out;
  }

  std::string SourceLocation(std::size_t line, std::size_t column) const {
    return "[Source: " + SourceDescription() + "; line: " + std::to_string(line) +
           ", column: " + std::to_string(column) + "]";
  }

  // Moves past one character, keeping Jackson's 1-based line and column of the next one.
  void Advance() {
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    ++pos_;
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column_;  // count code points, not UTF-8 continuation bytes
    }
  }

  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      Advance();
    }
  }

  bool AtEnd() const { return pos_ >= text_.size(); }

  void EndOfInput(std::string_view what) {
    message_ = "Unexpected end-of-input: " + std::string(what);
  }

  void UnexpectedCharacter(std::string_view expectation) {
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    Advance();
    char buffer[64];
    if (c < 0x20) {
      std::snprintf(buffer, sizeof buffer, "(CTRL-CHAR, code %d)", c);
    } else {
      std::snprintf(buffer, sizeof buffer, "('%c' (code %d))", c, c);
    }
    message_ = "Unexpected character " + std::string(buffer) + ": " + std::string(expectation);
  }

  static bool IsTokenChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           (static_cast<unsigned char>(c) & 0x80) != 0;
  }

  // Jackson's readTree reports a bad token with the generic expectation even when the token
  // started like a keyword (recorded: "not a definition").
  void UnrecognizedToken() {
    std::string token;
    while (!AtEnd() && IsTokenChar(text_[pos_])) {
      token += text_[pos_];
      Advance();
    }
    message_ = "Unrecognized token '" + token +
               "': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or "
               "'false')";
  }

  bool Keyword(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word &&
        (pos_ + word.size() >= text_.size() || !IsTokenChar(text_[pos_ + word.size()]))) {
      for (std::size_t i = 0; i < word.size(); ++i) Advance();
      return true;
    }
    UnrecognizedToken();
    return false;
  }

  bool String() {
    Advance();  // opening quote
    while (true) {
      if (AtEnd()) {
        EndOfInput("was expecting closing quote for a string value");
        return false;
      }
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        Advance();
        return true;
      }
      if (c < 0x20) {
        Advance();
        char buffer[192];
        std::snprintf(buffer, sizeof buffer,
                      "Illegal unquoted character ((CTRL-CHAR, code %d)): has to be escaped using "
                      "backslash to be included in string value",
                      c);
        message_ = buffer;
        return false;
      }
      if (c == '\\') {
        Advance();
        if (AtEnd()) {
          EndOfInput("was expecting closing quote for a string value");
          return false;
        }
        const char e = text_[pos_];
        if (std::string_view("\"\\/bfnrtu").find(e) == std::string_view::npos) {
          Advance();
          message_ = std::string("Unrecognized character escape '") + e + "' (code " +
                     std::to_string(static_cast<int>(e)) + ")";
          return false;
        }
      }
      Advance();
    }
  }

  bool Number() {
    if (text_[pos_] == '-') Advance();
    if (AtEnd() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      if (AtEnd()) {
        EndOfInput("expected digit (0-9) to follow minus sign, for valid numeric value");
      } else {
        UnexpectedCharacter("expected digit (0-9) to follow minus sign, for valid numeric value");
      }
      return false;
    }
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() &&
        std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
      Advance();
      message_ = "Invalid numeric value: Leading zeroes not allowed";
      return false;
    }
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) Advance();
    if (!AtEnd() && text_[pos_] == '.') {
      Advance();
      if (AtEnd() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        message_ = "Unexpected character: Decimal point not followed by a digit";
        return false;
      }
      while (!AtEnd() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) Advance();
    }
    if (!AtEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      Advance();
      if (!AtEnd() && (text_[pos_] == '+' || text_[pos_] == '-')) Advance();
      if (AtEnd() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        message_ = "Unexpected character: Exponent indicator not followed by a digit";
        return false;
      }
      while (!AtEnd() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) Advance();
    }
    return true;
  }

  bool Container(char close, const char* kind, const char* separator) {
    const std::size_t start_line = line_;
    const std::size_t start_column = column_;
    Advance();  // opening bracket
    const bool object = close == '}';
    bool first = true;
    while (true) {
      SkipWhitespace();
      if (AtEnd()) {
        message_ = std::string("Unexpected end-of-input: expected close marker for ") + kind +
                   " (start marker at " + SourceLocation(start_line, start_column) + ")";
        return false;
      }
      if (text_[pos_] == close && first) {
        Advance();
        return true;
      }
      if (!first) {
        if (text_[pos_] == close) {
          Advance();
          return true;
        }
        if (text_[pos_] != ',') {
          UnexpectedCharacter(std::string("was expecting comma to separate ") + separator +
                              " entries");
          return false;
        }
        Advance();
        SkipWhitespace();
        if (AtEnd()) {
          message_ = std::string("Unexpected end-of-input: expected close marker for ") + kind +
                     " (start marker at " + SourceLocation(start_line, start_column) + ")";
          return false;
        }
      }
      first = false;
      if (object) {
        if (text_[pos_] != '"') {
          UnexpectedCharacter("was expecting double-quote to start field name");
          return false;
        }
        if (!String()) return false;
        SkipWhitespace();
        if (AtEnd()) {
          message_ = std::string("Unexpected end-of-input: expected close marker for ") + kind +
                     " (start marker at " + SourceLocation(start_line, start_column) + ")";
          return false;
        }
        if (text_[pos_] != ':') {
          UnexpectedCharacter("was expecting a colon to separate field name and value");
          return false;
        }
        Advance();
        SkipWhitespace();
      }
      if (AtEnd()) {
        EndOfInput("expected a value");
        return false;
      }
      if (!Value()) return false;
    }
  }

  bool Value() {
    if (AtEnd()) {
      message_ = "No content to map due to end-of-input";
      return false;
    }
    const char c = text_[pos_];
    switch (c) {
      case '{':
        return Container('}', "OBJECT", "Object");
      case '[':
        return Container(']', "ARRAY", "Array");
      case '"':
        return String();
      case 't':
        return Keyword("true");
      case 'f':
        return Keyword("false");
      case 'n':
        return Keyword("null");
      default:
        break;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return Number();
    if (IsTokenChar(c)) {
      UnrecognizedToken();
      return false;
    }
    UnexpectedCharacter(
        "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or "
        "'false')");
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  std::string message_;
};

}  // namespace

Diagnostic InvalidJson(std::string_view text) { return JacksonScanner(text).Run(); }

}  // namespace stepway::asl::validation

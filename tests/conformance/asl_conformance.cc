// Runs the Step Functions executions recorded against AWS (tests/conformance/asl/*.json) through
// Stepway's engine in this process, and compares status, output, error and cause as
// tests/conformance/tools/run_cases.py does (placeholders such as <account> are wildcards).
//
// Usage: asl_conformance CASE_DIR [--known-failures FILE] [--filter SUBSTRING] [--verbose]
// Prints a line per failing case and ends with "conformance: N passed, M failed". Exits 1 when a
// case fails that the known-failures file does not list (one case id per line, then a reason).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/local_runner.h"

namespace fs = std::filesystem;
using namespace stepway;

namespace {

struct Placeholders {
  std::set<std::string> names;
  std::map<std::string, std::string> patterns;
};

std::string RegexEscape(const std::string& s) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : s) {
    if (special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

bool WildcardString(const std::string& expected, const std::string& actual,
                    const Placeholders& ph) {
  if (ph.names.count(expected)) {
    auto it = ph.patterns.find(expected);
    if (it == ph.patterns.end()) return true;
    return std::regex_match(actual, std::regex(it->second));
  }
  // Placeholders inside the string.
  static const std::regex token(R"(<[A-Za-z][A-Za-z0-9_.\-]*(?::\d+)?>)");
  std::string pattern;
  bool any = false;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(expected.begin(), expected.end(), token);
       it != std::sregex_iterator(); ++it) {
    const std::string t = it->str();
    if (!ph.names.count(t)) continue;
    any = true;
    pattern += RegexEscape(expected.substr(last, std::size_t(it->position()) - last));
    auto p = ph.patterns.find(t);
    pattern += "(?:" + (p == ph.patterns.end() ? std::string("[\\s\\S]*?") : p->second) + ")";
    last = std::size_t(it->position() + it->length());
  }
  if (!any) return expected == actual;
  pattern += RegexEscape(expected.substr(last));
  return std::regex_match(actual, std::regex(pattern));
}

bool WildcardMatch(const json::Value& e, const json::Value& a, const Placeholders& ph) {
  if (e.is_string()) {
    if (ph.names.count(std::string(e.get_string())) && !a.is_string()) {
      return !ph.patterns.count(std::string(e.get_string()));
    }
    return a.is_string() &&
           WildcardString(std::string(e.get_string()), std::string(a.get_string()), ph);
  }
  if (e.is_object()) {
    if (!a.is_object() || a.get_object().size() != e.get_object().size()) return false;
    for (const auto& kv : e.get_object()) {
      const json::Value* v = a.get_object().if_contains(kv.key());
      if (v == nullptr || !WildcardMatch(kv.value(), *v, ph)) return false;
    }
    return true;
  }
  if (e.is_array()) {
    if (!a.is_array() || a.get_array().size() != e.get_array().size()) return false;
    for (std::size_t i = 0; i < e.get_array().size(); ++i) {
      if (!WildcardMatch(e.get_array()[i], a.get_array()[i], ph)) return false;
    }
    return true;
  }
  if (e.is_bool() || a.is_bool()) return e.is_bool() && a.is_bool() && e.get_bool() == a.get_bool();
  if (e.is_number() && a.is_number()) return json::Equal(e, a);
  return e.kind() == a.kind() && json::Equal(e, a);
}

bool FieldMatch(const json::Value* expected, const std::optional<std::string>& actual,
                bool is_json, const Placeholders& ph) {
  if (expected == nullptr || expected->is_null()) return !actual.has_value();
  if (!actual) return false;
  if (is_json) {
    auto parsed = json::Parse(*actual);
    return parsed && WildcardMatch(*expected, *parsed, ph);
  }
  return WildcardMatch(*expected, json::Value(*actual), ph);
}

std::string Short(std::string s, std::size_t n = 200) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: asl_conformance CASE_DIR [--known-failures FILE] [--filter S] [--verbose]\n";
    return 2;
  }
  fs::path dir = argv[1];
  std::string filter;
  std::set<std::string> known;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--known-failures" && i + 1 < argc) {
      std::ifstream in(argv[++i]);
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        known.insert(line.substr(0, line.find(' ')));
      }
    } else if (arg == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else if (arg == "--verbose") {
      verbose = true;
    }
  }

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name[0] != '_') files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  int passed = 0, failed = 0, unexpected = 0, fixed = 0;
  for (const fs::path& file : files) {
    auto doc = json::Parse(ReadFile(file));
    if (!doc || !doc->is_object() || !json::Find(*doc, "definition")) continue;
    const json::Object& c = doc->get_object();
    const std::string id(c.at("id").get_string());
    const std::string key = file.filename().string();
    if (!filter.empty() && id.find(filter) == std::string::npos &&
        key.find(filter) == std::string::npos) {
      continue;
    }
    const json::Object& expected = c.at("expected").get_object();
    Placeholders ph;
    if (const json::Value* names = expected.if_contains("placeholders"); names && names->is_array()) {
      for (const auto& n : names->get_array()) ph.names.insert(std::string(n.get_string()));
    }
    if (const json::Value* p = expected.if_contains("placeholder_patterns"); p && p->is_object()) {
      for (const auto& kv : p->get_object()) {
        ph.patterns[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    }

    std::string reason;
    auto parsed = asl::ParseDefinition(json::Serialize(c.at("definition")));
    if (!parsed.definition) {
      reason = "definition rejected: " + asl::FormatInvalidDefinition(parsed.diagnostics);
    } else {
      auto input = json::Parse(c.at("input").get_string());
      cli::LocalRunOptions options;
      options.fast_waits = true;
      options.keep_history = false;
      options.state_machine_name = "conformance";
      options.execution_name = "case";
      cli::LocalRunResult r = cli::RunLocally(parsed.definition, input ? *input : json::Value(), options);
      const std::string status = engine::ExecutionStatusName(r.status);
      const std::string want(expected.at("status").get_string());
      if (status != want) {
        reason = "status " + status + ", expected " + want;
        if (r.error || r.cause) reason += " [" + r.error.value_or("") + ": " + Short(r.cause.value_or(""), 300) + "]";
      } else if (status == "SUCCEEDED") {
        const json::Value* want_out = expected.if_contains("output");
        json::Value null_value;
        if (!WildcardMatch(want_out ? *want_out : null_value, *r.output, ph)) {
          reason = "output " + Short(json::Serialize(*r.output)) + " != expected " +
                   Short(json::Serialize(want_out ? *want_out : null_value));
        }
      } else {
        const json::Value* is_json = expected.if_contains("cause_is_json");
        const json::Value* err_json = expected.if_contains("error_is_json");
        if (!FieldMatch(expected.if_contains("error"), r.error, err_json && err_json->is_bool() && err_json->get_bool(), ph)) {
          reason = "error " + r.error.value_or("<none>") + " != expected " +
                   Short(json::Serialize(expected.contains("error") ? expected.at("error") : json::Value()));
        } else if (!FieldMatch(expected.if_contains("cause"), r.cause,
                               is_json && is_json->is_bool() && is_json->get_bool(), ph)) {
          reason = "cause " + Short(r.cause.value_or("<none>"), 300) + " != expected " +
                   Short(json::Serialize(expected.contains("cause") ? expected.at("cause") : json::Value()), 300);
        }
      }
    }
    if (reason.empty()) {
      ++passed;
      if (known.count(key)) {
        ++fixed;
        if (verbose) std::cout << "FIXED " << key << " (listed as a known failure)\n";
      }
    } else {
      ++failed;
      const bool is_known = known.count(key) > 0;
      if (!is_known) ++unexpected;
      if (!is_known || verbose) {
        std::cout << (is_known ? "KNOWN " : "FAIL ") << key << "\n    " << id << ": " << reason << "\n";
      }
    }
  }
  if (fixed) std::cout << "info: " << fixed << " known failures now pass; drop them from the list\n";
  std::cout << "info: " << unexpected << " unexpected failures\n";
  std::cout << "conformance: " << passed << " passed, " << failed << " failed" << std::endl;
  return unexpected == 0 ? 0 : 1;
}

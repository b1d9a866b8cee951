// Runs jsonata-js's own test suite (tests/conformance/jsonata, see its README) against this
// implementation. Every case must pass unless it is listed, with a reason, in
// known_failures.txt. Set JSONATA_FAILURES=path to write every failing case id and detail.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "json/json.h"
#include "jsonata/jsonata.h"

namespace stepway::jsonata {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool NumbersEqual(double a, double b) {
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-13 * std::max(std::fabs(a), std::fabs(b));
}

// Deep equality as chai's deep.equal sees it: numbers by value, objects unordered.
bool Same(const json::Value& a, const json::Value& b) {
  if (a.is_number() && b.is_number()) return NumbersEqual(json::AsDouble(a), json::AsDouble(b));
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!Same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      auto it = y.find(kv.key());
      if (it == y.end() || !Same(kv.value(), it->value())) return false;
    }
    return true;
  }
  return a == b;
}

bool SameUnordered(const json::Value& a, const json::Value& b) {
  if (!a.is_array() || !b.is_array()) return Same(a, b);
  const auto& x = a.get_array();
  std::vector<bool> used(x.size());
  const auto& y = b.get_array();
  if (x.size() != y.size()) return false;
  for (const auto& v : y) {
    bool found = false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!used[i] && Same(x[i], v)) {
        used[i] = found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

struct Case {
  std::string id;
  json::Value spec;
  fs::path dir;
};

// "" when the case passes, otherwise what went wrong.
std::string RunCase(const Case& c, const std::map<std::string, json::Value>& datasets) {
  const json::Object& t = c.spec.get_object();
  std::string expr_text;
  if (const json::Value* e = json::Find(c.spec, "expr")) {
    expr_text = std::string(e->get_string());
  } else if (const json::Value* f = json::Find(c.spec, "expr-file")) {
    expr_text = ReadFile(c.dir / std::string(f->get_string()));
  }
  const json::Value* input = nullptr;
  if (const json::Value* d = json::Find(c.spec, "data")) {
    input = d;
  } else if (const json::Value* ds = json::Find(c.spec, "dataset"); ds != nullptr && ds->is_string()) {
    auto it = datasets.find(std::string(ds->get_string()));
    if (it == datasets.end()) return "missing dataset";
    input = &it->second;
  }
  std::string want_code;
  std::string want_token;
  bool has_token = false;
  if (const json::Value* code = json::Find(c.spec, "code")) want_code = std::string(code->get_string());
  if (const json::Value* tok = json::Find(c.spec, "token")) {
    has_token = true;
    want_token = std::string(tok->get_string());
  }
  const json::Value* want_error = json::Find(c.spec, "error");
  if (want_error != nullptr) {
    want_code = std::string(want_error->at("code").get_string());
  }
  auto check_error = [&](const JsonataError& err) -> std::string {
    if (want_code.empty()) return "unexpected error " + err.code + ": " + err.message;
    const bool limit = want_code == "U1001" && (err.code == "D1011" || err.code == "D1012");
    if (err.code != want_code && !limit) return "expected " + want_code + ", got " + err.code + ": " + err.message;
    if (has_token && err.token != want_token) return "expected token " + want_token + ", got " + err.token;
    if (want_error != nullptr) {
      for (const auto& kv : want_error->get_object()) {
        const std::string_view k = kv.key();
        if (k == "code") continue;
        if (k == "token" && err.token != kv.value().get_string()) return "token " + err.token;
        if (k == "message" && err.message != kv.value().get_string()) return "message " + err.message;
        if (k == "value" && (!err.value || !Same(*err.value, kv.value()))) return "value mismatch";
      }
    }
    return "";
  };
  auto compiled = Expression::Compile(expr_text);
  if (!compiled) return check_error(compiled.error());
  Bindings bindings;
  if (const json::Value* b = json::Find(c.spec, "bindings"); b != nullptr && b->is_object()) {
    for (const auto& kv : b->get_object()) bindings.Bind(std::string(kv.key()), kv.value());
  }
  EvalOptions options;
  options.now_millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  if (const json::Value* depth = json::Find(c.spec, "depth")) {
    options.max_depth = static_cast<int>(json::AsDouble(*depth));
  }
  if (const json::Value* tl = json::Find(c.spec, "timelimit")) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int>(json::AsDouble(*tl)));
    options.deadline_exceeded = [deadline] { return std::chrono::steady_clock::now() > deadline; };
  }
  auto result = compiled->Evaluate(input, bindings, options);
  if (!result) return check_error(result.error());
  if (!want_code.empty()) {
    return "expected error " + want_code + ", got " +
           (result->has_value() ? json::Serialize(**result) : "undefined");
  }
  if (const json::Value* u = json::Find(c.spec, "undefinedResult"); u != nullptr) {
    if (result->has_value()) return "expected undefined, got " + json::Serialize(**result);
    return "";
  }
  const json::Value* want = json::Find(c.spec, "result");
  if (want == nullptr) return "case has no expectation";
  if (!result->has_value()) return "expected " + json::Serialize(*want) + ", got undefined";
  const json::Value* unordered = json::Find(c.spec, "unordered");
  const bool ok = (unordered != nullptr && unordered->is_bool() && unordered->get_bool())
                      ? SameUnordered(**result, *want)
                      : Same(**result, *want);
  if (!ok) return "expected " + json::Serialize(*want) + ", got " + json::Serialize(**result);
  (void)t;
  return "";
}

TEST(JsonataConformance, ReferenceSuite) {
  const fs::path root = fs::path(STEPWAY_SOURCE_DIR) / "tests/conformance/jsonata";
  std::map<std::string, json::Value> datasets;
  for (const auto& e : fs::directory_iterator(root / "datasets")) {
    auto v = json::Parse(ReadFile(e.path()));
    ASSERT_TRUE(v.has_value()) << e.path();
    datasets[e.path().stem().string()] = *v;
  }
  std::set<std::string> known;
  {
    std::ifstream in(root / "known_failures.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      known.insert(line.substr(0, line.find_first_of(" \t")));
    }
  }
  std::vector<Case> cases;
  std::vector<fs::path> files;
  for (const auto& g : fs::directory_iterator(root / "groups")) {
    for (const auto& f : fs::directory_iterator(g.path())) {
      if (f.path().extension() == ".json") files.push_back(f.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> unreadable;  // JSON our parser rejects (lone UTF-16 surrogates)
  for (const fs::path& f : files) {
    auto v = json::Parse(ReadFile(f));
    const std::string base = f.parent_path().filename().string() + "/" + f.stem().string();
    if (!v.has_value()) {
      unreadable.push_back(base);
      continue;
    }
    if (v->is_array()) {
      for (std::size_t i = 0; i < v->get_array().size(); ++i) {
        cases.push_back({base + "[" + std::to_string(i) + "]", v->get_array()[i], f.parent_path()});
      }
    } else {
      cases.push_back({base, *v, f.parent_path()});
    }
  }
  int passed = 0;
  int failed = 0;
  std::vector<std::string> unexpected;
  std::ofstream dump;
  if (const char* p = std::getenv("JSONATA_FAILURES")) dump.open(p);
  for (const std::string& id : unreadable) {
    ++failed;
    if (dump.is_open()) dump << id << "\tcase file is not valid JSON for json::Parse\n";
    if (known.count(id) == 0) unexpected.push_back(id + ": case file does not parse");
  }
  for (const Case& c : cases) {
    const std::string why = RunCase(c, datasets);
    if (why.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    if (dump.is_open()) dump << c.id << "\t" << why << "\n";
    if (known.count(c.id) == 0) unexpected.push_back(c.id + ": " + why);
  }
  std::printf("jsonata conformance: %d passed, %d failed\n", passed, failed);
  for (const std::string& u : unexpected) ADD_FAILURE() << "unexpected failure " << u;
}

}  // namespace
}  // namespace stepway::jsonata

#include "engine/mock_config.h"

#include <algorithm>
#include <charconv>

namespace stepway::engine {

namespace {

bool ParseInt(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= 0;
}

Result<MockedResponse> ParseResponse(std::string_view name, std::string_view key,
                                     const json::Value& v) {
  MockedResponse r;
  const std::size_t dash = key.find('-');
  if (dash == std::string_view::npos) {
    if (!ParseInt(key, r.first)) {
      return Fail(ErrorCode::kInvalidArgument, "MockedResponses." + std::string(name) +
                                                   ": invalid invocation key '" +
                                                   std::string(key) + "'");
    }
    r.last = r.first;
  } else if (!ParseInt(key.substr(0, dash), r.first) || !ParseInt(key.substr(dash + 1), r.last) ||
             r.last < r.first) {
    return Fail(ErrorCode::kInvalidArgument, "MockedResponses." + std::string(name) +
                                                 ": invalid invocation range '" +
                                                 std::string(key) + "'");
  }
  if (!v.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "MockedResponses." + std::string(name) + "." +
                                                 std::string(key) + " must be an object");
  }
  const json::Object& o = v.get_object();
  if (const json::Value* ret = o.if_contains("Return")) {
    r.value = *ret;
  } else if (const json::Value* t = o.if_contains("Throw")) {
    if (!t->is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "MockedResponses." + std::string(name) + "." +
                                                   std::string(key) + ".Throw must be an object");
    }
    r.is_throw = true;
    const json::Value* error = json::Find(*t, "Error");
    const json::Value* cause = json::Find(*t, "Cause");
    if (error && error->is_string()) r.error = error->get_string();
    if (cause && cause->is_string()) r.cause = cause->get_string();
  } else {
    return Fail(ErrorCode::kInvalidArgument, "MockedResponses." + std::string(name) + "." +
                                                 std::string(key) +
                                                 " needs a Return or a Throw");
  }
  return r;
}

}  // namespace

Result<MockConfig> MockConfig::Parse(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return Fail(ErrorCode::kInvalidArgument, "mock config is not JSON: " + doc.error().message);
  if (!doc->is_object()) return Fail(ErrorCode::kInvalidArgument, "mock config must be an object");
  MockConfig config;
  const json::Value* responses = json::Find(*doc, "MockedResponses");
  if (responses != nullptr) {
    if (!responses->is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "MockedResponses must be an object");
    }
    for (const auto& kv : responses->get_object()) {
      if (!kv.value().is_object()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "MockedResponses." + std::string(kv.key()) + " must be an object");
      }
      std::vector<MockedResponse> list;
      for (const auto& r : kv.value().get_object()) {
        auto parsed = ParseResponse(kv.key(), r.key(), r.value());
        if (!parsed) return tl::unexpected(parsed.error());
        list.push_back(std::move(*parsed));
      }
      std::sort(list.begin(), list.end(),
                [](const MockedResponse& a, const MockedResponse& b) { return a.first < b.first; });
      config.responses_[std::string(kv.key())] = std::move(list);
    }
  }
  const json::Value* machines = json::Find(*doc, "StateMachines");
  if (machines == nullptr || !machines->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "mock config needs a StateMachines object");
  }
  for (const auto& m : machines->get_object()) {
    const json::Value* cases = json::Find(m.value(), "TestCases");
    if (cases == nullptr || !cases->is_object()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "StateMachines." + std::string(m.key()) + " needs a TestCases object");
    }
    auto& machine = config.cases_[std::string(m.key())];
    for (const auto& c : cases->get_object()) {
      if (!c.value().is_object()) {
        return Fail(ErrorCode::kInvalidArgument, "StateMachines." + std::string(m.key()) +
                                                     ".TestCases." + std::string(c.key()) +
                                                     " must be an object");
      }
      auto& test_case = machine[std::string(c.key())];
      for (const auto& s : c.value().get_object()) {
        if (!s.value().is_string() || !config.responses_.count(s.value().get_string())) {
          return Fail(ErrorCode::kInvalidArgument,
                      "StateMachines." + std::string(m.key()) + ".TestCases." +
                          std::string(c.key()) + "." + std::string(s.key()) +
                          " must name one of the MockedResponses");
        }
        test_case[std::string(s.key())] = std::string(s.value().get_string());
      }
    }
  }
  return config;
}

bool MockConfig::HasTestCase(std::string_view state_machine, std::string_view test_case) const {
  auto m = cases_.find(state_machine);
  return m != cases_.end() && m->second.find(test_case) != m->second.end();
}

std::vector<std::string> MockConfig::MachinesWithTestCase(std::string_view test_case) const {
  std::vector<std::string> out;
  for (const auto& [machine, cases] : cases_) {
    if (cases.find(test_case) != cases.end()) out.push_back(machine);
  }
  return out;
}

std::optional<MockedResponse> MockConfig::Lookup(std::string_view state_machine,
                                                 std::string_view test_case,
                                                 std::string_view state,
                                                 std::int64_t invocation) const {
  auto m = cases_.find(state_machine);
  if (m == cases_.end()) return std::nullopt;
  auto c = m->second.find(test_case);
  if (c == m->second.end()) return std::nullopt;
  auto s = c->second.find(state);
  if (s == c->second.end()) return std::nullopt;
  const auto& list = responses_.at(s->second);
  if (list.empty()) return std::nullopt;
  for (const MockedResponse& r : list) {
    if (invocation >= r.first && invocation <= r.last) return r;
  }
  return list.back();
}

}  // namespace stepway::engine

#include "engine/resource.h"

#include <vector>

namespace stepway::engine {

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string Resource::EventResourceType() const { return service; }

std::string Resource::EventResource() const {
  switch (pattern) {
    case TaskPattern::kSync: return action + ".sync";
    case TaskPattern::kSync2: return action + ".sync:2";
    case TaskPattern::kWaitForTaskToken: return action + ".waitForTaskToken";
    default: return action;
  }
}

Resource ParseResource(std::string_view arn) {
  Resource r;
  r.arn = std::string(arn);
  // arn:partition:service:region:account:rest...
  auto parts = Split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn") return r;
  r.region = std::string(parts[3]);
  if (parts[2] == "states" && parts[5] == "activity") {
    r.kind = ResourceKind::kActivity;
    r.service = "activity";
    return r;
  }
  if (parts[2] == "lambda" && parts[5] == "function") {
    r.kind = ResourceKind::kLambdaFunction;
    r.service = "lambda";
    return r;
  }
  if (parts[2] == "states" && parts[3].empty() && parts[4].empty()) {
    // arn:aws:states:::SERVICE:ACTION[.pattern] or arn:aws:states:::aws-sdk:SERVICE:ACTION
    std::string_view service = parts[5];
    std::size_t action_at = 6;
    std::string service_name(service);
    if (service == "aws-sdk" && parts.size() >= 8) {
      service_name = "aws-sdk:" + std::string(parts[6]);
      action_at = 7;
    }
    if (parts.size() <= action_at) return r;
    std::string action;
    for (std::size_t i = action_at; i < parts.size(); ++i) {
      if (i > action_at) action += ':';
      action += parts[i];
    }
    std::string_view a = action;
    if (EndsWith(a, ".waitForTaskToken")) {
      r.pattern = TaskPattern::kWaitForTaskToken;
      a.remove_suffix(17);
    } else if (EndsWith(a, ".sync:2")) {
      r.pattern = TaskPattern::kSync2;
      a.remove_suffix(7);
    } else if (EndsWith(a, ".sync")) {
      r.pattern = TaskPattern::kSync;
      a.remove_suffix(5);
    }
    r.kind = ResourceKind::kService;
    r.service = service_name;
    r.action = std::string(a);
  }
  return r;
}

}  // namespace stepway::engine

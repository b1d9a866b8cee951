#include "cli/aws_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace stepway::cli {
namespace {

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Home() {
  const char* home = std::getenv("HOME");
  return home ? home : "";
}

}  // namespace

IniFile ParseIni(std::string_view text) {
  IniFile out;
  std::string section;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t')) continue;  // nested setting
    const std::string line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = Trim(std::string_view(line).substr(1, line.size() - 2));
      out[section];
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    out[section][Trim(std::string_view(line).substr(0, eq))] =
        Trim(std::string_view(line).substr(eq + 1));
  }
  return out;
}

Settings ResolveSettings(const SettingsOverrides& overrides,
                         const std::function<std::optional<std::string>(const char*)>& env,
                         const IniFile& credentials, const IniFile& config,
                         std::string_view service_env_id) {
  Settings s;
  auto nonempty_env = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  };
  s.profile = overrides.profile ? *overrides.profile
                                : nonempty_env("AWS_PROFILE").value_or(
                                      nonempty_env("AWS_DEFAULT_PROFILE").value_or("default"));
  const std::map<std::string, std::string> empty;
  auto section = [&](const IniFile& file, const std::string& name) -> const auto& {
    auto it = file.find(name);
    return it == file.end() ? empty : it->second;
  };
  const auto& cred = section(credentials, s.profile);
  const auto& conf =
      section(config, s.profile == "default" ? std::string("default") : "profile " + s.profile);
  auto get = [](const std::map<std::string, std::string>& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  };

  // An explicit --profile wins over credentials in the environment, as in the AWS CLI.
  const auto env_key = nonempty_env("AWS_ACCESS_KEY_ID");
  const auto env_secret = nonempty_env("AWS_SECRET_ACCESS_KEY");
  if (!overrides.profile && env_key && env_secret) {
    s.access_key_id = *env_key;
    s.secret_access_key = *env_secret;
    s.session_token = nonempty_env("AWS_SESSION_TOKEN").value_or("");
  } else if (auto k = get(cred, "aws_access_key_id"); k && get(cred, "aws_secret_access_key")) {
    s.access_key_id = *k;
    s.secret_access_key = *get(cred, "aws_secret_access_key");
    s.session_token = get(cred, "aws_session_token").value_or("");
  } else if (auto k2 = get(conf, "aws_access_key_id"); k2 && get(conf, "aws_secret_access_key")) {
    s.access_key_id = *k2;
    s.secret_access_key = *get(conf, "aws_secret_access_key");
    s.session_token = get(conf, "aws_session_token").value_or("");
  }

  if (overrides.region) {
    s.region = *overrides.region;
  } else if (auto r = nonempty_env("AWS_REGION")) {
    s.region = *r;
  } else if (auto r2 = nonempty_env("AWS_DEFAULT_REGION")) {
    s.region = *r2;
  } else {
    s.region = get(conf, "region").value_or(std::string(kDefaultRegion));
  }

  if (overrides.output) {
    s.output = *overrides.output;
  } else if (auto o = nonempty_env("AWS_DEFAULT_OUTPUT")) {
    s.output = *o;
  } else {
    s.output = get(conf, "output").value_or("json");
  }

  if (overrides.endpoint_url) {
    s.endpoint_url = *overrides.endpoint_url;
  } else if (auto e = nonempty_env("STEPWAY_ENDPOINT")) {
    s.endpoint_url = *e;
  } else if (auto se = service_env_id.empty()
                           ? std::nullopt
                           : nonempty_env(("AWS_ENDPOINT_URL_" + std::string(service_env_id)).c_str())) {
    s.endpoint_url = *se;
  } else if (auto ae = nonempty_env("AWS_ENDPOINT_URL")) {
    s.endpoint_url = *ae;
  } else {
    s.endpoint_url = get(conf, "endpoint_url").value_or(std::string(kDefaultEndpoint));
  }
  return s;
}

Settings LoadSettings(const SettingsOverrides& overrides, std::string_view service_env_id) {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const std::string credentials_path =
      env("AWS_SHARED_CREDENTIALS_FILE").value_or(Home() + "/.aws/credentials");
  const std::string config_path = env("AWS_CONFIG_FILE").value_or(Home() + "/.aws/config");
  return ResolveSettings(overrides, env, ParseIni(ReadFile(credentials_path)),
                         ParseIni(ReadFile(config_path)), service_env_id);
}

}  // namespace stepway::cli

// Where the client commands get their settings, in the AWS CLI's order of precedence:
// command-line options, then environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_DEFAULT_OUTPUT,
// STEPWAY_ENDPOINT, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, AWS_SHARED_CREDENTIALS_FILE,
// AWS_CONFIG_FILE), then the profile's sections
// of ~/.aws/credentials (`[name]`) and ~/.aws/config (`[profile name]`, `[default]`).
//
// ParseIni and ResolveSettings are pure; LoadSettings reads the environment and the files.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace stepway::cli {

// The local server's address, where commands go unless told otherwise.
inline constexpr std::string_view kDefaultEndpoint = "http://127.0.0.1:8083";
inline constexpr std::string_view kDefaultRegion = "us-east-1";

using IniFile = std::map<std::string, std::map<std::string, std::string>>;

// Sections of an INI file (`[name]`, `key = value`, `#` and `;` comments). Keys are kept as
// written; values are trimmed. Indented continuation lines (nested settings) are skipped.
IniFile ParseIni(std::string_view text);

struct Settings {
  std::string endpoint_url;
  std::string region;
  std::string output = "json";
  std::string profile;
  // Empty when no credentials were found: requests then go unsigned (a local server accepts
  // them unless started with --credentials).
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// What the command line said; unset options fall back to the environment and the files.
struct SettingsOverrides {
  std::optional<std::string> endpoint_url;
  std::optional<std::string> region;
  std::optional<std::string> output;
  std::optional<std::string> profile;
};

// Settings from the overrides, an environment lookup and the two parsed files.
// `service_env_id` names the service in AWS_ENDPOINT_URL_<ID> ("SFN", "TRANSFER").
Settings ResolveSettings(const SettingsOverrides& overrides,
                         const std::function<std::optional<std::string>(const char*)>& env,
                         const IniFile& credentials, const IniFile& config,
                         std::string_view service_env_id = "");

// ResolveSettings with the process environment and the files it names (missing files are
// empty).
Settings LoadSettings(const SettingsOverrides& overrides, std::string_view service_env_id = "");

}  // namespace stepway::cli

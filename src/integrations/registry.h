// Which Integration runs a Task: the integrations configured for this server, tried in the
// order they were added (mocks first, so that a test case overrides real endpoints).
//
// Built once at start-up by the app, then read-only: Resolver() is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "runtime/integration.h"

namespace stepway::integrations {

class Registry {
 public:
  using Matcher = std::function<bool(const runtime::TaskInvocation& invocation)>;

  // Adds `integration` for the tasks `matches` accepts. The first match wins.
  void Add(Matcher matches, std::unique_ptr<runtime::Integration> integration);

  // The resolver to give the runtime (RuntimeOptions::integrations). The registry must outlive
  // the runtime.
  runtime::IntegrationResolver Resolver() const;

 private:
  struct Entry {
    Matcher matches;
    std::unique_ptr<runtime::Integration> integration;
  };
  std::vector<Entry> entries_;
};

}  // namespace stepway::integrations

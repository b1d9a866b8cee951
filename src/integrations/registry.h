// Which Integration runs a Task: the integrations configured for this server, tried in the
// order they were added (mocks first, so that a test case overrides real endpoints).
//
// Built at start-up by the app. Thread-safe: Add may also run after the runtime exists (the
// nested-executions integration needs the runtime), since the resolver reads the entries at call
// time under a shared lock; entries are never removed, so a resolved Integration stays valid.
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
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
  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace stepway::integrations

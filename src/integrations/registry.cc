#include "integrations/registry.h"

namespace stepway::integrations {

void Registry::Add(Matcher matches, std::unique_ptr<runtime::Integration> integration) {
  std::unique_lock lock(mu_);
  entries_.push_back({std::move(matches), std::move(integration)});
}

runtime::IntegrationResolver Registry::Resolver() const {
  return [this](const runtime::TaskInvocation& invocation) -> runtime::Integration* {
    std::shared_lock lock(mu_);
    for (const Entry& e : entries_) {
      if (e.matches(invocation)) return e.integration.get();
    }
    return nullptr;
  };
}

}  // namespace stepway::integrations

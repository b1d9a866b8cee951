// Names the calling thread, as `top -H`, `perf report --sort comm` and debuggers show it.
#pragma once

#include <string_view>

namespace stepway {

// Linux keeps the first 15 bytes; longer names are cut there.
void SetThreadName(std::string_view name);

}  // namespace stepway

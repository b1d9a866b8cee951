// The position of an execution in ListExecutions' order (newest first), and the opaque cursor
// text that carries it between pages. Internal to the store backends; both use the same
// format, so a cursor means the same thing whichever backend produced it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepway::store {

// Executions are ordered by start_millis descending, then by `seq` (the order in which each
// was first written) descending. A position is unique: seq is unique per store.
struct ExecutionPosition {
  std::int64_t start_millis = 0;
  std::int64_t seq = 0;
};

// "x1.<start_millis>.<seq>"
std::string EncodeExecutionCursor(const ExecutionPosition& position);
// nullopt unless `cursor` is exactly what EncodeExecutionCursor produces.
std::optional<ExecutionPosition> DecodeExecutionCursor(std::string_view cursor);

}  // namespace stepway::store

#include "store/store.h"

#include <charconv>
#include <future>

#include "store/execution_cursor.h"

namespace stepway::store {

namespace {

constexpr std::string_view kCursorPrefix = "x1.";

// Parses a decimal int64 from the front of `text`, advancing it. Rejects leading '+', leading
// zeros (so that every position has exactly one spelling) and overflow.
std::optional<std::int64_t> TakeInt(std::string_view& text) {
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin) return std::nullopt;
  const std::string_view digits(begin, static_cast<std::size_t>(ptr - begin));
  const std::size_t first = digits[0] == '-' ? 1 : 0;
  if (digits.size() > first + 1 && digits[first] == '0') return std::nullopt;
  text.remove_prefix(digits.size());
  return value;
}

}  // namespace

std::string EncodeExecutionCursor(const ExecutionPosition& position) {
  std::string text(kCursorPrefix);
  text += std::to_string(position.start_millis);
  text += '.';
  text += std::to_string(position.seq);
  return text;
}

std::optional<ExecutionPosition> DecodeExecutionCursor(std::string_view cursor) {
  if (!cursor.starts_with(kCursorPrefix)) return std::nullopt;
  cursor.remove_prefix(kCursorPrefix.size());
  const auto start = TakeInt(cursor);
  if (!start || !cursor.starts_with('.')) return std::nullopt;
  cursor.remove_prefix(1);
  const auto seq = TakeInt(cursor);
  if (!seq || !cursor.empty() || *seq <= 0) return std::nullopt;
  return ExecutionPosition{*start, *seq};
}

bool IsValidExecutionCursor(std::string_view cursor) {
  return cursor.empty() || DecodeExecutionCursor(cursor).has_value();
}

Status Store::CommitAndWait(WriteBatch batch) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  Commit(std::move(batch), [&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

}  // namespace stepway::store

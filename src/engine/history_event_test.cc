#include "engine/history_event.h"

#include <gtest/gtest.h>

namespace stepway::engine {
namespace {

// ToJsonText must print exactly what json::Serialize(ToJson(...)) prints.
void ExpectSameText(const HistoryEvent& e) {
  EXPECT_EQ(ToJsonText(e), json::Serialize(ToJson(e)));
  EXPECT_EQ(ToJsonText(e, false), json::Serialize(ToJson(e, false)));
}

HistoryEvent Event(EventType type) {
  HistoryEvent e;
  e.id = 12;
  e.previous_event_id = 11;
  e.timestamp = TimePoint(std::chrono::milliseconds(1'795'259'736'431));
  e.type = type;
  return e;
}

TEST(HistoryEventTest, TextMatchesTheObjectForEveryType) {
  for (int t = 0; t <= static_cast<int>(EventType::kEvaluationFailed); ++t) {
    HistoryEvent e = Event(static_cast<EventType>(t));
    ExpectSameText(e);
    e.name = "State \"one\"\n";
    e.resource_type = "lambda";
    e.resource = "invoke";
    e.index = 3;
    e.error = "States.TaskFailed";
    e.cause = "a\\b\x01";
    e.has_error = e.has_cause = true;
    e.payload = MakePayload(json::Value(json::Object{{"k", "v\"w"}, {"n", 1.5}}));
    e.payload_member = t % 3 == 0 ? "parameters" : t % 3 == 1 ? "input" : "output";
    e.extra["timeoutInSeconds"] = 30;
    e.extra["assignedVariables"] = json::Object{{"x", "1"}};
    ExpectSameText(e);
  }
}

TEST(HistoryEventTest, TextMatchesTheObjectWhenAnExtraMemberRepeatsAStandardOne) {
  HistoryEvent e = Event(EventType::kTaskScheduled);
  e.resource = "invoke";
  e.extra["region"] = "us-east-1";
  e.extra["resource"] = "replaced";  // ToJson overwrites the member where it stands
  ExpectSameText(e);
  HistoryEvent empty_error = Event(EventType::kExecutionFailed);
  empty_error.has_error = true;  // present though empty
  ExpectSameText(empty_error);
}

}  // namespace
}  // namespace stepway::engine

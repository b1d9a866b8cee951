// CreateActivity, DescribeActivity, ListActivities, DeleteActivity, GetActivityTask, and the
// task callbacks SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.
#include <chrono>

#include "api/sfn/common.h"
#include "api/sfn/operations.h"

namespace stepway::api::sfn {

namespace {

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response TaskError(const stepway::Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return Error("InvalidToken", e.message);
    case ErrorCode::kNotFound: return Error("TaskDoesNotExist", e.message);
    case ErrorCode::kTimedOut: return Error("TaskTimedOut", e.message);
    case ErrorCode::kFailedPrecondition: return Error("InvalidOutput", e.message);
    default: return Error("ServiceUnavailable", e.message);
  }
}

}  // namespace

void CreateActivity(Context& c, const json::Object& request, Respond respond) {
  const std::string name = StringOf(request, "name");
  if (!ValidName(name)) return respond(Error("InvalidName", "Invalid Name: '" + name + "'"));
  const std::string arn = "arn:aws:states:" + c.region + ":" + c.account + ":activity:" + name;
  if (auto existing = c.store.GetActivity(arn)) {
    return respond(Ok(json::Object{{"activityArn", existing->arn},
                                   {"creationDate", Timestamp(existing->creation_millis)}}));
  }
  store::ActivityRecord r{arn, name, NowMillis()};
  if (auto s = c.store.PutActivity(r); !s) {
    return respond(Error("ServiceUnavailable", s.error().message));
  }
  if (const json::Value* list = request.if_contains("tags"); list && list->is_array()) {
    store::Tags tags;
    for (const json::Value& t : list->get_array()) {
      if (t.is_object()) tags[StringOf(t.get_object(), "key")] = StringOf(t.get_object(), "value");
    }
    if (!tags.empty()) (void)c.store.TagResource(arn, tags);
  }
  respond(Ok(json::Object{{"activityArn", arn}, {"creationDate", Timestamp(r.creation_millis)}}));
}

void DescribeActivity(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "activityArn");
  if (auto e = CheckArn(arn, "activity")) return respond(std::move(*e));
  auto r = c.store.GetActivity(arn);
  if (!r) return respond(Error("ActivityDoesNotExist", "Activity Does Not Exist: '" + arn + "'"));
  respond(Ok(json::Object{{"activityArn", r->arn},
                          {"name", r->name},
                          {"creationDate", Timestamp(r->creation_millis)}}));
}

void ListActivities(Context& c, const json::Object& request, Respond respond) {
  std::int64_t max = IntOf(request, "maxResults", 0);
  if (max <= 0) max = 100;
  std::size_t offset = 0;
  if (std::string token = StringOf(request, "nextToken"); !token.empty()) {
    auto position = DecodePageToken(token);
    if (!position) return respond(Error("InvalidToken", "Invalid Token: 'Invalid token'"));
    offset = std::strtoull(position->c_str(), nullptr, 10);
  }
  auto all = c.store.ListActivities();
  json::Array items;
  std::size_t i = offset;
  for (; i < all.size() && items.size() < std::size_t(max); ++i) {
    items.push_back(json::Object{{"activityArn", all[i].arn},
                                 {"name", all[i].name},
                                 {"creationDate", Timestamp(all[i].creation_millis)}});
  }
  json::Object out{{"activities", std::move(items)}};
  if (i < all.size()) out["nextToken"] = EncodePageToken(std::to_string(i));
  respond(Ok(out));
}

void DeleteActivity(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "activityArn");
  if (auto e = CheckArn(arn, "activity")) return respond(std::move(*e));
  (void)c.store.DeleteActivity(arn);
  respond(Ok(json::Object()));
}

void GetActivityTask(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "activityArn");
  if (auto e = CheckArn(arn, "activity")) return respond(std::move(*e));
  c.runtime.GetActivityTask(
      arn, StringOf(request, "workerName"),
      [arn, respond = std::move(respond)](Result<std::optional<runtime::ActivityTask>> r) {
        if (!r) {
          if (r.error().code == ErrorCode::kNotFound) {
            return respond(Error("ActivityDoesNotExist", "Activity Does Not Exist: '" + arn + "'"));
          }
          return respond(Error("ServiceUnavailable", r.error().message));
        }
        if (!*r) return respond(Ok(json::Object()));
        respond(Ok(json::Object{{"taskToken", (*r)->task_token}, {"input", (*r)->input}}));
      });
}

void SendTaskSuccess(Context& c, const json::Object& request, Respond respond) {
  c.runtime.SendTaskSuccess(StringOf(request, "taskToken"), StringOf(request, "output"),
                            [respond = std::move(respond)](Status s) {
                              respond(s ? Ok(json::Object()) : TaskError(s.error()));
                            });
}

void SendTaskFailure(Context& c, const json::Object& request, Respond respond) {
  c.runtime.SendTaskFailure(StringOf(request, "taskToken"), StringOf(request, "error"),
                            StringOf(request, "cause"),
                            [respond = std::move(respond)](Status s) {
                              respond(s ? Ok(json::Object()) : TaskError(s.error()));
                            });
}

void SendTaskHeartbeat(Context& c, const json::Object& request, Respond respond) {
  c.runtime.SendTaskHeartbeat(StringOf(request, "taskToken"),
                              [respond = std::move(respond)](Status s) {
                                respond(s ? Ok(json::Object()) : TaskError(s.error()));
                              });
}

}  // namespace stepway::api::sfn

// CreateActivity, DescribeActivity, ListActivities, DeleteActivity, GetActivityTask, and the
// task callbacks SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.
#include <chrono>

#include "api/sfn/common.h"
#include "api/sfn/operations.h"

namespace stepway::api::sfn {

namespace {

Response TaskError(const stepway::Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return Error("InvalidToken", e.message);
    case ErrorCode::kNotFound:
      return Error("TaskDoesNotExist", e.message);
    case ErrorCode::kTimedOut:
      return Error("TaskTimedOut", e.message);
    case ErrorCode::kFailedPrecondition:
      return Error("InvalidOutput", e.message);
    default:
      return Error("ServiceUnavailable", e.message);
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
  if (store::Tags tags = TagsOf(request); !tags.empty()) (void)c.store.TagResource(arn, tags);
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
  auto all = c.store.ListActivities();
  auto page = PageOf(request, all.size());
  if (!page) return respond(Error("InvalidToken", "Invalid Token: 'Invalid token'"));
  json::Array items;
  for (std::size_t i = page->begin; i < page->end; ++i) {
    items.push_back(json::Object{{"activityArn", all[i].arn},
                                 {"name", all[i].name},
                                 {"creationDate", Timestamp(all[i].creation_millis)}});
  }
  json::Object out{{"activities", std::move(items)}};
  if (!page->next_token.empty()) out["nextToken"] = page->next_token;
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
                            StringOf(request, "cause"), [respond = std::move(respond)](Status s) {
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

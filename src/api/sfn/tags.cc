// TagResource, UntagResource, ListTagsForResource, on state machines and activities.
#include "api/sfn/common.h"
#include "api/sfn/operations.h"

namespace stepway::api::sfn {

namespace {

// The resource exists: a state machine or an activity.
bool Exists(Context& c, const std::string& arn) {
  return c.store.GetStateMachine(arn).has_value() || c.store.GetActivity(arn).has_value();
}

Response NotFound(const std::string& arn) {
  return Error("ResourceNotFound", "Resource not found: '" + arn + "'");
}

}  // namespace

void TagResource(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "resourceArn");
  if (arn.rfind("arn:", 0) != 0) {
    return respond(Error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + arn + "'"));
  }
  if (!Exists(c, arn)) return respond(NotFound(arn));
  const store::Tags tags = TagsOf(request);
  store::Tags current = c.store.ListTags(arn);
  std::size_t total = current.size();
  for (const auto& [k, v] : tags) total += current.count(k) ? 0 : 1;
  if (total > 50) {
    return respond(Error("TooManyTags", "Too many tags: the maximum is 50 tags per resource"));
  }
  if (auto s = c.store.TagResource(arn, tags); !s) {
    return respond(Error("ServiceUnavailable", s.error().message));
  }
  respond(Ok(json::Object()));
}

void UntagResource(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "resourceArn");
  if (arn.rfind("arn:", 0) != 0) {
    return respond(Error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + arn + "'"));
  }
  if (!Exists(c, arn)) return respond(NotFound(arn));
  std::vector<std::string> keys;
  if (const json::Value* list = request.if_contains("tagKeys"); list && list->is_array()) {
    for (const json::Value& k : list->get_array()) {
      if (k.is_string()) keys.emplace_back(k.get_string());
    }
  }
  if (auto s = c.store.UntagResource(arn, keys); !s) {
    return respond(Error("ServiceUnavailable", s.error().message));
  }
  respond(Ok(json::Object()));
}

void ListTagsForResource(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "resourceArn");
  if (arn.rfind("arn:", 0) != 0) {
    return respond(Error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + arn + "'"));
  }
  if (!Exists(c, arn)) return respond(NotFound(arn));
  json::Array tags;
  for (const auto& [k, v] : c.store.ListTags(arn)) {
    tags.push_back(json::Object{{"key", k}, {"value", v}});
  }
  respond(Ok(json::Object{{"tags", std::move(tags)}}));
}

}  // namespace stepway::api::sfn

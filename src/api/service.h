// The API front door: turns a Request into a call of a Step Functions operation, in AWS's
// order — envelope (json_protocol.h), SigV4 when credentials are configured (sigv4.h),
// validation against the service model (model.h), then the operation (sfn/).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/protocol.h"
#include "api/sfn/common.h"
#include "json/json.h"

namespace stepway::api {

struct ServiceOptions {
  // Access key id -> secret key. Empty: requests are not authenticated (the default, with the
  // server on loopback).
  std::map<std::string, std::string> credentials;
  // Serves the TransferService operations (their requests already validated against the model);
  // unset: they are answered as not served.
  std::function<void(std::string_view operation, const json::Object& request, Respond respond)>
      transfer;
};

// The Handler for every request. `context` must outlive it.
Handler NewServiceHandler(sfn::Context& context, ServiceOptions options);

}  // namespace stepway::api

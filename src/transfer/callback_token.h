// The token a CUSTOM step hands its target: the model's CallbackToken is `\w{1,64}`, too short
// for a task token, so it is a short form of one. 64 hex digits: the task id, the token's nonce,
// and the first 16 bytes of SHA-256 over the full task token. The full token carries a MAC
// under the data folder's key, so only this server can make a short token that matches; with
// the execution (SendWorkflowStepState names it) the full token is rebuilt and checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runtime/task_token.h"

namespace stepway::transfer {

// The short token of `task_token`; "" when `task_token` is not one of `codec`'s.
std::string ShortToken(const runtime::TaskTokenCodec& codec, std::string_view task_token);

// The full task token that `short_token` stands for in `execution_arn`; nullopt when it is not
// a short token this server made for that execution.
std::optional<std::string> FullToken(const runtime::TaskTokenCodec& codec,
                                     std::string_view execution_arn, std::string_view short_token);

}  // namespace stepway::transfer

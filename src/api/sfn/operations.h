// The Step Functions operations Stepway serves, one function each (declared here, defined in
// the file of the resource they act on).
#pragma once

#include "api/sfn/common.h"

namespace stepway::api::sfn {

#define STEPWAY_SFN_OPERATION(name) \
  void name(Context& context, const json::Object& request, Respond respond);

STEPWAY_SFN_OPERATION(CreateStateMachine)
STEPWAY_SFN_OPERATION(DescribeStateMachine)
STEPWAY_SFN_OPERATION(ListStateMachines)
STEPWAY_SFN_OPERATION(UpdateStateMachine)
STEPWAY_SFN_OPERATION(DeleteStateMachine)
STEPWAY_SFN_OPERATION(DescribeStateMachineForExecution)
STEPWAY_SFN_OPERATION(ValidateStateMachineDefinition)
STEPWAY_SFN_OPERATION(StartExecution)
STEPWAY_SFN_OPERATION(StartSyncExecution)
STEPWAY_SFN_OPERATION(DescribeExecution)
STEPWAY_SFN_OPERATION(ListExecutions)
STEPWAY_SFN_OPERATION(StopExecution)
STEPWAY_SFN_OPERATION(GetExecutionHistory)
STEPWAY_SFN_OPERATION(CreateActivity)
STEPWAY_SFN_OPERATION(DescribeActivity)
STEPWAY_SFN_OPERATION(ListActivities)
STEPWAY_SFN_OPERATION(DeleteActivity)
STEPWAY_SFN_OPERATION(GetActivityTask)
STEPWAY_SFN_OPERATION(SendTaskSuccess)
STEPWAY_SFN_OPERATION(SendTaskFailure)
STEPWAY_SFN_OPERATION(SendTaskHeartbeat)
STEPWAY_SFN_OPERATION(TagResource)
STEPWAY_SFN_OPERATION(UntagResource)
STEPWAY_SFN_OPERATION(ListTagsForResource)

#undef STEPWAY_SFN_OPERATION

}  // namespace stepway::api::sfn

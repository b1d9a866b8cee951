// The AWS service models of Step Functions and Transfer Family as tables, and request
// validation from them.
//
// The tables are generated from botocore's service-2.json files by tools/gen_model_tables.py
// (src/api/model_sfn.inc, model_transfer.inc): every operation (input, output, errors) and every
// shape (type, length or value range, pattern, enum values, members, required members). No
// handler validates a constraint the model states; ValidateInput does it for every operation,
// answering as AWS's request layer (Coral) does:
//
// - A member of the wrong JSON type: `SerializationException` with Coral's message ("class
//   java.lang.String can not be converted to an Integer", "Start of structure or map found where
//   not expected.", ...). The first such member ends the check.
// - Otherwise every constraint violation, in model member order, as one `ValidationException`:
//   "1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must
//   have length less than or equal to 80", several joined by "; " after "N validation errors
//   detected: ". Paths lower the first letter of member names ("serverId"); list elements are
//   'routingConfiguration.1.member.weight', map values 'tags.<key>.member'. Sensitive shapes
//   are named without their value ("Value at 'input' ..."). JSON null is an absent member.
// - Members the model does not name are ignored, as AWS does.
//
// Everything here is immutable after static initialisation and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "api/protocol.h"
#include "json/json.h"

namespace stepway::api {

enum class Service : std::uint8_t { kStepFunctions, kTransfer };

enum class ShapeType : std::uint8_t {
  kString, kInteger, kLong, kFloat, kDouble, kBoolean, kTimestamp, kBlob, kList, kMap, kStructure,
};

// A structure member: its name as on the wire, the index of its shape, whether required.
struct Member {
  std::string_view name;
  std::uint16_t shape = 0;
  bool required = false;
};

struct Shape {
  std::string_view name;
  ShapeType type = ShapeType::kString;
  // Length (string, blob, list, map) or value (numbers) bounds.
  bool has_min = false;
  std::int64_t min = 0;
  bool has_max = false;
  std::int64_t max = 0;
  std::string_view pattern;  // as the model spells it (Java syntax), quoted in messages
  std::string_view regex;    // the same pattern for PCRE2; matched against the whole value
  std::span<const std::string_view> enum_values;  // in the order AWS lists them
  std::span<const Member> members;                 // structure members, in model order
  int key = -1;    // map key shape
  int value = -1;  // list member or map value shape
  bool is_union = false;
  bool sensitive = false;      // AWS leaves the value out of messages
  bool size_in_bytes = false;  // max is checked in UTF-8 bytes, with AWS's "size" wording
  bool is_error = false;       // an exception shape
  int status = 400;            // its HTTP status, when is_error
};

struct Operation {
  std::string_view name;
  int input = -1;   // shape index, -1 when the operation takes none
  int output = -1;  // shape index, -1 when it returns none
  std::span<const std::uint16_t> errors;  // shape indexes of the errors it may answer
};

// All operations of a service, sorted by name.
std::span<const Operation> Operations(Service service);
// All shapes of a service, sorted by name; Member::shape and friends index into this.
std::span<const Shape> Shapes(Service service);

// The operation named exactly `name` ("StartExecution"), or nullptr.
const Operation* FindOperation(Service service, std::string_view name);
// The shape named exactly `name`, or nullptr.
const Shape* FindShape(Service service, std::string_view name);

// "AWSStepFunctions" / "TransferService", and the JSON protocol version of each.
std::string_view TargetPrefix(Service service);
JsonVersion ProtocolVersion(Service service);

// Whether the pattern of shape `shape_index` compiled (every one should; for tests).
bool PatternCompiles(Service service, std::size_t shape_index);

// Checks `body` (the parsed request) against the operation's input shape. nullopt when it
// conforms; otherwise AWS's error (SerializationException or ValidationException, status 400)
// as described above. `body` that is not an object is a SerializationException.
std::optional<ApiError> ValidateInput(Service service, const Operation& operation,
                                      const json::Value& body);

}  // namespace stepway::api

// The AWS Step Functions actions (API reference, version 2016-11-23) over the
// engine and its store. Members, error names and limits are AWS's.

#include "api.h"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "serve_metrics.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "stepflow/asl/value.h"
#include "stepflow/engine/engine.h"
#include "stepflow/storage/store.h"

namespace stepflow::server {
namespace {

using asl::Value;

constexpr std::string_view kTargetPrefix = "AWSStepFunctions.";
constexpr size_t kMaxPayloadBytes = 256 * 1024;  // input, output (AWS: 262144)
constexpr size_t kMaxArnLength = 256;
constexpr size_t kMaxTokenLength = 1024;
constexpr size_t kMaxErrorLength = 256;
constexpr size_t kMaxCauseLength = 32768;
constexpr size_t kMaxResults = 1000;
constexpr size_t kDefaultResults = 100;

// An error answer on its way out of an action.
struct ApiError {
  std::string type;
  std::string message;
  int status = 400;
};

template <typename T>
struct Result {
  Result(T v) : value(std::move(v)) {}             // NOLINT: implicit by design
  Result(ApiError e) : error(std::move(e)) {}       // NOLINT
  std::optional<T> value;
  std::optional<ApiError> error;
};

ApiError Validation(std::string message) { return {"ValidationException", std::move(message)}; }

ApiError NotInEnum(const std::string& value, std::string_view member, std::string_view allowed) {
  return Validation("1 validation error detected: Value '" + value + "' at '" + std::string(member) +
                    "' failed to satisfy constraint: Member must satisfy enum value set: [" + std::string(allowed) +
                    "]");
}

ApiError NotNull(std::string_view member) {
  return Validation("1 validation error detected: Value null at '" + std::string(member) +
                    "' failed to satisfy constraint: Member must not be null");
}

ApiError TooLong(std::string_view member, size_t limit) {
  return Validation("1 validation error detected: Value at '" + std::string(member) +
                    "' failed to satisfy constraint: Member must have length less than or equal to " +
                    std::to_string(limit));
}

// The one table from Status codes to AWS error types, for failures that no
// action maps more precisely.
ApiError FromStatus(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      return Validation(s.message());
    case Status::Code::kBusy:
      return {"ThrottlingException", s.message(), 400};
    case Status::Code::kNotFound:
      return {"ResourceNotFound", s.message(), 400};
    case Status::Code::kAlreadyExists:
    case Status::Code::kConflict:
      return {"ConflictException", s.message(), 400};
    default:
      return {"InternalFailure", s.message(), 500};
  }
}

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }
Value Date(int64_t ns) { return Value::Double(Seconds(ns)); }
Value Str(std::string s) { return Value::String(std::move(s)); }

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The members of a request body, type-checked on access. AWS answers a member
// of the wrong JSON type with SerializationException.
class Members {
 public:
  explicit Members(Value body) : body_(std::move(body)) {}

  // A string member; nullopt when absent or null.
  Result<std::optional<std::string>> String(std::string_view key) const {
    const Value* v = body_.Find(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return WrongType(key, "a string");
    return std::optional<std::string>(v->AsString());
  }
  Result<std::string> Required(std::string_view key, size_t max_length) const {
    auto r = String(key);
    if (r.error) return *r.error;
    if (!*r.value) return NotNull(key);
    if ((*r.value)->size() > max_length) return TooLong(key, max_length);
    return std::move(**r.value);
  }
  Result<std::optional<bool>> Bool(std::string_view key) const {
    const Value* v = body_.Find(key);
    if (v == nullptr || v->is_null()) return std::optional<bool>();
    if (!v->is_bool()) return WrongType(key, "a boolean");
    return std::optional<bool>(v->AsBool());
  }
  // maxResults: 0 or absent means the default; AWS allows at most 1000.
  Result<size_t> MaxResults() const {
    const Value* v = body_.Find("maxResults");
    if (v == nullptr || v->is_null()) return kDefaultResults;
    if (!v->is_int()) return WrongType("maxResults", "an integer");
    int64_t n = v->AsInt();
    if (n < 0 || n > static_cast<int64_t>(kMaxResults)) {
      return Validation("1 validation error detected: Value '" + std::to_string(n) +
                        "' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000");
    }
    return n == 0 ? kDefaultResults : static_cast<size_t>(n);
  }
  const Value& body() const { return body_; }

 private:
  static ApiError WrongType(std::string_view key, const char* expected) {
    return {"SerializationException", "The member '" + std::string(key) + "' must be " + expected + "."};
  }
  Value body_;
};

// ---- ARNs

struct ParsedArn {
  std::string resource_type;            // "stateMachine", "execution"
  std::vector<std::string> resource;    // the parts after the resource type
};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Parses `arn` as a Step Functions ARN of this server's region and account.
// AWS answers an ARN that is not one with InvalidArn.
Result<ParsedArn> ParseArn(const ApiOptions& options, const std::string& arn) {
  std::vector<std::string> p = Split(arn, ':');
  if (p.size() < 7 || p[0] != "arn" || p[1] != "aws" || p[2] != "states" || p[3].empty() || p[4].empty()) {
    return ApiError{"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " + arn + "'"};
  }
  if (p[3] != options.region || p[4] != options.account_id) {
    return ApiError{"InvalidArn", "Invalid Arn: 'Arn is not of this region and account (" + options.region + ", " +
                                      options.account_id + "): " + arn + "'"};
  }
  ParsedArn parsed;
  parsed.resource_type = p[5];
  parsed.resource.assign(p.begin() + 6, p.end());
  for (const std::string& part : parsed.resource) {
    if (part.empty()) return ApiError{"InvalidArn", "Invalid Arn: 'Resource name not valid: " + arn + "'"};
  }
  return parsed;
}

// The ARN of a state machine. A version or alias ARN (NAME:1, NAME:alias) is
// well formed but names nothing here: stepflow does not publish versions.
Result<std::string> StateMachineArnMember(const ApiOptions& options, const Members& m) {
  auto arn = m.Required("stateMachineArn", kMaxArnLength);
  if (arn.error) return *arn.error;
  auto parsed = ParseArn(options, *arn.value);
  if (parsed.error) return *parsed.error;
  if (parsed.value->resource_type != "stateMachine") {
    return ApiError{"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " +
                                      parsed.value->resource_type + "'"};
  }
  if (parsed.value->resource.size() != 1) {
    return ApiError{"StateMachineDoesNotExist", "State Machine Does Not Exist: '" + *arn.value + "'"};
  }
  return std::move(*arn.value);
}

Result<std::string> ExecutionArnMember(const ApiOptions& options, const Members& m) {
  auto arn = m.Required("executionArn", kMaxArnLength);
  if (arn.error) return *arn.error;
  auto parsed = ParseArn(options, *arn.value);
  if (parsed.error) return *parsed.error;
  if (parsed.value->resource_type != "execution" || parsed.value->resource.size() != 2) {
    return ApiError{"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " +
                                      parsed.value->resource_type + "'"};
  }
  return std::move(*arn.value);
}

ApiError ExecutionDoesNotExist(const std::string& arn) {
  return {"ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'"};
}
ApiError StateMachineDoesNotExist(const std::string& arn) {
  return {"StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'"};
}

ApiError StateMachineDeleting(const std::string& arn) {
  return {"StateMachineDeleting", "State Machine is being deleted: '" + arn + "'"};
}

// IAM role ARNs are stored, never used: only their shape is checked, as AWS
// answers a malformed one with InvalidArn.
std::optional<ApiError> CheckRoleArn(const std::string& role_arn) {
  std::vector<std::string> p = Split(role_arn, ':');
  if (p.size() != 6 || p[0] != "arn" || p[1].empty() || p[2] != "iam" || p[5].rfind("role/", 0) != 0 ||
      p[5].size() <= 5 || role_arn.size() > kMaxArnLength) {
    return ApiError{"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " + role_arn + "'"};
  }
  return std::nullopt;
}

// ---- definitions

const char* SeverityName(asl::Diagnostic::Severity severity) {
  return severity == asl::Diagnostic::Severity::kError ? "ERROR" : "WARNING";
}

// Validates like CreateStateMachine: InvalidDefinition with every error, in
// AWS's message form ("Invalid State Machine Definition: 'CODE: message at /loc, ...'").
std::optional<ApiError> CheckDefinition(const std::string& definition) {
  asl::Diagnostics diagnostics;
  asl::ParseDefinition(definition, &diagnostics);
  if (!asl::HasError(diagnostics)) return std::nullopt;
  std::string text;
  for (const asl::Diagnostic& d : diagnostics) {
    if (d.severity != asl::Diagnostic::Severity::kError) continue;
    if (!text.empty()) text += ", ";
    text += d.code + ": " + d.message + " at " + (d.location.empty() ? "/" : d.location);
  }
  return ApiError{"InvalidDefinition", "Invalid State Machine Definition: '" + text + "'"};
}

Value LoggingConfiguration() {
  return Value::MakeObject({{"level", Str("OFF")}, {"includeExecutionData", Value::Bool(false)}});
}
Value TracingConfiguration() { return Value::MakeObject({{"enabled", Value::Bool(false)}}); }

Result<std::string> ParsePayloadText(const std::optional<std::string>& text, std::string_view member,
                                     const char* error_type) {
  if (!text) return std::string("{}");
  if (text->size() > kMaxPayloadBytes) return TooLong(member, kMaxPayloadBytes);
  Value v;
  asl::JsonError e;
  if (!asl::ParseJson(*text, &v, &e)) {
    return ApiError{error_type, "Invalid " + std::string(member) + ": the text is not JSON (line " +
                                    std::to_string(e.line) + ", column " + std::to_string(e.column) +
                                    "): " + e.message};
  }
  return *text;
}

// ---- the actions

class Actions {
 public:
  Actions(engine::Engine* engine, const ApiOptions& options, ServeMetrics* metrics)
      : engine_(engine), store_(engine->store()), options_(options), metrics_(metrics) {}

  // The execution named by the request's executionArn.
  Result<storage::ExecutionRecord> Execution(const Members& m) {
    auto arn = ExecutionArnMember(options_, m);
    if (arn.error) return *arn.error;
    auto record = store_.GetExecution(*arn.value);
    if (record.status().IsNotFound()) return ExecutionDoesNotExist(*arn.value);
    if (!record.ok()) return FromStatus(record.status());
    return std::move(*record);
  }

  // The latest revision of a state machine.
  Result<storage::StateMachineRecord> Machine(const std::string& arn) {
    auto machine = store_.GetStateMachine(arn);
    if (machine.status().IsNotFound()) return StateMachineDoesNotExist(arn);
    if (!machine.ok()) return FromStatus(machine.status());
    return std::move(*machine);
  }

  Result<Value> CreateStateMachine(const Members& m) {
    auto name = m.Required("name", 80);
    if (name.error) return *name.error;
    auto definition = m.Required("definition", 1024 * 1024);
    if (definition.error) return *definition.error;
    auto role = m.Required("roleArn", kMaxArnLength);
    if (role.error) return *role.error;
    auto type = m.String("type");
    if (type.error) return *type.error;
    std::string machine_type = type.value->value_or("STANDARD");
    if (machine_type != "STANDARD" && machine_type != "EXPRESS") {
      return NotInEnum(machine_type, "type", "STANDARD, EXPRESS");
    }
    if (!IsValidName(*name.value)) return ApiError{"InvalidName", "Invalid Name: '" + *name.value + "'"};
    if (auto e = CheckRoleArn(*role.value)) return *e;
    if (auto e = CheckDefinition(*definition.value)) return *e;

    storage::StateMachineRecord record;
    record.arn = StateMachineArn(options_, *name.value);
    record.name = *name.value;
    record.type = machine_type;
    record.definition = *definition.value;
    record.role_arn = *role.value;
    record.creation_time_ns = NowNs();
    Status s = store_.CreateStateMachine(record);
    if (s.IsAlreadyExists()) {
      // Idempotent as on AWS: the same name, definition and type return the
      // existing machine (a different roleArn is ignored); anything else is a conflict.
      auto existing = store_.GetStateMachine(record.arn);
      if (!existing.ok()) return FromStatus(existing.status());
      if (existing->deleting) return StateMachineDeleting(record.arn);
      if (existing->definition != record.definition || existing->type != record.type) {
        return ApiError{"StateMachineAlreadyExists", "State Machine Already Exists: '" + record.arn + "'"};
      }
      record = *existing;
    } else if (!s.ok()) {
      return FromStatus(s);
    }
    return Value::MakeObject({{"stateMachineArn", Str(record.arn)}, {"creationDate", Date(record.creation_time_ns)}});
  }

  Result<Value> DescribeStateMachine(const Members& m) {
    auto arn = StateMachineArnMember(options_, m);
    if (arn.error) return *arn.error;
    auto found = Machine(*arn.value);
    if (found.error) return *found.error;
    const storage::StateMachineRecord* machine = &*found.value;
    return Value::MakeObject({
        {"stateMachineArn", Str(machine->arn)},
        {"name", Str(machine->name)},
        {"status", Str(machine->deleting ? "DELETING" : "ACTIVE")},
        {"definition", Str(machine->definition)},
        {"roleArn", Str(machine->role_arn)},
        {"type", Str(machine->type)},
        {"creationDate", Date(machine->creation_time_ns)},
        {"loggingConfiguration", LoggingConfiguration()},
        {"tracingConfiguration", TracingConfiguration()},
        {"revisionId", Str(std::to_string(machine->revision))},
    });
  }

  Result<Value> UpdateStateMachine(const Members& m) {
    auto arn = StateMachineArnMember(options_, m);
    if (arn.error) return *arn.error;
    auto definition = m.String("definition");
    if (definition.error) return *definition.error;
    auto role = m.String("roleArn");
    if (role.error) return *role.error;
    if (!*definition.value && !*role.value) {
      return ApiError{"MissingRequiredParameter",
                      "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration "
                      "must be specified"};
    }
    if (*role.value) {
      if (auto e = CheckRoleArn(**role.value)) return *e;
    }
    if (*definition.value) {
      if ((*definition.value)->size() > 1024 * 1024) return TooLong("definition", 1024 * 1024);
      if (auto e = CheckDefinition(**definition.value)) return *e;
    }
    auto current = Machine(*arn.value);
    if (current.error) return *current.error;
    if (current.value->deleting) return StateMachineDeleting(*arn.value);
    storage::StateMachineRecord record = *current.value;
    record.definition = definition.value->value_or(current.value->definition);
    record.role_arn = role.value->value_or(current.value->role_arn);
    // An update that changes nothing makes no revision (AWS keeps the revisionId).
    if (record.definition != current.value->definition || record.role_arn != current.value->role_arn) {
      record.revision_time_ns = NowNs();
      auto revision = store_.UpdateStateMachine(record);
      if (revision.status().IsNotFound()) return StateMachineDoesNotExist(*arn.value);
      if (!revision.ok()) return FromStatus(revision.status());
      record.revision = *revision;
    }
    return Value::MakeObject(
        {{"updateDate", Date(record.revision_time_ns)}, {"revisionId", Str(std::to_string(record.revision))}});
  }

  Result<Value> DeleteStateMachine(const Members& m) {
    auto arn = StateMachineArnMember(options_, m);
    if (arn.error) return *arn.error;
    Status s = store_.DeleteStateMachine(*arn.value);
    // AWS answers a delete of an absent machine with success.
    if (!s.ok() && !s.IsNotFound()) return FromStatus(s);
    return Value::MakeObject({});
  }

  Result<Value> ListStateMachines(const Members& m) {
    auto limit = m.MaxResults();
    if (limit.error) return *limit.error;
    auto token = m.String("nextToken");
    if (token.error) return *token.error;
    auto page = store_.ListStateMachines(token.value->value_or(""), *limit.value);
    if (page.status().IsInvalidArgument()) return ApiError{"InvalidToken", "Invalid Token: '" + **token.value + "'"};
    if (!page.ok()) return FromStatus(page.status());
    asl::Array items;
    for (const storage::StateMachineRecord& r : page->items) {
      items.push_back(Value::MakeObject({{"stateMachineArn", Str(r.arn)},
                                         {"name", Str(r.name)},
                                         {"type", Str(r.type)},
                                         {"creationDate", Date(r.creation_time_ns)}}));
    }
    asl::Object out{{"stateMachines", Value::MakeArray(std::move(items))}};
    if (!page->next_page_token.empty()) out.emplace_back("nextToken", Str(page->next_page_token));
    return Value::MakeObject(std::move(out));
  }

  Result<Value> ValidateStateMachineDefinition(const Members& m) {
    auto definition = m.Required("definition", 1024 * 1024);
    if (definition.error) return *definition.error;
    auto severity = m.String("severity");
    if (severity.error) return *severity.error;
    std::string min_severity = severity.value->value_or("ERROR");
    if (min_severity != "ERROR" && min_severity != "WARNING") {
      return NotInEnum(min_severity, "severity", "ERROR, WARNING");
    }
    auto limit = m.MaxResults();
    if (limit.error) return *limit.error;
    asl::Diagnostics diagnostics;
    asl::ParseDefinition(*definition.value, &diagnostics);
    asl::Array items;
    bool truncated = false;
    for (const asl::Diagnostic& d : diagnostics) {
      if (min_severity == "ERROR" && d.severity != asl::Diagnostic::Severity::kError) continue;
      if (items.size() == *limit.value) {
        truncated = true;
        break;
      }
      items.push_back(Value::MakeObject({{"severity", Str(SeverityName(d.severity))},
                                         {"code", Str(d.code)},
                                         {"message", Str(d.message)},
                                         {"location", Str(d.location)}}));
    }
    return Value::MakeObject({{"result", Str(asl::HasError(diagnostics) ? "FAIL" : "OK")},
                              {"diagnostics", Value::MakeArray(std::move(items))},
                              {"truncated", Value::Bool(truncated)}});
  }

  // The checked members of StartExecution and StartSyncExecution.
  struct StartMembers {
    engine::StartRequest request;
  };
  Result<StartMembers> ReadStart(const Members& m) {
    auto arn = StateMachineArnMember(options_, m);
    if (arn.error) return *arn.error;
    auto name = m.String("name");
    if (name.error) return *name.error;
    auto input = m.String("input");
    if (input.error) return *input.error;
    if (*name.value && !IsValidName(**name.value)) {
      return ApiError{"InvalidName", "Invalid Name: '" + **name.value + "'"};
    }
    auto input_text = ParsePayloadText(*input.value, "input", "InvalidExecutionInput");
    if (input_text.error) return *input_text.error;
    StartMembers out;
    out.request.state_machine_arn = std::move(*arn.value);
    out.request.name = name.value->value_or("");
    out.request.input = std::move(*input_text.value);
    return out;
  }

  Result<engine::StartResult> Start(const engine::StartRequest& request) {
    auto started = engine_->StartExecution(request);
    if (!started.ok()) {
      const Status& s = started.status();
      if (s.IsNotFound()) return StateMachineDoesNotExist(request.state_machine_arn);
      if (s.IsConflict()) return StateMachineDeleting(request.state_machine_arn);
      if (s.IsAlreadyExists()) {
        std::string arn = "arn:aws:states:" + options_.region + ":" + options_.account_id + ":execution:" +
                          Split(request.state_machine_arn, ':').back() + ":" + request.name;
        return ApiError{"ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'"};
      }
      if (s.IsInvalidArgument()) return ApiError{"InvalidExecutionInput", s.message()};
      return FromStatus(s);
    }
    if (started->created) metrics_->ExecutionStarted(StateMachineNameOfExecution(started->execution_arn));
    return std::move(*started);
  }

  Result<Value> StartExecution(const Members& m) {
    auto members = ReadStart(m);
    if (members.error) return *members.error;
    auto started = Start(members.value->request);
    if (started.error) return *started.error;
    return Value::MakeObject(
        {{"executionArn", Str(started.value->execution_arn)}, {"startDate", Date(started.value->start_time_ns)}});
  }

  // AWS runs synchronous executions of EXPRESS machines only.
  Result<Value> StartSyncExecution(const Members& m) {
    auto members = ReadStart(m);
    if (members.error) return *members.error;
    const engine::StartRequest& request = members.value->request;
    auto machine = Machine(request.state_machine_arn);
    if (machine.error) return *machine.error;
    if (machine.value->type != "EXPRESS") {
      return ApiError{"StateMachineTypeNotSupported",
                      "This operation is not supported by this type of state machine"};
    }
    auto started = Start(request);
    if (started.error) return *started.error;
    const std::string& arn = started.value->execution_arn;
    auto result = engine_->AwaitExecution(arn);
    if (!result.ok()) return FromStatus(result.status());
    auto record = store_.GetExecution(arn);
    if (!record.ok()) return FromStatus(record.status());
    asl::Object out{{"executionArn", Str(arn)},
                    {"stateMachineArn", Str(record->state_machine_arn)},
                    {"name", Str(record->name)},
                    {"startDate", Date(record->start_time_ns)},
                    {"stopDate", Date(record->stop_time_ns.value_or(NowNs()))},
                    {"status", Str(storage::ExecutionStatusName(record->status))}};
    AppendData(*record, &out);
    int64_t billed_ms = (record->stop_time_ns.value_or(NowNs()) - record->start_time_ns) / 1000000;
    out.emplace_back("billingDetails",
                     Value::MakeObject({{"billedMemoryUsedInMB", Value::Int(64)},
                                        {"billedDurationInMilliseconds", Value::Int(std::max<int64_t>(billed_ms, 100))}}));
    return Value::MakeObject(std::move(out));
  }

  Result<Value> StopExecution(const Members& m) {
    auto error = m.String("error");
    if (error.error) return *error.error;
    auto cause = m.String("cause");
    if (cause.error) return *cause.error;
    if (*error.value && (*error.value)->size() > kMaxErrorLength) return TooLong("error", kMaxErrorLength);
    if (*cause.value && (*cause.value)->size() > kMaxCauseLength) return TooLong("cause", kMaxCauseLength);
    auto record = Execution(m);
    if (record.error) return *record.error;
    const std::string& arn = record.value->arn;
    if (record.value->status == storage::ExecutionStatus::kRunning) {
      Status s = engine_->StopExecution(arn, error.value->value_or(""), cause.value->value_or(""));
      if (s.IsNotFound()) return ExecutionDoesNotExist(arn);
      // kConflict: it ended meanwhile; the stop is then answered like one of an ended execution.
      if (!s.ok() && !s.IsConflict()) return FromStatus(s);
      auto after = store_.GetExecution(arn);
      if (after.ok()) record.value = std::move(*after);
    }
    return Value::MakeObject({{"stopDate", Date(record.value->stop_time_ns.value_or(NowNs()))}});
  }

  // The members ListExecutions gives each execution; DescribeExecution adds to them.
  static asl::Object ExecutionSummary(const storage::ExecutionRecord& r) {
    asl::Object out{{"executionArn", Str(r.arn)},
                    {"stateMachineArn", Str(r.state_machine_arn)},
                    {"name", Str(r.name)},
                    {"status", Str(storage::ExecutionStatusName(r.status))},
                    {"startDate", Date(r.start_time_ns)}};
    if (r.stop_time_ns) out.emplace_back("stopDate", Date(*r.stop_time_ns));
    return out;
  }

  // input, output, error and cause of an execution, as DescribeExecution and StartSyncExecution give them.
  static void AppendData(const storage::ExecutionRecord& r, asl::Object* out) {
    out->emplace_back("input", Str(r.input));
    out->emplace_back("inputDetails", Value::MakeObject({{"included", Value::Bool(true)}}));
    if (r.output) {
      out->emplace_back("output", Str(*r.output));
      out->emplace_back("outputDetails", Value::MakeObject({{"included", Value::Bool(true)}}));
    }
    if (r.error) out->emplace_back("error", Str(*r.error));
    if (r.cause) out->emplace_back("cause", Str(*r.cause));
  }

  Result<Value> DescribeExecution(const Members& m) {
    auto found = Execution(m);
    if (found.error) return *found.error;
    const storage::ExecutionRecord& r = *found.value;
    asl::Object out = ExecutionSummary(r);
    AppendData(r, &out);
    out.emplace_back("redriveCount", Value::Int(0));
    out.emplace_back("redriveStatus", Str("NOT_REDRIVABLE"));
    return Value::MakeObject(std::move(out));
  }

  Result<Value> ListExecutions(const Members& m) {
    if (m.body().Find("mapRunArn") != nullptr && m.body().Find("stateMachineArn") == nullptr) {
      return ApiError{"ResourceNotFound", "Map Runs are not supported: stepflow runs Map states inline."};
    }
    auto arn = StateMachineArnMember(options_, m);
    if (arn.error) return *arn.error;
    auto filter = m.String("statusFilter");
    if (filter.error) return *filter.error;
    auto limit = m.MaxResults();
    if (limit.error) return *limit.error;
    auto token = m.String("nextToken");
    if (token.error) return *token.error;
    storage::ListExecutionsQuery query;
    query.state_machine_arn = *arn.value;
    query.limit = *limit.value;
    query.page_token = token.value->value_or("");
    if (*filter.value) {
      query.status = storage::ParseExecutionStatus(**filter.value);
      if (!query.status) {
        return NotInEnum(**filter.value, "statusFilter",
                         "RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE");
      }
    }
    auto machine = Machine(*arn.value);
    if (machine.error) return *machine.error;
    auto page = store_.ListExecutions(query);
    if (page.status().IsInvalidArgument()) return ApiError{"InvalidToken", "Invalid Token: '" + query.page_token + "'"};
    if (!page.ok()) return FromStatus(page.status());
    asl::Array items;
    for (const storage::ExecutionRecord& r : page->items) items.push_back(Value::MakeObject(ExecutionSummary(r)));
    asl::Object out{{"executions", Value::MakeArray(std::move(items))}};
    if (!page->next_page_token.empty()) out.emplace_back("nextToken", Str(page->next_page_token));
    return Value::MakeObject(std::move(out));
  }

  Result<Value> GetExecutionHistory(const Members& m) {
    auto limit = m.MaxResults();
    if (limit.error) return *limit.error;
    auto reverse = m.Bool("reverseOrder");
    if (reverse.error) return *reverse.error;
    auto include = m.Bool("includeExecutionData");
    if (include.error) return *include.error;
    auto token = m.String("nextToken");
    if (token.error) return *token.error;
    bool reverse_order = reverse.value->value_or(false);
    bool include_data = include.value->value_or(true);

    auto record = Execution(m);
    if (record.error) return *record.error;
    const std::string& arn = record.value->arn;

    // The token is where the next page starts: "f<id>" forward, after event
    // id; "r<id>" reverse, before it. A token of the other direction is invalid,
    // as AWS asks to keep all other arguments unchanged.
    int64_t position = 0;
    if (*token.value) {
      const std::string& t = **token.value;
      char* end = nullptr;
      long long n = t.size() > 1 ? std::strtoll(t.c_str() + 1, &end, 10) : -1;
      if (t.empty() || t[0] != (reverse_order ? 'r' : 'f') || end == nullptr || *end != '\0' || n < 0) {
        return ApiError{"InvalidToken", "Invalid Token: '" + t + "'"};
      }
      position = n;
    }
    std::vector<storage::HistoryEventRecord> events;
    bool more = false;
    if (!reverse_order) {
      auto page = store_.GetHistory(arn, position, *limit.value + 1);
      if (!page.ok()) return FromStatus(page.status());
      events = std::move(*page);
      more = events.size() > *limit.value;
      if (more) events.resize(*limit.value);
    } else {
      // The store reads forward only: the first reverse page reads the whole
      // history (at most 25,000 events) to find its end.
      std::vector<storage::HistoryEventRecord> window;
      if (!*token.value) {
        auto all = store_.GetHistory(arn, 0, SIZE_MAX);
        if (!all.ok()) return FromStatus(all.status());
        window = std::move(*all);
      } else {
        int64_t from = std::max<int64_t>(0, position - 1 - static_cast<int64_t>(*limit.value));
        auto page = store_.GetHistory(arn, from, static_cast<size_t>(position - 1 - from));
        if (!page.ok()) return FromStatus(page.status());
        window = std::move(*page);
      }
      size_t take = std::min(window.size(), *limit.value);
      events.assign(window.rbegin(), window.rbegin() + static_cast<std::ptrdiff_t>(take));
      more = !events.empty() && events.back().id > 1;
    }
    asl::Array items;
    for (const storage::HistoryEventRecord& e : events) items.push_back(HistoryEvent(e, include_data));
    asl::Object out{{"events", Value::MakeArray(std::move(items))}};
    if (more) out.emplace_back("nextToken", Str((reverse_order ? "r" : "f") + std::to_string(events.back().id)));
    return Value::MakeObject(std::move(out));
  }

  // An event as AWS returns it: timestamp, type, id, previousEventId and the
  // stored "<type>EventDetails" member. Without execution data, the input and
  // output texts are left out (their inputDetails/outputDetails stay).
  static Value HistoryEvent(const storage::HistoryEventRecord& e, bool include_data) {
    asl::Object out{{"timestamp", Date(e.timestamp_ns)},
                    {"type", Str(std::string(e.type))},
                    {"id", Value::Int(e.id)},
                    {"previousEventId", Value::Int(e.previous_event_id)}};
    if (!e.details_json.empty()) {
      Value details;
      asl::JsonError error;
      if (asl::ParseJson(e.details_json, &details, &error) && details.is_object()) {
        for (const asl::Member& member : details.AsObject()) {
          if (include_data || !member.second.is_object()) {
            out.push_back(member);
            continue;
          }
          asl::Object kept;
          for (const asl::Member& field : member.second.AsObject()) {
            if (field.first != "input" && field.first != "output") kept.push_back(field);
          }
          out.emplace_back(member.first, Value::MakeObject(std::move(kept)));
        }
      }
    }
    return Value::MakeObject(std::move(out));
  }

  Result<Value> DescribeStateMachineForExecution(const Members& m) {
    auto found = Execution(m);
    if (found.error) return *found.error;
    const storage::ExecutionRecord& execution = *found.value;
    auto machine = execution.state_machine_revision > 0
                       ? store_.GetStateMachineRevision(execution.state_machine_arn, execution.state_machine_revision)
                       : store_.GetStateMachine(execution.state_machine_arn);
    if (machine.status().IsNotFound()) return StateMachineDoesNotExist(execution.state_machine_arn);
    if (!machine.ok()) return FromStatus(machine.status());
    return Value::MakeObject({
        {"stateMachineArn", Str(machine->arn)},
        {"name", Str(machine->name)},
        {"definition", Str(machine->definition)},
        {"roleArn", Str(machine->role_arn)},
        {"updateDate", Date(machine->revision_time_ns)},
        {"loggingConfiguration", LoggingConfiguration()},
        {"tracingConfiguration", TracingConfiguration()},
        {"revisionId", Str(std::to_string(machine->revision))},
    });
  }

  // Task tokens: an unknown one is InvalidToken (AWS cannot decode it); one
  // whose task is no longer waiting is TaskTimedOut, AWS's answer for a token
  // that "has either expired or the task associated with the token has already been closed".
  ApiError TokenError(const Status& s, const std::string& token) {
    if (s.IsNotFound()) return {"InvalidToken", "Invalid token: '" + token + "'"};
    if (s.IsConflict()) return {"TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'"};
    if (s.IsInvalidArgument()) return {"InvalidOutput", "Invalid Output: " + s.message()};
    return FromStatus(s);
  }

  Result<Value> SendTaskSuccess(const Members& m) {
    auto token = m.Required("taskToken", kMaxTokenLength);
    if (token.error) return *token.error;
    auto output = m.Required("output", kMaxPayloadBytes);
    if (output.error) return *output.error;
    auto text = ParsePayloadText(*output.value, "output", "InvalidOutput");
    if (text.error) return *text.error;
    Status s = engine_->SendTaskSuccess(*token.value, *text.value);
    if (!s.ok()) return TokenError(s, *token.value);
    return Value::MakeObject({});
  }

  Result<Value> SendTaskFailure(const Members& m) {
    auto token = m.Required("taskToken", kMaxTokenLength);
    if (token.error) return *token.error;
    auto error = m.String("error");
    if (error.error) return *error.error;
    auto cause = m.String("cause");
    if (cause.error) return *cause.error;
    if (*error.value && (*error.value)->size() > kMaxErrorLength) return TooLong("error", kMaxErrorLength);
    if (*cause.value && (*cause.value)->size() > kMaxCauseLength) return TooLong("cause", kMaxCauseLength);
    Status s = engine_->SendTaskFailure(*token.value, error.value->value_or(""), cause.value->value_or(""));
    if (!s.ok()) return TokenError(s, *token.value);
    return Value::MakeObject({});
  }

  Result<Value> SendTaskHeartbeat(const Members& m) {
    auto token = m.Required("taskToken", kMaxTokenLength);
    if (token.error) return *token.error;
    Status s = engine_->SendTaskHeartbeat(*token.value);
    if (!s.ok()) return TokenError(s, *token.value);
    return Value::MakeObject({});
  }

 private:
  engine::Engine* engine_;
  storage::Store& store_;
  const ApiOptions& options_;
  ServeMetrics* metrics_;
};

using Action = Result<Value> (Actions::*)(const Members&);

// Every action this server answers, by its X-Amz-Target name.
constexpr std::pair<std::string_view, Action> kActions[] = {
    {"CreateStateMachine", &Actions::CreateStateMachine},
    {"DescribeStateMachine", &Actions::DescribeStateMachine},
    {"UpdateStateMachine", &Actions::UpdateStateMachine},
    {"DeleteStateMachine", &Actions::DeleteStateMachine},
    {"ListStateMachines", &Actions::ListStateMachines},
    {"ValidateStateMachineDefinition", &Actions::ValidateStateMachineDefinition},
    {"StartExecution", &Actions::StartExecution},
    {"StartSyncExecution", &Actions::StartSyncExecution},
    {"StopExecution", &Actions::StopExecution},
    {"DescribeExecution", &Actions::DescribeExecution},
    {"ListExecutions", &Actions::ListExecutions},
    {"GetExecutionHistory", &Actions::GetExecutionHistory},
    {"SendTaskSuccess", &Actions::SendTaskSuccess},
    {"SendTaskFailure", &Actions::SendTaskFailure},
    {"SendTaskHeartbeat", &Actions::SendTaskHeartbeat},
    {"DescribeStateMachineForExecution", &Actions::DescribeStateMachineForExecution},
};

// "application/x-amz-json-1.0", optionally with parameters ("; charset=utf-8");
// plain application/json is accepted too, as some clients send it.
bool IsJsonContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower;
  for (char c : media) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower == "application/x-amz-json-1.0" || lower == "application/json";
}

}  // namespace

ApiResponse ErrorResponse(int status, std::string_view type, std::string_view message) {
  ApiResponse response;
  response.status = status;
  response.error_type = std::string(type);
  response.body = asl::ToJson(Value::MakeObject({{"__type", Str(std::string(type))}, {"message", Str(std::string(message))}}));
  return response;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 80) return false;
  constexpr std::string_view kForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/";
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c <= 0x20 || c == 0x7F || kForbidden.find(static_cast<char>(c)) != std::string_view::npos) return false;
    // U+0080-U+009F (C1 controls) and U+00A0 (no-break space) are \xC2\x80-\xC2\xA0 in UTF-8.
    if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0xA0) return false;
  }
  return true;
}

std::string StateMachineArn(const ApiOptions& options, std::string_view name) {
  return "arn:aws:states:" + options.region + ":" + options.account_id + ":stateMachine:" + std::string(name);
}

std::string StateMachineNameOfExecution(std::string_view execution_arn) {
  // arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME; counted, not split:
  // it runs for every start and every finish.
  size_t start = 0;
  for (int colons = 0; colons < 6; ++colons) {
    start = execution_arn.find(':', start);
    if (start == std::string_view::npos) return std::string();
    ++start;
  }
  size_t end = execution_arn.find(':', start);
  if (end == std::string_view::npos) return std::string();
  return std::string(execution_arn.substr(start, end - start));
}

Api::Api(engine::Engine* engine, ApiOptions options, ServeMetrics* metrics)
    : engine_(engine), options_(std::move(options)), metrics_(metrics) {}

ApiResponse Api::Handle(const ApiRequest& request) {
  std::string_view target = request.target;
  Action action = nullptr;
  std::string_view action_name;
  if (target.substr(0, kTargetPrefix.size()) == kTargetPrefix) {
    std::string_view name = target.substr(kTargetPrefix.size());
    for (const auto& [known, fn] : kActions) {
      if (known == name) {
        action = fn;
        action_name = known;
        break;
      }
    }
  }
  ApiResponse response;
  if (action == nullptr) {
    response = ErrorResponse(400, "UnknownOperationException",
                             target.empty() ? "Missing X-Amz-Target header" : "Unknown operation: " + request.target);
  } else if (!IsJsonContentType(request.content_type)) {
    response = ErrorResponse(400, "SerializationException",
                             "Unsupported Content-Type '" + request.content_type +
                                 "': expected application/x-amz-json-1.0");
  } else {
    Value body;
    asl::JsonError json_error;
    // An empty body is an empty request, as AWS reads it.
    std::string_view text = request.body.find_first_not_of(" \t\r\n") == std::string::npos
                                ? std::string_view("{}")
                                : std::string_view(request.body);
    if (!asl::ParseJson(text, &body, &json_error)) {
      response = ErrorResponse(400, "SerializationException",
                               "The request body is not valid JSON (line " + std::to_string(json_error.line) +
                                   ", column " + std::to_string(json_error.column) + "): " + json_error.message);
    } else if (!body.is_object()) {
      response = ErrorResponse(400, "SerializationException", "The request body must be a JSON object.");
    } else {
      Actions actions(engine_, options_, metrics_);
      Result<Value> result = (actions.*action)(Members(std::move(body)));
      if (result.error) {
        response = ErrorResponse(result.error->status, result.error->type, result.error->message);
      } else {
        response.body = asl::ToJson(*result.value);
      }
    }
  }
  metrics_->Request(action == nullptr ? "unknown" : std::string(action_name),
                    response.error_type.empty() ? "ok" : response.error_type);
  return response;
}

}  // namespace stepflow::server

// ParseDefinition: JSON text -> the immutable model, validated like AWS
// ValidateStateMachineDefinition (every problem reported at once).

#include <cmath>
#include <deque>
#include <string_view>
#include <unordered_map>

#include "field_reader.h"
#include "parse_internal.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "stepflow/asl/timestamp.h"

namespace stepflow::asl {
namespace {

// AWS's limits (Step Functions quotas and the ASL field ranges).
constexpr size_t kMaxStateNameLength = 80;
constexpr int64_t kMaxSeconds = 99999999;
constexpr int64_t kMaxDelaySeconds = 31622400;  // one year
constexpr int64_t kMaxInt32 = 2147483647;

constexpr uint16_t Bit(StateType t) { return static_cast<uint16_t>(1u << static_cast<int>(t)); }
constexpr uint16_t kPass = Bit(StateType::kPass), kTask = Bit(StateType::kTask), kChoice = Bit(StateType::kChoice),
                   kWait = Bit(StateType::kWait), kSucceed = Bit(StateType::kSucceed),
                   kFail = Bit(StateType::kFail), kParallel = Bit(StateType::kParallel),
                   kMap = Bit(StateType::kMap);
constexpr uint16_t kAllTypes = 0xFF;
constexpr uint16_t kTransitioning = kPass | kTask | kWait | kParallel | kMap;  // Next / End

enum class Lang { kBoth, kJsonPath, kJsonata };

// Which state types may carry each field, and in which query language. This is
// AWS's field table; a field not listed here belongs to no state.
struct FieldRule {
  std::string_view name;
  uint16_t types;
  Lang lang;
};

constexpr FieldRule kStateFields[] = {
    {"Type", kAllTypes, Lang::kBoth},
    {"Comment", kAllTypes, Lang::kBoth},
    {"QueryLanguage", kAllTypes, Lang::kBoth},
    {"Next", kTransitioning, Lang::kBoth},
    {"End", kTransitioning, Lang::kBoth},
    {"InputPath", kAllTypes & ~kFail, Lang::kJsonPath},
    {"OutputPath", kAllTypes & ~kFail, Lang::kJsonPath},
    {"ResultPath", kPass | kTask | kParallel | kMap, Lang::kJsonPath},
    {"Parameters", kPass | kTask | kParallel | kMap, Lang::kJsonPath},
    {"ResultSelector", kTask | kParallel | kMap, Lang::kJsonPath},
    {"Result", kPass, Lang::kJsonPath},
    {"Assign", kAllTypes & ~(kSucceed | kFail), Lang::kBoth},
    {"Output", kAllTypes & ~kFail, Lang::kJsonata},
    {"Arguments", kTask | kParallel, Lang::kJsonata},
    {"Resource", kTask, Lang::kBoth},
    {"TimeoutSeconds", kTask, Lang::kBoth},
    {"TimeoutSecondsPath", kTask, Lang::kJsonPath},
    {"HeartbeatSeconds", kTask, Lang::kBoth},
    {"HeartbeatSecondsPath", kTask, Lang::kJsonPath},
    {"Credentials", kTask, Lang::kBoth},
    {"Retry", kTask | kParallel | kMap, Lang::kBoth},
    {"Catch", kTask | kParallel | kMap, Lang::kBoth},
    {"Choices", kChoice, Lang::kBoth},
    {"Default", kChoice, Lang::kBoth},
    {"Seconds", kWait, Lang::kBoth},
    {"Timestamp", kWait, Lang::kBoth},
    {"SecondsPath", kWait, Lang::kJsonPath},
    {"TimestampPath", kWait, Lang::kJsonPath},
    {"Error", kFail, Lang::kBoth},
    {"Cause", kFail, Lang::kBoth},
    {"ErrorPath", kFail, Lang::kJsonPath},
    {"CausePath", kFail, Lang::kJsonPath},
    {"Branches", kParallel, Lang::kBoth},
    {"ItemProcessor", kMap, Lang::kBoth},
    {"Iterator", kMap, Lang::kBoth},
    {"ItemsPath", kMap, Lang::kJsonPath},
    {"Items", kMap, Lang::kJsonata},
    {"ItemSelector", kMap, Lang::kBoth},
    {"MaxConcurrency", kMap, Lang::kBoth},
    {"MaxConcurrencyPath", kMap, Lang::kJsonPath},
    {"ItemReader", kMap, Lang::kBoth},
    {"ItemBatcher", kMap, Lang::kBoth},
    {"ResultWriter", kMap, Lang::kBoth},
    {"Label", kMap, Lang::kBoth},
    {"ToleratedFailureCount", kMap, Lang::kBoth},
    {"ToleratedFailureCountPath", kMap, Lang::kJsonPath},
    {"ToleratedFailurePercentage", kMap, Lang::kBoth},
    {"ToleratedFailurePercentagePath", kMap, Lang::kJsonPath},
};

const FieldRule* FindFieldRule(std::string_view name) {
  for (const FieldRule& rule : kStateFields) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

struct StateTypeEntry {
  std::string_view name;
  StateType type;
};
constexpr StateTypeEntry kStateTypes[] = {
    {"Pass", StateType::kPass},       {"Task", StateType::kTask},         {"Choice", StateType::kChoice},
    {"Wait", StateType::kWait},       {"Succeed", StateType::kSucceed},   {"Fail", StateType::kFail},
    {"Parallel", StateType::kParallel}, {"Map", StateType::kMap},
};

const char* LanguageName(QueryLanguage language) {
  return language == QueryLanguage::kJsonata ? "JSONata" : "JSONPath";
}

enum class MachineKind { kTop, kBranch, kItemProcessor };

// State over the whole parse: names are unique across the top machine, its Parallel
// branches and Map item processors (AWS reports DUPLICATE_STATE_NAME otherwise).
struct Context {
  Diagnostics* diagnostics;
  std::unordered_map<std::string, std::string> location_by_name;
};

std::shared_ptr<StateMachine> ParseMachine(const Value& source, const std::string& location,
                                           QueryLanguage inherited, MachineKind kind, Context* context);

std::optional<QueryLanguage> ReadQueryLanguage(const FieldReader& r) {
  std::optional<std::string> text = r.String("QueryLanguage");
  if (!text) return std::nullopt;
  if (*text == "JSONPath") return QueryLanguage::kJsonPath;
  if (*text == "JSONata") return QueryLanguage::kJsonata;
  r.Error(r.Loc("QueryLanguage"), "The field 'QueryLanguage' must be \"JSONPath\" or \"JSONata\", not \"" + *text + "\".");
  return std::nullopt;
}

// InputPath / OutputPath / ResultPath / ItemsPath: absent -> kDefault, null -> kNull.
PathField ReadPathField(const FieldReader& r, std::string_view field, bool reference, bool input_root_only) {
  PathField out;
  const Value* v = r.Find(field);
  if (v == nullptr) return out;
  if (v->is_null()) {
    out.kind = PathField::Kind::kNull;
    return out;
  }
  if (!ReadPath(*v, r.Loc(field), field, reference, &out.path, r.diagnostics())) return out;
  if (input_root_only && out.path.root() != Path::Root::kInput) {
    r.Error(r.Loc(field), "The field '" + std::string(field) + "' must be a path into the state input ('$...'), not '" +
                              v->AsString() + "'.", codes::kInvalidJsonPath);
    return out;
  }
  out.kind = PathField::Kind::kPath;
  return out;
}

// A number given literally (`field`), through a reference path (`path_field`, in
// JSONPath states) or as a JSONata expression (in JSONata states).
NumberField ReadNumberField(const FieldReader& r, std::string_view field, std::string_view path_field,
                            QueryLanguage language, double min, double max, bool integer) {
  NumberField out;
  const Value* v = r.Find(field);
  if (v != nullptr) {
    if (language == QueryLanguage::kJsonata && IsJsonataExpression(*v)) {
      out.jsonata = *v;
    } else if (integer) {
      if (std::optional<int64_t> i = r.Integer(field, static_cast<int64_t>(min), static_cast<int64_t>(max))) {
        out.value = static_cast<double>(*i);
      }
    } else if (std::optional<double> d = r.Number(field)) {
      if (*d < min || *d > max) {
        r.Error(r.Loc(field), "The field '" + std::string(field) + "' must be a number from " +
                                  std::to_string(static_cast<int64_t>(min)) + " to " +
                                  std::to_string(static_cast<int64_t>(max)) + ".");
      } else {
        out.value = *d;
      }
    }
  }
  if (!path_field.empty() && language == QueryLanguage::kJsonPath && r.Has(path_field)) {
    if (v != nullptr) {
      r.Error(r.Loc(path_field), "The fields '" + std::string(field) + "' and '" + std::string(path_field) +
                                     "' are mutually exclusive; give only one.");
    }
    out.path = r.JsonPath(path_field, /*reference=*/true);
  }
  return out;
}

void ReadErrorEquals(const FieldReader& r, bool is_last, std::vector<std::string>* out) {
  const Value* errors = r.Array("ErrorEquals", /*required=*/true);
  if (errors == nullptr) return;
  const Array& items = errors->AsArray();
  if (items.empty()) {
    r.Error(r.Loc("ErrorEquals"), "The field 'ErrorEquals' must list at least one error name.");
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      r.Error(PointerAppend(r.Loc("ErrorEquals"), std::to_string(i)), "An error name must be a string.");
      continue;
    }
    out->push_back(items[i].AsString());
    // AWS: "States.ALL" must appear alone, in the last retrier / catcher.
    if (items[i].AsString() == "States.ALL") {
      if (items.size() != 1) {
        r.Error(PointerAppend(r.Loc("ErrorEquals"), std::to_string(i)),
                "'States.ALL' must appear alone in 'ErrorEquals'.");
      } else if (!is_last) {
        r.Error(PointerAppend(r.Loc("ErrorEquals"), std::to_string(i)),
                "A retrier or catcher with 'States.ALL' must be the last one.");
      }
    }
  }
}

void CheckMembers(const FieldReader& r, std::initializer_list<std::string_view> allowed, const char* what) {
  for (const auto& [key, value] : r.object().AsObject()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) r.Error(r.Loc(key), "The field '" + key + "' is not supported in " + what + ".");
  }
}

std::vector<Retrier> ReadRetry(const FieldReader& state) {
  std::vector<Retrier> out;
  const Value* retry = state.Array("Retry");
  if (retry == nullptr) return out;
  const Array& items = retry->AsArray();
  for (size_t i = 0; i < items.size(); ++i) {
    FieldReader r(items[i], PointerAppend(state.Loc("Retry"), std::to_string(i)), state.diagnostics());
    if (!items[i].is_object()) {
      r.Error(r.location(), "A retrier must be an object.");
      continue;
    }
    r.CheckDuplicateMembers();
    CheckMembers(r,
                 {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy",
                  "Comment"},
                 "a retrier");
    Retrier retrier;
    ReadErrorEquals(r, i + 1 == items.size(), &retrier.error_equals);
    if (auto v = r.Integer("IntervalSeconds", 1, kMaxSeconds)) retrier.interval_seconds = static_cast<double>(*v);
    if (auto v = r.Integer("MaxAttempts", 0, kMaxSeconds)) retrier.max_attempts = *v;
    if (auto v = r.Number("BackoffRate")) {
      if (*v < 1.0) {
        r.Error(r.Loc("BackoffRate"), "The field 'BackoffRate' must be a number of at least 1.0.");
      } else {
        retrier.backoff_rate = *v;
      }
    }
    if (auto v = r.Integer("MaxDelaySeconds", 1, kMaxDelaySeconds)) {
      retrier.max_delay_seconds = static_cast<double>(*v);
    }
    if (auto v = r.String("JitterStrategy")) {
      if (*v == "FULL") {
        retrier.jitter = Retrier::Jitter::kFull;
      } else if (*v != "NONE") {
        r.Error(r.Loc("JitterStrategy"), "The field 'JitterStrategy' must be \"FULL\" or \"NONE\".");
      }
    }
    r.String("Comment");
    out.push_back(std::move(retrier));
  }
  return out;
}

std::vector<Catcher> ReadCatch(const FieldReader& state, QueryLanguage language) {
  std::vector<Catcher> out;
  const Value* catch_list = state.Array("Catch");
  if (catch_list == nullptr) return out;
  const Array& items = catch_list->AsArray();
  for (size_t i = 0; i < items.size(); ++i) {
    FieldReader r(items[i], PointerAppend(state.Loc("Catch"), std::to_string(i)), state.diagnostics());
    if (!items[i].is_object()) {
      r.Error(r.location(), "A catcher must be an object.");
      continue;
    }
    r.CheckDuplicateMembers();
    Catcher catcher;
    ReadErrorEquals(r, i + 1 == items.size(), &catcher.error_equals);
    if (auto next = r.StateName("Next", /*required=*/true)) catcher.next = *next;
    r.String("Comment");
    for (const auto& [key, value] : items[i].AsObject()) {
      if (key == "ErrorEquals" || key == "Next" || key == "Comment" || key == "Assign") continue;
      if (key == "ResultPath" || key == "Output") {
        bool jsonpath_field = key == "ResultPath";
        if (jsonpath_field != (language == QueryLanguage::kJsonPath)) {
          r.Error(r.Loc(key), "The field '" + key + "' is not supported in " + LanguageName(language) + " states.");
        }
        continue;
      }
      r.Error(r.Loc(key), "The field '" + key + "' is not supported in a catcher.");
    }
    if (language == QueryLanguage::kJsonPath) {
      catcher.result_path = ReadPathField(r, "ResultPath", /*reference=*/true, /*input_root_only=*/true);
      if (const Value* assign = r.Object("Assign")) {
        catcher.assign = CompileTemplate(*assign, r.Loc("Assign"), /*is_assign=*/true, r.diagnostics());
      }
    } else {
      if (const Value* assign = r.Object("Assign")) {
        CheckVariableNames(*assign, r.Loc("Assign"), r.diagnostics());
        catcher.jsonata_assign = *assign;
      }
      if (const Value* output = r.Find("Output")) catcher.jsonata_output = *output;
    }
    out.push_back(std::move(catcher));
  }
  return out;
}

// An object field compiled as a payload template (JSONPath states).
std::optional<PayloadTemplate> ReadTemplate(const FieldReader& r, std::string_view field) {
  const Value* v = r.Object(field);
  if (v == nullptr) return std::nullopt;
  return CompileTemplate(*v, r.Loc(field), field == "Assign", r.diagnostics());
}

void ReadTaskFields(const FieldReader& r, QueryLanguage language, State* s) {
  if (auto resource = r.String("Resource", /*required=*/true)) {
    s->resource = *resource;
    if (resource->rfind("arn:", 0) != 0) {
      r.Error(r.Loc("Resource"), "The value of 'Resource' must be an ARN (\"arn:...\"), not '" + *resource + "'.",
              codes::kInvalidResource);
    }
  }
  s->timeout_seconds = ReadNumberField(r, "TimeoutSeconds", "TimeoutSecondsPath", language, 1, kMaxSeconds, true);
  s->heartbeat_seconds =
      ReadNumberField(r, "HeartbeatSeconds", "HeartbeatSecondsPath", language, 1, kMaxSeconds, true);
  if (s->timeout_seconds.value && s->heartbeat_seconds.value &&
      *s->heartbeat_seconds.value >= *s->timeout_seconds.value) {
    r.Error(r.Loc("HeartbeatSeconds"), "The field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'.");
  }
  if (const Value* credentials = r.Find("Credentials")) {
    if (credentials->is_object() || IsJsonataExpression(*credentials)) {
      s->credentials = *credentials;
    } else {
      r.Error(r.Loc("Credentials"), "The field 'Credentials' must be an object.");
    }
  }
}

void ReadWaitFields(const FieldReader& r, QueryLanguage language, State* s) {
  int given = 0;
  for (std::string_view f : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) given += r.Has(f) ? 1 : 0;
  if (given != 1) {
    r.Error(r.location(), "A Wait state must have exactly one of 'Seconds', 'Timestamp', 'SecondsPath' and "
                          "'TimestampPath'; it has " + std::to_string(given) + ".");
  }
  if (const Value* seconds = r.Find("Seconds")) {
    if (language == QueryLanguage::kJsonata && IsJsonataExpression(*seconds)) {
      s->jsonata_seconds = *seconds;
    } else if (auto v = r.Integer("Seconds", 0, kMaxSeconds)) {
      s->seconds = static_cast<double>(*v);
    }
  }
  if (const Value* timestamp = r.Find("Timestamp")) {
    if (language == QueryLanguage::kJsonata && IsJsonataExpression(*timestamp)) {
      s->jsonata_timestamp = *timestamp;
    } else if (!timestamp->is_string() || !ParseTimestamp(timestamp->AsString())) {
      r.Error(r.Loc("Timestamp"),
              "The field 'Timestamp' must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\".");
    } else {
      s->timestamp = timestamp->AsString();
    }
  }
  if (language == QueryLanguage::kJsonPath) {
    s->seconds_path = r.JsonPath("SecondsPath", /*reference=*/true);
    s->timestamp_path = r.JsonPath("TimestampPath", /*reference=*/true);
  }
}

// ErrorPath / CausePath: a reference path or an intrinsic call.
void ReadPathOrCall(const FieldReader& r, std::string_view field, std::optional<Path>* path,
                    std::optional<IntrinsicCall>* call) {
  const Value* v = r.Find(field);
  if (v == nullptr) return;
  if (v->is_string() && IntrinsicCall::LooksLikeCall(v->AsString())) {
    // AWS allows only the intrinsics that return a string here.
    static constexpr std::string_view kStringFunctions[] = {
        "States.Format",        "States.JsonToString",  "States.ArrayGetItem", "States.Base64Encode",
        "States.Base64Decode", "States.Hash",          "States.UUID"};
    const std::string& text = v->AsString();
    std::string_view name = std::string_view(text).substr(0, text.find('('));
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool allowed = false;
    for (std::string_view f : kStringFunctions) allowed = allowed || f == name;
    if (!allowed) {
      r.Error(r.Loc(field), "The field '" + std::string(field) + "' accepts only an intrinsic function that returns a "
                                "string (States.Format, States.JsonToString, States.ArrayGetItem, States.Base64Encode, "
                                "States.Base64Decode, States.Hash, States.UUID), not '" + std::string(name) + "'.",
              codes::kInvalidIntrinsic);
      return;
    }
    IntrinsicCall parsed;
    if (ReadIntrinsic(text, r.Loc(field), field, &parsed, r.diagnostics())) *call = std::move(parsed);
    return;
  }
  *path = r.JsonPath(field, /*reference=*/true);
}

void ReadFailFields(const FieldReader& r, QueryLanguage language, State* s) {
  struct Pair {
    std::string_view field, path_field;
    std::optional<std::string>* literal;
    std::optional<Value>* jsonata;
    std::optional<Path>* path;
    std::optional<IntrinsicCall>* call;
  };
  for (const Pair& p : {Pair{"Error", "ErrorPath", &s->error, &s->jsonata_error, &s->error_path, &s->error_call},
                        Pair{"Cause", "CausePath", &s->cause, &s->jsonata_cause, &s->cause_path, &s->cause_call}}) {
    if (const Value* v = r.Find(p.field)) {
      if (language == QueryLanguage::kJsonata && IsJsonataExpression(*v)) {
        *p.jsonata = *v;
      } else {
        *p.literal = r.String(p.field);
      }
    }
    if (language == QueryLanguage::kJsonPath && r.Has(p.path_field)) {
      if (r.Has(p.field)) {
        r.Error(r.Loc(p.path_field), "The fields '" + std::string(p.field) + "' and '" + std::string(p.path_field) +
                                         "' are mutually exclusive; give only one.");
      }
      ReadPathOrCall(r, p.path_field, p.path, p.call);
    }
  }
}

void ReadParallelFields(const FieldReader& r, QueryLanguage language, Context* context, State* s) {
  const Value* branches = r.Array("Branches", /*required=*/true);
  if (branches == nullptr) return;
  const Array& items = branches->AsArray();
  if (items.empty()) r.Error(r.Loc("Branches"), "A Parallel state needs at least one branch in 'Branches'.");
  for (size_t i = 0; i < items.size(); ++i) {
    auto branch = ParseMachine(items[i], PointerAppend(r.Loc("Branches"), std::to_string(i)), language,
                               MachineKind::kBranch, context);
    if (branch) s->branches.push_back(std::move(branch));
  }
}

void ReadMapFields(const FieldReader& r, QueryLanguage language, Context* context, State* s) {
  bool has_processor = r.Has("ItemProcessor"), has_iterator = r.Has("Iterator");
  if (has_processor && has_iterator) {
    r.Error(r.Loc("Iterator"), "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive; 'Iterator' is "
                               "the older name of 'ItemProcessor'.");
  } else if (!has_processor && !has_iterator) {
    r.Missing("ItemProcessor");
  }
  std::string_view processor_field = has_processor ? "ItemProcessor" : "Iterator";
  if (const Value* processor = r.Object(processor_field)) {
    FieldReader p(*processor, r.Loc(processor_field), r.diagnostics());
    if (const Value* config = p.Object("ProcessorConfig")) {
      FieldReader c(*config, p.Loc("ProcessorConfig"), r.diagnostics());
      CheckMembers(c, {"Mode", "ExecutionType"}, "ProcessorConfig");
      if (auto mode = c.String("Mode")) {
        if (*mode == "DISTRIBUTED") {
          s->distributed = true;
        } else if (*mode != "INLINE") {
          c.Error(c.Loc("Mode"), "The field 'Mode' must be \"INLINE\" or \"DISTRIBUTED\".");
        }
      }
      if (auto type = c.String("ExecutionType")) {
        if (*type != "STANDARD" && *type != "EXPRESS") {
          c.Error(c.Loc("ExecutionType"), "The field 'ExecutionType' must be \"STANDARD\" or \"EXPRESS\".");
        }
      }
    }
    s->item_processor = ParseMachine(*processor, r.Loc(processor_field), language, MachineKind::kItemProcessor,
                                     context);
  }
  if (language == QueryLanguage::kJsonPath) {
    s->items_path = ReadPathField(r, "ItemsPath", /*reference=*/true, /*input_root_only=*/false);
    if (r.Has("ItemSelector") && r.Has("Parameters")) {
      r.Error(r.Loc("Parameters"), "The fields 'ItemSelector' and 'Parameters' are mutually exclusive; "
                                   "'Parameters' is the older name of 'ItemSelector'.");
    }
    if (r.Has("ItemSelector")) s->parameters = ReadTemplate(r, "ItemSelector");
  } else {
    if (const Value* items = r.Find("Items")) {
      if (items->is_array() || items->is_object() || IsJsonataExpression(*items)) {
        s->jsonata_items = *items;
      } else {
        r.Error(r.Loc("Items"), "The field 'Items' must be an array, an object or a JSONata expression \"{% ... %}\".");
      }
    }
    if (const Value* selector = r.Find("ItemSelector")) {
      if (selector->is_object() || IsJsonataExpression(*selector)) {
        s->jsonata_item_selector = *selector;
      } else {
        r.Error(r.Loc("ItemSelector"), "The field 'ItemSelector' must be an object or a JSONata expression.");
      }
    }
  }
  s->max_concurrency = ReadNumberField(r, "MaxConcurrency", "MaxConcurrencyPath", language, 0, kMaxInt32, true);
  s->tolerated_failure_count =
      ReadNumberField(r, "ToleratedFailureCount", "ToleratedFailureCountPath", language, 0, kMaxInt32, true);
  s->tolerated_failure_percentage = ReadNumberField(r, "ToleratedFailurePercentage",
                                                    "ToleratedFailurePercentagePath", language, 0, 100, false);
  for (auto [field, out] : {std::pair{"ItemReader", &s->item_reader}, std::pair{"ItemBatcher", &s->item_batcher},
                            std::pair{"ResultWriter", &s->result_writer}}) {
    if (const Value* v = r.Object(field)) *out = *v;
  }
  if (auto label = r.String("Label")) {
    if (CodePointCount(*label) > 40) {
      r.Error(r.Loc("Label"), "The field 'Label' must be at most 40 characters.");
    } else {
      s->label = Value::String(*label);
    }
  }
}

bool MentionsContext(const Value& v) {
  if (v.is_string()) return v.AsString().find("$$") != std::string::npos;
  if (v.is_array()) {
    for (const Value& item : v.AsArray()) {
      if (MentionsContext(item)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& [key, value] : v.AsObject()) {
      if (MentionsContext(value)) return true;
    }
  }
  return false;
}

bool PathReadsContext(const std::optional<Path>& p) { return p && p->root() == Path::Root::kContext; }

bool FieldReadsContext(const PathField& f) {
  return f.kind == PathField::Kind::kPath && f.path.root() == Path::Root::kContext;
}

bool TemplateReadsContext(const std::optional<PayloadTemplate>& t) { return t && MentionsContext(t->source()); }

bool RuleReadsContext(const ChoiceRule& rule) {
  if (PathReadsContext(rule.variable) || PathReadsContext(rule.operand_path) || TemplateReadsContext(rule.assign)) {
    return true;
  }
  for (const ChoiceRule& child : rule.children) {
    if (RuleReadsContext(child)) return true;
  }
  return false;
}

bool ReadsContext(const State& s) {
  // JSONata states see it as $states.context; intrinsic calls may name $$ anywhere.
  bool reads = s.query_language == QueryLanguage::kJsonata || FieldReadsContext(s.input_path) ||
               FieldReadsContext(s.output_path) || FieldReadsContext(s.result_path) ||
               FieldReadsContext(s.items_path) || TemplateReadsContext(s.parameters) ||
               TemplateReadsContext(s.result_selector) || TemplateReadsContext(s.assign) ||
               PathReadsContext(s.seconds_path) || PathReadsContext(s.timestamp_path) ||
               PathReadsContext(s.error_path) || PathReadsContext(s.cause_path) || s.error_call || s.cause_call ||
               PathReadsContext(s.timeout_seconds.path) || PathReadsContext(s.heartbeat_seconds.path) ||
               PathReadsContext(s.max_concurrency.path) || PathReadsContext(s.tolerated_failure_count.path) ||
               PathReadsContext(s.tolerated_failure_percentage.path);
  for (const ChoiceRule& rule : s.choices) reads = reads || RuleReadsContext(rule);
  for (const Catcher& c : s.catchers) reads = reads || TemplateReadsContext(c.assign);
  return reads;
}

// One state. When its Type is missing or unknown, its other fields are left unchecked.
State ParseState(const std::string& name, const Value& source, const std::string& location,
                 QueryLanguage machine_language, Context* context) {
  State s;
  s.name = name;
  FieldReader r(source, location, context->diagnostics);
  if (!source.is_object()) {
    r.Error(location, std::string("A state must be an object, not ") + TypeName(source.type()) + ".");
    return s;
  }
  r.CheckDuplicateMembers();
  s.query_language = ReadQueryLanguage(r).value_or(machine_language);
  const QueryLanguage language = s.query_language;
  if (auto comment = r.String("Comment")) s.comment = *comment;

  std::optional<std::string> type_name = r.String("Type", /*required=*/true);
  if (!type_name) return s;
  const StateTypeEntry* entry = nullptr;
  for (const StateTypeEntry& e : kStateTypes) {
    if (e.name == *type_name) entry = &e;
  }
  if (entry == nullptr) {
    r.Error(r.Loc("Type"), "'" + *type_name +
                               "' is not a state type; use one of Pass, Task, Choice, Wait, Succeed, Fail, "
                               "Parallel, Map.");
    return s;
  }
  s.type = entry->type;
  const uint16_t bit = Bit(s.type);

  // Every field must belong to this state type and to the state's query language.
  for (const auto& [key, value] : source.AsObject()) {
    const FieldRule* rule = FindFieldRule(key);
    if (rule == nullptr) {
      r.Error(r.Loc(key), "The field '" + key + "' is not supported by any state type.");
    } else if ((rule->types & bit) == 0) {
      r.Error(r.Loc(key), "The field '" + key + "' is not supported by " + *type_name + " states.");
    } else if (rule->lang == Lang::kJsonPath && language == QueryLanguage::kJsonata) {
      r.Error(r.Loc(key), "The field '" + key +
                              "' is only supported in JSONPath states; this state uses JSONata (use Arguments, "
                              "Output, Assign and \"{% %}\" expressions).");
    } else if (rule->lang == Lang::kJsonata && language == QueryLanguage::kJsonPath) {
      r.Error(r.Loc(key), "The field '" + key +
                              "' is only supported in JSONata states; set \"QueryLanguage\": \"JSONata\" to use it.");
    }
  }

  if (bit & kTransitioning) {
    std::optional<std::string> next = r.StateName("Next");
    std::optional<bool> end = r.Bool("End");
    if (next) s.next = *next;
    s.end = end.value_or(false);
    if (next && s.end) {
      r.Error(r.Loc("End"), "A state can't have both 'Next' and 'End': true.");
    } else if (!next && !r.Has("Next") && !s.end && !r.Has("End")) {
      r.Error(location, "A " + *type_name + " state needs either 'Next' or \"End\": true.");
    } else if (!next && end == false) {
      r.Error(r.Loc("End"), "\"End\": false needs a 'Next' field; a non-terminal state must say where to go.");
    }
  }

  if (language == QueryLanguage::kJsonPath) {
    if (bit & ~kFail) {
      s.input_path = ReadPathField(r, "InputPath", /*reference=*/false, /*input_root_only=*/false);
      s.output_path = ReadPathField(r, "OutputPath", /*reference=*/false, /*input_root_only=*/false);
    }
    if (bit & (kPass | kTask | kParallel | kMap)) {
      s.result_path = ReadPathField(r, "ResultPath", /*reference=*/true, /*input_root_only=*/true);
      if (r.Has("Parameters")) s.parameters = ReadTemplate(r, "Parameters");
    }
    if (bit & (kTask | kParallel | kMap)) s.result_selector = ReadTemplate(r, "ResultSelector");
    if (bit & ~(kSucceed | kFail)) s.assign = ReadTemplate(r, "Assign");
    if (bit & kPass) {
      if (const Value* result = r.Find("Result")) {
        WarnStaticResult(*result, r.Loc("Result"), r.diagnostics());
        s.result = *result;
      }
    }
  } else {
    if (bit & (kTask | kParallel)) {
      if (const Value* arguments = r.Find("Arguments")) {
        if (arguments->is_object() || IsJsonataExpression(*arguments)) {
          s.arguments = *arguments;
        } else {
          r.Error(r.Loc("Arguments"), "The field 'Arguments' must be an object or a JSONata expression \"{% ... %}\".");
        }
      }
    }
    if (bit & ~kFail) {
      if (const Value* output = r.Find("Output")) s.output = *output;
    }
    if (bit & ~(kSucceed | kFail)) {
      if (const Value* assign = r.Object("Assign")) {
        CheckVariableNames(*assign, r.Loc("Assign"), r.diagnostics());
        s.jsonata_assign = *assign;
      }
    }
  }

  if (language == QueryLanguage::kJsonata) CheckJsonataExpressions(source, location, context->diagnostics);

  if (bit & (kTask | kParallel | kMap)) {
    s.retry = ReadRetry(r);
    s.catchers = ReadCatch(r, language);
  }

  switch (s.type) {
    case StateType::kTask:
      ReadTaskFields(r, language, &s);
      break;
    case StateType::kChoice: {
      if (auto default_next = r.StateName("Default")) s.default_next = *default_next;
      const Value* choices = r.Array("Choices", /*required=*/true);
      if (choices != nullptr) {
        const Array& items = choices->AsArray();
        if (items.empty()) r.Error(r.Loc("Choices"), "A Choice state needs at least one rule in 'Choices'.");
        for (size_t i = 0; i < items.size(); ++i) {
          s.choices.push_back(ParseChoiceRule(items[i], PointerAppend(r.Loc("Choices"), std::to_string(i)), language,
                                              /*top_level=*/true, context->diagnostics));
        }
      }
      break;
    }
    case StateType::kWait:
      ReadWaitFields(r, language, &s);
      break;
    case StateType::kFail:
      ReadFailFields(r, language, &s);
      break;
    case StateType::kParallel:
      ReadParallelFields(r, language, context, &s);
      break;
    case StateType::kMap:
      ReadMapFields(r, language, context, &s);
      break;
    case StateType::kPass:
    case StateType::kSucceed:
      break;
  }
  s.reads_context = ReadsContext(s);
  return s;
}

// Resolves one transition target to an index; reports MISSING_TRANSITION_TARGET.
int Resolve(const StateMachine& m, const std::string& target, const std::string& location, const char* what,
            Diagnostics* diagnostics) {
  auto it = m.index_by_name.find(target);
  if (it != m.index_by_name.end()) return it->second;
  diagnostics->push_back({Diagnostic::Severity::kError, codes::kMissingTransitionTarget, location,
                          std::string(what) + " '" + target + "' is not a state of this state machine" +
                              " (a Next target must be in the same States object)."});
  return -1;
}

std::shared_ptr<StateMachine> ParseMachine(const Value& source, const std::string& location,
                                           QueryLanguage inherited, MachineKind kind, Context* context) {
  Diagnostics* diagnostics = context->diagnostics;
  FieldReader r(source, location, diagnostics);
  if (!source.is_object()) {
    r.Error(location, std::string(kind == MachineKind::kTop ? "The definition" : "A state machine") +
                          " must be a JSON object, not " + TypeName(source.type()) + ".");
    return nullptr;
  }
  r.CheckDuplicateMembers();
  auto m = std::make_shared<StateMachine>();
  for (const auto& [key, value] : source.AsObject()) {
    if (key == "StartAt" || key == "States" || key == "Comment" || key == "QueryLanguage") continue;
    if (kind == MachineKind::kTop && (key == "Version" || key == "TimeoutSeconds")) continue;
    if (kind == MachineKind::kItemProcessor && key == "ProcessorConfig") continue;
    r.Error(r.Loc(key), "The field '" + key + "' is not supported " +
                            (kind == MachineKind::kTop       ? "at the top level of a definition."
                             : kind == MachineKind::kBranch ? "in a Parallel branch."
                                                            : "in a Map ItemProcessor."));
  }
  m->query_language = ReadQueryLanguage(r).value_or(inherited);
  if (auto comment = r.String("Comment")) m->comment = *comment;
  if (kind == MachineKind::kTop) {
    if (auto version = r.String("Version")) m->version = *version;
    if (auto timeout = r.Integer("TimeoutSeconds", 1, kMaxSeconds)) m->timeout_seconds = *timeout;
  }
  std::optional<std::string> start_at = r.StateName("StartAt", /*required=*/true);
  if (start_at) m->start_at = *start_at;

  const Value* states = r.Object("States", /*required=*/true);
  // Where each state's fields are, for the transition checks below.
  std::vector<std::string> locations;
  if (states != nullptr) {
    if (states->AsObject().empty()) r.Error(r.Loc("States"), "'States' must contain at least one state.");
    for (const auto& [name, value] : states->AsObject()) {
      std::string where = PointerAppend(r.Loc("States"), name);
      auto [it, inserted] = context->location_by_name.emplace(name, where);
      if (!inserted) {
        r.Error(where, "The state name '" + name + "' is already used at " + it->second +
                           "; state names must be unique in the whole state machine, including Parallel branches "
                           "and Map item processors.",
                codes::kDuplicateStateName);
        continue;
      }
      if (name.empty() || CodePointCount(name) > kMaxStateNameLength) {
        r.Error(where, "The state name '" + name + "' must be 1 to 80 characters long.", codes::kInvalidStateName);
      }
      m->index_by_name.emplace(name, static_cast<int>(m->states.size()));
      m->states.push_back(ParseState(name, value, where, m->query_language, context));
      locations.push_back(std::move(where));
    }
  }

  if (start_at && states != nullptr) {
    auto it = m->index_by_name.find(m->start_at);
    if (it == m->index_by_name.end()) {
      diagnostics->push_back({Diagnostic::Severity::kError, codes::kMissingTransitionTarget, r.Loc("StartAt"),
                              "StartAt '" + m->start_at + "' is not a state of this state machine."});
    } else {
      m->start_index = it->second;
    }
  }

  // Transitions: resolve every target to an index in this machine.
  std::vector<std::vector<int>> edges(m->states.size());
  bool has_terminal = false;
  for (size_t i = 0; i < m->states.size(); ++i) {
    State& s = m->states[i];
    const std::string& where = locations[i];
    if (!s.next.empty()) {
      s.next_index = Resolve(*m, s.next, PointerAppend(where, "Next"), "Next", diagnostics);
      edges[i].push_back(s.next_index);
    }
    if (s.end || s.type == StateType::kSucceed || s.type == StateType::kFail) has_terminal = true;
    if (!s.default_next.empty()) {
      s.default_index = Resolve(*m, s.default_next, PointerAppend(where, "Default"), "Default", diagnostics);
      edges[i].push_back(s.default_index);
    }
    for (size_t c = 0; c < s.choices.size(); ++c) {
      ChoiceRule& rule = s.choices[c];
      if (rule.next.empty()) continue;
      rule.next_index = Resolve(*m, rule.next, PointerAppend(PointerAppend(PointerAppend(where, "Choices"), std::to_string(c)), "Next"), "Next",
                                diagnostics);
      edges[i].push_back(rule.next_index);
    }
    for (size_t c = 0; c < s.catchers.size(); ++c) {
      Catcher& catcher = s.catchers[c];
      if (catcher.next.empty()) continue;
      catcher.next_index = Resolve(*m, catcher.next, PointerAppend(PointerAppend(PointerAppend(where, "Catch"), std::to_string(c)), "Next"),
                                   "Next", diagnostics);
      edges[i].push_back(catcher.next_index);
    }
  }
  if (!m->states.empty() && !has_terminal) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kMissingEndState, r.Loc("States"),
                            "No state ends the state machine: give at least one state \"End\": true, or add a "
                            "Succeed or Fail state."});
  }
  // Reachability from StartAt (only meaningful when StartAt resolved).
  if (m->start_index >= 0) {
    std::vector<bool> reached(m->states.size(), false);
    std::deque<int> queue{m->start_index};
    reached[m->start_index] = true;
    while (!queue.empty()) {
      int at = queue.front();
      queue.pop_front();
      for (int to : edges[at]) {
        if (to >= 0 && !reached[to]) {
          reached[to] = true;
          queue.push_back(to);
        }
      }
    }
    for (size_t i = 0; i < m->states.size(); ++i) {
      if (!reached[i]) {
        diagnostics->push_back({Diagnostic::Severity::kError, codes::kSchema, locations[i],
                                "The state '" + m->states[i].name + "' is not reachable from StartAt '" +
                                    m->start_at + "'."});
      }
    }
  }
  return m;
}

}  // namespace

std::shared_ptr<const StateMachine> ParseDefinition(const Value& definition, Diagnostics* diagnostics) {
  Diagnostics found;
  JsonLimits limits;
  if (JsonDepth(definition, limits.max_depth + 1) > limits.max_depth) {
    found.push_back({Diagnostic::Severity::kError, codes::kTooDeeplyNested, "",
                     "The definition is nested deeper than " + std::to_string(limits.max_depth) + " levels."});
  } else {
    Context context{&found, {}};
    auto machine = ParseMachine(definition, "", QueryLanguage::kJsonPath, MachineKind::kTop, &context);
    if (!HasError(found)) {
      diagnostics->insert(diagnostics->end(), found.begin(), found.end());
      return machine;
    }
  }
  diagnostics->insert(diagnostics->end(), found.begin(), found.end());
  return nullptr;
}

std::shared_ptr<const StateMachine> ParseDefinition(std::string_view text, Diagnostics* diagnostics,
                                                    const ParseOptions& options) {
  if (text.size() > options.max_definition_bytes) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kSchema, "",
                            "The definition is " + std::to_string(text.size()) + " bytes, over the limit of " +
                                std::to_string(options.max_definition_bytes) + " bytes."});
    return nullptr;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    diagnostics->push_back(
        {Diagnostic::Severity::kError, codes::kMissingDescription, "", "The definition is empty."});
    return nullptr;
  }
  Value definition;
  JsonError error;
  JsonLimits limits;
  limits.max_bytes = options.max_definition_bytes;
  if (!ParseJson(text, &definition, &error, limits)) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kInvalidJson, "",
                            "Invalid JSON at line " + std::to_string(error.line) + ", column " +
                                std::to_string(error.column) + ": " + error.message});
    return nullptr;
  }
  return ParseDefinition(definition, diagnostics);
}

}  // namespace stepflow::asl

#pragma once

// The parsed form of an intrinsic call, shared by the parser (intrinsics.cc) and
// the function implementations (intrinsic_functions.cc).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stepflow/asl/eval.h"
#include "stepflow/asl/path.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl::intrinsic {

enum class Function : uint8_t {
  kFormat,
  kStringToJson,
  kJsonToString,
  kArray,
  kArrayPartition,
  kArrayContains,
  kArrayRange,
  kArrayGetItem,
  kArrayLength,
  kArrayUnique,
  kBase64Encode,
  kBase64Decode,
  kHash,
  kJsonMerge,
  kMathRandom,
  kMathAdd,
  kStringSplit,
  kUuid,
};

struct FunctionSpec {
  const char* name;  // as AWS spells it: "States.ArrayPartition"
  Function function;
  int min_args;
  int max_args;  // -1: no upper bound
};

// The spec named `name` ("States.Format"), or nullptr.
const FunctionSpec* FindFunction(std::string_view name);

struct Call;

// One argument: a literal, a path or a nested call.
struct Arg {
  enum class Kind : uint8_t { kLiteral, kPath, kCall };
  Kind kind = Kind::kLiteral;
  Value literal;               // kLiteral
  Path path;                   // kPath
  std::unique_ptr<Call> call;  // kCall
};

struct Call {
  const FunctionSpec* spec = nullptr;
  std::vector<Arg> args;
  // States.Format with a string-literal template: the text between `{}`
  // placeholders, escapes already applied (an escaped `\{` is never a
  // placeholder). Empty when the template comes from a path or a call.
  std::vector<std::string> format_pieces;
};

// Applies `call.spec->function` to already evaluated `args`.
bool Apply(const Call& call, std::span<const Value> args, const EvalEnv& env, Value* out,
           Failure* failure);

}  // namespace stepflow::asl::intrinsic

#include "stepflow/asl/intrinsics.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include "interner.h"
#include "intrinsic_ast.h"
#include "stepflow/asl/errors.h"

namespace stepflow::asl {
namespace intrinsic {

namespace {

constexpr FunctionSpec kFunctions[] = {
    {"States.Format", Function::kFormat, 1, -1},
    {"States.StringToJson", Function::kStringToJson, 1, 1},
    {"States.JsonToString", Function::kJsonToString, 1, 1},
    {"States.Array", Function::kArray, 0, -1},
    {"States.ArrayPartition", Function::kArrayPartition, 2, 2},
    {"States.ArrayContains", Function::kArrayContains, 2, 2},
    {"States.ArrayRange", Function::kArrayRange, 3, 3},
    {"States.ArrayGetItem", Function::kArrayGetItem, 2, 2},
    {"States.ArrayLength", Function::kArrayLength, 1, 1},
    {"States.ArrayUnique", Function::kArrayUnique, 1, 1},
    {"States.Base64Encode", Function::kBase64Encode, 1, 1},
    {"States.Base64Decode", Function::kBase64Decode, 1, 1},
    {"States.Hash", Function::kHash, 2, 2},
    {"States.JsonMerge", Function::kJsonMerge, 3, 3},
    {"States.MathRandom", Function::kMathRandom, 2, 3},
    {"States.MathAdd", Function::kMathAdd, 2, 2},
    {"States.StringSplit", Function::kStringSplit, 2, 2},
    {"States.UUID", Function::kUuid, 0, 0},
};

// Calls nest at most this deep. AWS documents up to 10 nested calls per field;
// the cap here is looser and exists so hostile text cannot exhaust the stack
// of the recursive parser and evaluator.
constexpr int kMaxNesting = 64;

constexpr std::string_view kPrefix = "States.";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Recursive descent over the call text; recursion is bounded by kMaxNesting.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  bool ParseTop(Call* call, std::string* error) {
    bool ok = ParseCall(call, 1) && ExpectEnd();
    if (!ok) *error = std::move(error_);
    return ok;
  }

 private:
  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  bool FailAt(const std::string& what) { return Fail(what + " at offset " + std::to_string(pos_)); }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  bool ExpectEnd() {
    SkipSpace();
    if (!AtEnd()) return FailAt("unexpected text after the call");
    return true;
  }

  bool ParseCall(Call* call, int depth) {
    if (depth > kMaxNesting) {
      return Fail("intrinsic calls nest deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    size_t start = pos_;
    if (text_.substr(pos_, kPrefix.size()) != kPrefix) return FailAt("expected 'States.'");
    pos_ += kPrefix.size();
    while (!AtEnd() && IsNameChar(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    call->spec = FindFunction(name);
    if (call->spec == nullptr) {
      return Fail("unknown intrinsic function '" + std::string(name) + "' at offset " +
                  std::to_string(start));
    }
    SkipSpace();
    if (Peek() != '(') return FailAt("expected '(' after " + std::string(name));
    ++pos_;
    SkipSpace();
    if (Peek() == ')') {
      ++pos_;
    } else {
      while (true) {
        Arg arg;
        // Only a States.Format template needs its placeholders located.
        bool is_template = call->spec->function == Function::kFormat && call->args.empty();
        if (!ParseArg(&arg, depth, is_template ? &call->format_pieces : nullptr)) return false;
        call->args.push_back(std::move(arg));
        SkipSpace();
        char c = Peek();
        if (c == ',') {
          ++pos_;
          continue;
        }
        if (c == ')') {
          ++pos_;
          break;
        }
        if (AtEnd()) return FailAt("missing ')' to close " + std::string(name));
        return FailAt("expected ',' or ')'");
      }
    }
    return CheckCall(*call);
  }

  bool CheckCall(Call& call) {
    const FunctionSpec& spec = *call.spec;
    int n = static_cast<int>(call.args.size());
    if (n < spec.min_args || (spec.max_args >= 0 && n > spec.max_args)) {
      std::string want;
      if (spec.max_args < 0) {
        want = "at least " + std::to_string(spec.min_args);
      } else if (spec.min_args == spec.max_args) {
        want = std::to_string(spec.min_args);
      } else {
        want = std::to_string(spec.min_args) + " or " + std::to_string(spec.max_args);
      }
      return Fail(std::string(spec.name) + " takes " + want + " argument" +
                  ((spec.max_args < 0 ? spec.min_args : spec.max_args) == 1 ? "" : "s") + ", got " +
                  std::to_string(n));
    }
    if (spec.function == Function::kFormat) return CheckFormat(call);
    return true;
  }

  // A literal template is split into pieces now, so the count of `{}` is checked
  // at load and evaluation never re-scans it.
  bool CheckFormat(Call& call) {
    const Arg& first = call.args[0];
    if (first.kind != Arg::Kind::kLiteral) return true;
    if (!first.literal.is_string()) {
      return Fail("the first argument of States.Format must be a string");
    }
    size_t placeholders = call.format_pieces.size() - 1;
    if (placeholders != call.args.size() - 1) {
      return Fail("States.Format template has " + std::to_string(placeholders) + " placeholder" +
                  (placeholders == 1 ? "" : "s") + " but " + std::to_string(call.args.size() - 1) +
                  " argument" + (call.args.size() == 2 ? "" : "s") + " follow it");
    }
    return true;
  }

  bool ParseArg(Arg* arg, int depth, std::vector<std::string>* pieces) {
    SkipSpace();
    char c = Peek();
    if (c == '\'') return ParseString(arg, pieces);
    if (c == '$') return ParsePath(arg);
    if (c == '-' || IsDigit(c)) return ParseNumber(arg);
    if (text_.substr(pos_, kPrefix.size()) == kPrefix) {
      arg->kind = Arg::Kind::kCall;
      arg->call = std::make_unique<Call>();
      return ParseCall(arg->call.get(), depth + 1);
    }
    if (std::isalpha(static_cast<unsigned char>(c))) return ParseKeyword(arg);
    if (AtEnd()) return FailAt("missing argument");
    return FailAt(std::string("unexpected character '") + c + "'");
  }

  // 'text' with backslash escapes. Unescaped `{}` pairs split `pieces` (when given) into the text
  // around States.Format placeholders.
  bool ParseString(Arg* arg, std::vector<std::string>* pieces_out) {
    size_t start = pos_;
    ++pos_;
    std::vector<std::string> pieces(1);
    std::string value;
    while (true) {
      if (AtEnd()) {
        return Fail("unterminated string literal starting at offset " + std::to_string(start));
      }
      char c = text_[pos_];
      if (c == '\'') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        // AWS documents \' \{ \} \\; a backslash before any other character
        // stands for that character too. Only a backslash with nothing after it
        // (the "open escape" AWS documents as an error) is rejected.
        if (pos_ + 1 >= text_.size()) return FailAt("unterminated escape sequence");
        char next = text_[pos_ + 1];
        value.push_back(next);
        pieces.back().push_back(next);
        pos_ += 2;
        continue;
      }
      if (c == '{' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '}') {
        value += "{}";
        pieces.emplace_back();
        pos_ += 2;
        continue;
      }
      value.push_back(c);
      pieces.back().push_back(c);
      ++pos_;
    }
    arg->kind = Arg::Kind::kLiteral;
    arg->literal = Value::String(std::move(value));
    if (pieces_out != nullptr) *pieces_out = std::move(pieces);
    return true;
  }

  // A path runs to the next ',' or ')' outside brackets, parentheses and quotes
  // (filters such as `$.a[?(@.b == 'x,y')]` contain both).
  bool ParsePath(Arg* arg) {
    size_t start = pos_;
    std::string open;  // the brackets and parentheses not yet closed
    char quote = '\0';
    while (!AtEnd()) {
      char c = text_[pos_];
      if (quote != '\0') {
        if (c == '\\' && pos_ + 1 < text_.size()) {
          pos_ += 2;
          continue;
        }
        if (c == quote) quote = '\0';
        ++pos_;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[' || c == '(') {
        open.push_back(c);
      } else if (c == ']' || c == ')') {
        if (open.empty()) break;  // the ')' closing the call
        if (open.back() != (c == ']' ? '[' : '(')) {
          return FailAt(std::string("unbalanced '") + c + "' in path");
        }
        open.pop_back();
      } else if (open.empty() && (c == ',' || IsSpace(c))) {
        break;
      }
      ++pos_;
    }
    if (quote != '\0' || !open.empty()) {
      return Fail("unterminated path starting at offset " + std::to_string(start));
    }
    std::string_view text = text_.substr(start, pos_ - start);
    std::string path_error;
    if (!Path::Parse(text, &arg->path, &path_error)) {
      return Fail("invalid path '" + std::string(text) + "': " + path_error);
    }
    arg->kind = Arg::Kind::kPath;
    return true;
  }

  bool ParseNumber(Arg* arg) {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    size_t int_start = pos_;
    while (IsDigit(Peek())) ++pos_;
    if (pos_ == int_start) return FailAt("expected a digit");
    bool integral = true;
    if (Peek() == '.') {
      integral = false;
      ++pos_;
      size_t frac_start = pos_;
      while (IsDigit(Peek())) ++pos_;
      if (pos_ == frac_start) return FailAt("expected a digit after '.'");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      integral = false;
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      size_t exp_start = pos_;
      while (IsDigit(Peek())) ++pos_;
      if (pos_ == exp_start) return FailAt("expected a digit in the exponent");
    }
    if (IsNameChar(Peek())) return FailAt("invalid number");
    std::string_view digits = text_.substr(start, pos_ - start);
    arg->kind = Arg::Kind::kLiteral;
    if (integral) {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      if (ec == std::errc() && end == digits.data() + digits.size()) {
        arg->literal = Value::Int(i);
        return true;
      }
    }
    // from_chars, unlike strtod, ignores the process locale.
    double d = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return Fail("number out of range at offset " + std::to_string(start));
    }
    arg->literal = Value::Double(d);
    return true;
  }

  bool ParseKeyword(Arg* arg) {
    size_t start = pos_;
    while (!AtEnd() && (IsNameChar(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    arg->kind = Arg::Kind::kLiteral;
    if (word == "true") {
      arg->literal = Value::Bool(true);
    } else if (word == "false") {
      arg->literal = Value::Bool(false);
    } else if (word == "null") {
      arg->literal = Value();
    } else {
      return Fail("unexpected '" + std::string(word) + "' at offset " + std::to_string(start));
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

const FunctionSpec* FindFunction(std::string_view name) {
  for (const FunctionSpec& spec : kFunctions) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

}  // namespace intrinsic

struct IntrinsicCall::Impl {
  std::string text;
  intrinsic::Call call;
};

namespace {

using intrinsic::Arg;
using intrinsic::Call;

bool EvaluatePath(const Path& path, const Value& input, const EvalEnv& env, Value* out, Failure* failure) {
  const Value* root = &input;
  Value null_root;
  switch (path.root()) {
    case Path::Root::kInput:
      break;
    case Path::Root::kContext:
      root = env.context != nullptr ? env.context : &null_root;
      break;
    case Path::Root::kVariable:
      root = env.variables != nullptr ? env.variables->Find(path.variable_name()) : nullptr;
      if (root == nullptr) {
        *failure = {errors::kRuntime, "Invalid path '" + path.text() + "': The variable \"" +
                                          path.variable_name() + "\" is not defined"};
        return false;
      }
      break;
  }
  std::string error;
  if (!path.Evaluate(*root, out, &error)) {
    *failure = {errors::kRuntime, "Invalid path '" + path.text() + "' : " + error};
    return false;
  }
  return true;
}

// Recursion is bounded by the parser's nesting cap.
bool EvaluateCall(const Call& call, const Value& input, const EvalEnv& env, Value* out, Failure* failure) {
  // Calls take few arguments, so their values are on the stack unless this one
  // takes many: a template's call runs on every transition.
  constexpr size_t kOnStack = 8;
  const size_t count = call.args.size();
  std::array<Value, kOnStack> on_stack;
  std::vector<Value> on_heap(count > kOnStack ? count : 0);
  Value* values = count > kOnStack ? on_heap.data() : on_stack.data();
  for (size_t i = 0; i < count; ++i) {
    const Arg& arg = call.args[i];
    switch (arg.kind) {
      case Arg::Kind::kLiteral:
        values[i] = arg.literal;
        break;
      case Arg::Kind::kPath:
        if (!EvaluatePath(arg.path, input, env, &values[i], failure)) return false;
        break;
      case Arg::Kind::kCall:
        if (!EvaluateCall(*arg.call, input, env, &values[i], failure)) return false;
        break;
    }
  }
  return intrinsic::Apply(call, std::span<const Value>(values, count), env, out, failure);
}

}  // namespace

IntrinsicCall::IntrinsicCall() = default;
IntrinsicCall::~IntrinsicCall() = default;
IntrinsicCall::IntrinsicCall(const IntrinsicCall&) = default;
IntrinsicCall& IntrinsicCall::operator=(const IntrinsicCall&) = default;
IntrinsicCall::IntrinsicCall(IntrinsicCall&&) noexcept = default;
IntrinsicCall& IntrinsicCall::operator=(IntrinsicCall&&) noexcept = default;

bool IntrinsicCall::LooksLikeCall(std::string_view text) { return text.starts_with(intrinsic::kPrefix); }

bool IntrinsicCall::Parse(std::string_view text, IntrinsicCall* out, std::string* error) {
  static Interner<Impl> interned;
  std::shared_ptr<const Impl> parsed = interned.Get(text, [&]() -> std::shared_ptr<const Impl> {
    auto impl = std::make_shared<Impl>();
    impl->text = std::string(text);
    intrinsic::Parser parser(impl->text);
    if (!parser.ParseTop(&impl->call, error)) return nullptr;
    return impl;
  });
  if (parsed == nullptr) return false;
  out->impl_ = std::move(parsed);
  return true;
}

const std::string& IntrinsicCall::text() const {
  static const std::string kEmpty;
  return impl_ ? impl_->text : kEmpty;
}

bool IntrinsicCall::Evaluate(const Value& input, const EvalEnv& env, Value* out, Failure* failure) const {
  if (!impl_) {
    *failure = {errors::kIntrinsicFailure, "Evaluate called on an unparsed intrinsic call"};
    return false;
  }
  return EvaluateCall(impl_->call, input, env, out, failure);
}

}  // namespace stepflow::asl

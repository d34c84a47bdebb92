// Public API of the JSONata engine: converts between asl::Value and the
// evaluator's values and turns internal JError exceptions into Error values.

#include "stepflow/asl/jsonata.h"

#include <cmath>
#include <new>
#include <string_view>
#include <unordered_set>

#include "jsonata/eval.h"

namespace stepflow::asl::jsonata {

using internal::Builtin;
using internal::BuiltinTable;
using internal::Call;
using internal::JError;
using internal::Kind;
using internal::Val;

struct Expression::Impl {
  internal::NodeP ast;
  BuiltinTable extra;
  bool step_functions = false;
  std::function<int64_t()> clock_ms;
  std::function<uint64_t()> random_seed;
};

Expression::Expression() = default;
Expression::~Expression() = default;
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

namespace {

// Not a JSONata code: an unexpected failure inside the engine.
constexpr const char* kInternalErrorCode = "X0001";

// JSON objects convert lazily, member by member, as paths touch them; JSON
// strings share their text.
Val ToVal(const Value& v) { return internal::FromJson(v); }

// Whether converting `v` to a Val and back gives `v` again: numbers keep their
// type and value, and objects have no duplicate keys. Gives up (false) beyond
// `depth` levels.
bool SameWhenConverted(const Value& v, int depth) {
  switch (v.type()) {
    case Value::Type::kNull:
    case Value::Type::kBool:
    case Value::Type::kString:
      return true;
    case Value::Type::kInt: {
      constexpr int64_t kExact = int64_t{1} << 53;
      return v.AsInt() >= -kExact && v.AsInt() <= kExact;
    }
    case Value::Type::kDouble: {
      double d = v.AsDouble();
      return std::isfinite(d) && d != std::trunc(d);
    }
    case Value::Type::kArray:
      if (depth <= 0) return false;
      for (auto& x : v.AsArray()) {
        if (!SameWhenConverted(x, depth - 1)) return false;
      }
      return true;
    case Value::Type::kObject: {
      if (depth <= 0) return false;
      const auto& members = v.AsObject();
      if (members.size() <= 16) {
        for (size_t i = 0; i < members.size(); i++) {
          for (size_t j = 0; j < i; j++) {
            if (members[i].first == members[j].first) return false;
          }
        }
      } else {
        std::unordered_set<std::string_view> keys;
        keys.reserve(members.size());
        for (auto& m : members) {
          if (!keys.insert(m.first).second) return false;
        }
      }
      for (auto& m : members) {
        if (!SameWhenConverted(m.second, depth - 1)) return false;
      }
      return true;
    }
  }
  return false;
}

// Converts a result; undefined members of objects are dropped and undefined
// array items become null, as JSON.stringify does.
std::optional<Value> FromVal(const Val& v, int depth) {
  if (depth > 2000) internal::Fail("U1001", "Result nesting is too deep");
  internal::CheckStack();
  switch (v.kind()) {
    case Kind::kUndef:
      return std::nullopt;
    case Kind::kNull:
      return Value();
    case Kind::kBool:
      return Value::Bool(v.b());
    case Kind::kNum:
      if (!std::isfinite(v.num())) internal::Fail("D1001", "Number out of range");
      return Value::Number(v.num());
    case Kind::kStr: {
      const auto* d = static_cast<const internal::StrData*>(v.heap());
      if (d->src.is_string()) return d->src;  // the input's own string
      return Value::String(v.str());
    }
    case Kind::kFunc:
      return Value::String("");
    case Kind::kArr: {
      Array items;
      items.reserve(v.arr()->items.size());
      for (auto& x : v.arr()->items) {
        auto c = FromVal(x, depth + 1);
        items.push_back(c ? *c : Value());
      }
      return Value::MakeArray(std::move(items));
    }
    case Kind::kObj: {
      // A JSON-backed object nothing has looked into is still its JSON value.
      const internal::ObjData* o = v.obj();
      if (o->lazy && o->lazy_vals.empty() && depth < 1000 && SameWhenConverted(o->src, 64)) {
        return o->src;
      }
      Object members;
      for (auto& m : v.obj()->members()) {
        auto c = FromVal(m.second, depth + 1);
        if (c) members.emplace_back(m.first, *c);
      }
      return Value::MakeObject(std::move(members));
    }
  }
  return std::nullopt;
}

Builtin HostBuiltin(const std::string& name, const Options::Function& f) {
  Builtin b;
  b.name = name;
  b.sig = f.signature.empty() ? nullptr : internal::ParseSignature(f.signature);
  b.arity = b.sig ? static_cast<int>(b.sig->params.size()) : 1;
  HostFunction fn = f.fn;
  b.fn = [fn](Call& c) -> Val {
    std::vector<std::optional<Value>> args;
    for (auto& a : c.args) args.push_back(FromVal(a, 0));
    std::optional<Value> result;
    Error error;
    if (!fn(args, &result, &error)) {
      internal::Fail(error.code.empty() ? "D3137" : error.code.c_str(), error.message);
    }
    return result ? ToVal(*result) : Val();
  };
  return b;
}

}  // namespace

bool Expression::Compile(std::string_view text, Expression* out, Error* err,
                         const Options& options) {
  try {
    auto impl = std::make_shared<Impl>();
    impl->ast = internal::ParseExpression(text, internal::ParseLimits());
    impl->step_functions = options.step_functions;
    impl->clock_ms = options.clock_ms;
    impl->random_seed = options.random_seed;
    if (options.step_functions) {
      for (auto& [name, b] : internal::AwsLibrary()) impl->extra.emplace(name, b);
    }
    for (auto& [name, f] : options.functions) impl->extra[name] = HostBuiltin(name, f);
    out->impl_ = std::move(impl);
    return true;
  } catch (const JError& e) {
    *err = Error{e.code, e.message, e.position};
  } catch (const std::bad_alloc&) {
    *err = Error{"U1001", "Out of memory while parsing", -1};
  } catch (const std::exception& e) {
    *err = Error{kInternalErrorCode, e.what(), -1};
  }
  return false;
}

bool Expression::Evaluate(const Value* input, const Bindings& bindings, const Limits& limits,
                          std::optional<Value>* out, Error* err) const {
  if (!impl_) {
    *err = Error{"S0500", "Expression was not compiled", -1};
    return false;
  }
  try {
    internal::StackScope scope(limits.max_stack_bytes);
    internal::EvalOptions options;
    options.max_depth = limits.max_depth;
    options.timelimit_ms = limits.timelimit_ms;
    options.max_stack_bytes = limits.max_stack_bytes;
    options.step_functions = impl_->step_functions;
    if (impl_->clock_ms) options.now_ms = static_cast<double>(impl_->clock_ms());
    if (impl_->random_seed) options.random_seed = impl_->random_seed();
    internal::Evaluator ev(options, &impl_->extra);
    auto env = std::make_shared<internal::Frame>();
    for (auto& [name, value] : bindings) env->Bind(name, ToVal(value));
    Val in = input ? ToVal(*input) : Val();
    Val result = ev.Run(impl_->ast.get(), in, env);
    if (impl_->step_functions && result.kind() == Kind::kFunc) {
      *err = Error{kFunctionResultCode, "The expression returned a function", -1};
      return false;
    }
    *out = FromVal(result, 0);
    return true;
  } catch (const JError& e) {
    *err = Error{e.code, e.message, e.position};
  } catch (const std::bad_alloc&) {
    *err = Error{"U1001", "Out of memory during evaluation", -1};
  } catch (const std::length_error&) {
    *err = Error{"U1001", "Out of memory during evaluation", -1};
  } catch (const std::exception& e) {
    *err = Error{kInternalErrorCode, e.what(), -1};
  }
  return false;
}

}  // namespace stepflow::asl::jsonata

// The JSONata evaluator, a port of the evaluation rules of jsonata-js 2.0.6
// (src/jsonata.js): sequences, tuple streams for positional/context/parent
// bindings, predicates as stages, grouping, sorting, closures with tail calls.

#include "jsonata/eval.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "stepflow/asl/json.h"

namespace stepflow::asl::jsonata::internal {

// ---------------------------------------------------------------- values

void DestroyHeap(Heap* h) {
  thread_local std::vector<Heap*>* pending = nullptr;
  if (pending) {
    pending->push_back(h);
    return;
  }
  std::vector<Heap*> list{h};
  pending = &list;
  while (!list.empty()) {
    Heap* x = list.back();
    list.pop_back();
    delete x;  // may push the children it releases
  }
  pending = nullptr;
}

// ---------------------------------------------------------------- ObjData

Val FromJson(const asl::Value& v) {
  switch (v.type()) {
    case asl::Value::Type::kNull:
      return Val::Null();
    case asl::Value::Type::kBool:
      return Val::Bool(v.AsBool());
    case asl::Value::Type::kInt:
    case asl::Value::Type::kDouble:
      return Val::Num(v.AsDouble());
    case asl::Value::Type::kString:
      return Val::StrJson(v);
    case asl::Value::Type::kArray: {
      CheckStack();
      Val a = NewArr();
      auto& items = a.arr()->items;
      const auto& src = v.AsArray();
      items.reserve(src.size());
      for (auto& x : src) items.push_back(FromJson(x));
      return a;
    }
    case asl::Value::Type::kObject: {
      auto* o = new ObjData;
      Val r = Val::Obj(o);
      if (!v.AsObject().empty()) {
        o->src = v;
        o->lazy = true;  // lazy_vals are allocated by the first lookup
      }
      return r;
    }
  }
  return Val();
}

void ObjData::Materialize() const {
  lazy = false;
  const auto& src_members = src.AsObject();
  if (lazy_vals.empty()) lazy_vals.resize(src_members.size());
  members_.reserve(src_members.size());
  const bool big = src_members.size() > 16;
  for (size_t i = 0; i < src_members.size(); i++) {
    const auto& m = src_members[i];
    if (lazy_vals[i].undef()) lazy_vals[i] = FromJson(m.second);
    // Duplicate keys: the first position keeps the last value, as Set does.
    bool dup = false;
    if (big) {
      auto [it, added] = index.emplace(m.first, members_.size());
      if (!added) {
        members_[it->second].second = lazy_vals[i];
        dup = true;
      }
    } else {
      for (auto& x : members_) {
        if (x.first == m.first) {
          x.second = lazy_vals[i];
          dup = true;
          break;
        }
      }
    }
    if (!dup) members_.emplace_back(m.first, lazy_vals[i]);
  }
}

const Val* ObjData::Find(std::string_view key) const {
  if (lazy) {
    const asl::Value* p = src.Find(key);
    if (!p) return nullptr;
    const auto& src_members = src.AsObject();
    if (lazy_vals.empty()) lazy_vals.resize(src_members.size());
    size_t i = static_cast<size_t>(reinterpret_cast<const asl::Member*>(
                                       reinterpret_cast<const char*>(p) -
                                       offsetof(asl::Member, second)) -
                                   src_members.data());
    if (lazy_vals[i].undef()) lazy_vals[i] = FromJson(*p);
    return &lazy_vals[i];
  }
  if (!index.empty()) {
    auto it = index.find(std::string(key));
    return it == index.end() ? nullptr : &members_[it->second].second;
  }
  for (auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

void ObjData::Set(const std::string& key, Val v) {
  if (lazy) Materialize();
  if (!index.empty()) {
    auto it = index.find(key);
    if (it != index.end()) {
      members_[it->second].second = std::move(v);
      return;
    }
    index.emplace(key, members_.size());
    members_.emplace_back(key, std::move(v));
    return;
  }
  for (auto& m : members_) {
    if (m.first == key) {
      m.second = std::move(v);
      return;
    }
  }
  members_.emplace_back(key, std::move(v));
  if (members_.size() > 16) Reindex();
}

void ObjData::Erase(std::string_view key) {
  if (lazy) Materialize();
  for (size_t i = 0; i < members_.size(); i++) {
    if (members_[i].first == key) {
      members_.erase(members_.begin() + static_cast<long>(i));
      if (!index.empty()) Reindex();
      return;
    }
  }
}

void ObjData::Reindex() {
  if (lazy) Materialize();
  index.clear();
  for (size_t i = 0; i < members_.size(); i++) index.emplace(members_[i].first, i);
}

// ---------------------------------------------------------------- helpers

bool IsSeq(const Val& v) { return v.is_arr() && v.arr()->sequence; }

Val SeqOf(const Val& v) {
  Val s = NewSeq();
  s.arr()->items.push_back(v);
  return s;
}

Val ValueOfItems(std::vector<Val> items, bool sequence) {
  auto* a = new ArrData;
  a->items = std::move(items);
  a->sequence = sequence;
  return Val::Arr(a);
}

Val Append(const Val& a, const Val& b) {
  if (a.undef()) return b;
  if (b.undef()) return a;
  auto* out = new ArrData;
  Val result = Val::Arr(out);
  if (a.is_arr()) {
    out->items = a.arr()->items;
  } else {
    out->items.push_back(a);
  }
  if (b.is_arr()) {
    out->items.insert(out->items.end(), b.arr()->items.begin(), b.arr()->items.end());
  } else {
    out->items.push_back(b);
  }
  // Array.prototype.concat returns a plain array: the sequence flag is an
  // own property of the original and is not copied.
  out->sequence = false;
  return result;
}

std::optional<bool> Boolean(const Val& v) {
  switch (v.kind()) {
    case Kind::kUndef:
      return std::nullopt;
    case Kind::kArr: {
      auto& items = v.arr()->items;
      if (items.size() == 1) {
        auto r = Boolean(items[0]);
        return r.value_or(false);
      }
      for (auto& i : items) {
        if (Boolean(i).value_or(false)) return true;
      }
      return false;
    }
    case Kind::kStr:
      return !v.str().empty();
    case Kind::kNum:
      return v.num() != 0 && !std::isnan(v.num());
    case Kind::kObj:
      return !v.obj()->members().empty();
    case Kind::kBool:
      return v.b();
    case Kind::kFunc:
      return false;
    default:
      return false;
  }
}

bool DeepEqual(const Val& a, const Val& b) {
  CheckStack();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndef:
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.b() == b.b();
    case Kind::kNum:
      return a.num() == b.num();
    case Kind::kStr:
      return a.str() == b.str();
    case Kind::kArr: {
      auto& x = a.arr()->items;
      auto& y = b.arr()->items;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); i++) {
        if (!DeepEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::kObj: {
      auto& x = a.obj()->members();
      auto& y = b.obj()->members();
      if (x.size() != y.size()) return false;
      for (auto& m : x) {
        const Val* o = b.obj()->Find(m.first);
        if (!o || !DeepEqual(m.second, *o)) return false;
      }
      return true;
    }
    case Kind::kFunc:
      return a.heap() == b.heap();
  }
  return false;
}

std::string NumberToJs(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  if (std::fabs(d) < 1e18 && std::floor(d) == d) {
    auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(d));
    return std::string(buf, r.ptr);
  }
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci: [-]d[.ddd]e[+-]xx
  bool neg = false;
  size_t p = 0;
  if (sci[0] == '-') {
    neg = true;
    p = 1;
  }
  size_t epos = sci.find('e');
  std::string mant = sci.substr(p, epos - p);
  int exp = std::atoi(sci.c_str() + epos + 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int k = static_cast<int>(digits.size());
  int n = exp + 1;
  std::string out = neg ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(-n, '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += "e";
    out += (n - 1 >= 0) ? "+" : "-";
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

static double Precision15(double d) {
  // integers below 1e15 already have at most 15 significant digits
  if (std::fabs(d) < 1e15 && std::floor(d) == d) return d;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.14e", d);
  return std::strtod(buf, nullptr);
}

static void Stringify(const Val& v, bool pretty, int indent, std::string* out) {
  CheckStack();
  auto newline = [&](int level) {
    if (!pretty) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(level) * 2, ' ');
  };
  switch (v.kind()) {
    case Kind::kUndef:
    case Kind::kNull:
      *out += "null";
      break;
    case Kind::kBool:
      *out += v.b() ? "true" : "false";
      break;
    case Kind::kNum:
      if (!std::isfinite(v.num())) {
        Fail("D1001", "Number out of range");
      } else {
        *out += NumberToJs(Precision15(v.num()));
      }
      break;
    case Kind::kStr:
      AppendJsonString(v.str(), out, HexDigits::kLower);
      break;
    case Kind::kFunc:
      *out += "\"\"";
      break;
    case Kind::kArr: {
      auto& items = v.arr()->items;
      if (items.empty()) {
        *out += "[]";
        break;
      }
      out->push_back('[');
      for (size_t i = 0; i < items.size(); i++) {
        if (i) out->push_back(',');
        newline(indent + 1);
        Stringify(items[i], pretty, indent + 1, out);
      }
      newline(indent);
      out->push_back(']');
      break;
    }
    case Kind::kObj: {
      bool first = true;
      out->push_back('{');
      for (auto& m : v.obj()->members()) {
        if (m.second.undef()) continue;
        if (!first) out->push_back(',');
        first = false;
        newline(indent + 1);
        AppendJsonString(m.first, out, HexDigits::kLower);
        out->push_back(':');
        if (pretty) out->push_back(' ');
        Stringify(m.second, pretty, indent + 1, out);
      }
      if (!first) newline(indent);
      out->push_back('}');
      break;
    }
  }
}

std::string StringOf(const Val& v, bool pretty) {
  if (v.is_str()) return v.str();
  if (v.is_func()) return "";
  if (v.is_num() && !std::isfinite(v.num())) {
    Fail("D3001", "Attempting to invoke string function on Infinity or NaN");
  }
  const Val* target = &v;
  if (v.is_arr() && v.arr()->outer_wrapper && !v.arr()->items.empty()) target = &v.arr()->items[0];
  std::string out;
  Stringify(*target, pretty, 0, &out);
  return out;
}

const char* TypeOfName(const Val& v) {
  switch (v.kind()) {
    case Kind::kUndef:
      return "undefined";
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kNum:
      return "number";
    case Kind::kStr:
      return "string";
    case Kind::kArr:
      return "array";
    case Kind::kObj:
      return "object";
    case Kind::kFunc:
      return "function";
  }
  return "undefined";
}

std::string TypeLetter(const Val& v) {
  switch (v.kind()) {
    case Kind::kFunc:
      return "f";
    case Kind::kStr:
      return "s";
    case Kind::kNum:
      return "n";
    case Kind::kBool:
      return "b";
    case Kind::kNull:
      return "l";
    case Kind::kArr:
      return "a";
    case Kind::kObj:
      return "o";
    default:
      return "m";
  }
}

bool IsArrayOfNumbers(const Val& v) {
  if (!v.is_arr()) return false;
  for (auto& i : v.arr()->items) {
    if (!i.is_num()) return false;
  }
  return true;
}

bool IsArrayOfStrings(const Val& v) {
  if (!v.is_arr()) return false;
  for (auto& i : v.arr()->items) {
    if (!i.is_str()) return false;
  }
  return true;
}

static void FlattenInto(const Val& v, std::vector<Val>* out) {
  CheckStack();
  if (v.is_arr()) {
    for (auto& i : v.arr()->items) FlattenInto(i, out);
  } else {
    out->push_back(v);
  }
}

Val Flatten(const Val& v) {
  std::vector<Val> out;
  FlattenInto(v, &out);
  return ValueOfItems(std::move(out), false);
}

Val LookupField(const Val& in, const std::string& key) {
  if (in.is_arr()) {
    Val seq = NewSeq();
    for (auto& item : in.arr()->items) {
      Val r = LookupField(item, key);
      if (r.undef()) continue;
      if (r.is_arr()) {
        for (auto& x : r.arr()->items) seq.arr()->items.push_back(x);
      } else {
        seq.arr()->items.push_back(r);
      }
    }
    return seq;
  }
  if (in.is_obj()) {
    const Val* v = in.obj()->Find(key);
    return v ? *v : Val();
  }
  return Val();
}

// Throws D1001 for infinities like jsonata-js isNumeric.
static bool IsNumeric(const Val& v) {
  if (!v.is_num()) return false;
  if (std::isnan(v.num())) return false;
  if (!std::isfinite(v.num())) Fail("D1001", "Number out of range");
  return true;
}

static Val FinishSequence(Val result, bool keep_array) {
  if (result.is_arr() && result.arr()->sequence && !result.arr()->tuple_stream) {
    ArrData* a = result.arr();
    if (keep_array) a->keep_singleton = true;
    if (a->items.empty()) return Val();
    if (a->items.size() == 1 && !a->keep_singleton) return a->items[0];
  }
  return result;
}

static FramePtr FrameFromTuple(const FramePtr& env, const Val& tuple) {
  auto frame = std::make_shared<Frame>();
  frame->parent = env;
  if (tuple.is_obj()) {
    for (auto& m : tuple.obj()->members()) {
      if (m.first != "@") frame->vars.emplace_back(m.first, m.second);
    }
  }
  return frame;
}

static const Val& TupleFocus(const Val& tuple) {
  static const Val kUndef;
  const Val* v = tuple.is_obj() ? tuple.obj()->Find("@") : nullptr;
  return v ? *v : kUndef;
}

static Val CopyTuple(const Val& tuple) {
  Val t = NewObj();
  if (tuple.is_obj()) t.obj()->members() = tuple.obj()->members();
  return t;
}

// ---------------------------------------------------------------- Evaluator

Evaluator::Evaluator(const EvalOptions& options, const BuiltinTable* extra)
    : options_(options), extra_(extra) {
  max_depth_ = options.max_depth > 0 ? options.max_depth : 100000;
  if (options.timelimit_ms > 0) {
    has_deadline_ = true;
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timelimit_ms);
  }
  now_ms_ = options.now_ms
                ? *options.now_ms
                : static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

Evaluator::~Evaluator() {
  // Closures stored in the frames they capture form reference cycles; results
  // never carry functions out of an evaluation, so cut every cycle here.
  for (auto& c : closures_) c.func()->env.reset();
}

const Builtin* Evaluator::FindBuiltin(const std::string& name) const {
  if (extra_) {
    auto it = extra_->find(name);
    if (it != extra_->end()) return &it->second;
  }
  const auto& lib = StandardLibrary();
  auto it = lib.find(name);
  if (it == lib.end()) return nullptr;
  if (options_.step_functions && name == "eval") return nullptr;
  return &it->second;
}

const Val* Evaluator::Lookup(const FramePtr& env, const std::string& name) const {
  for (Frame* f = env.get(); f; f = f->parent.get()) {
    if (const Val* v = f->LookupLocal(name)) return v;
  }
  return nullptr;
}

Val Evaluator::Run(const Node* ast, const Val& input, const FramePtr& env) {
  StackScope scope(options_.max_stack_bytes);
  env->Bind("$", input);
  Val in = input;
  if (input.is_arr() && !input.arr()->sequence) {
    in = SeqOf(input);
    in.arr()->outer_wrapper = true;
  }
  return Eval(ast, in, env);
}

void Evaluator::Enter(const Node* expr) {
  if (++depth_ > max_depth_) {
    Fail("U1001",
         "Stack overflow error: Check for non-terminating recursive function.  "
         "Consider rewriting as tail-recursive.",
         expr->position);
  }
  CheckStack();
  if ((++ticks_ & 31) == 0) CheckDeadline(expr);
}

void Evaluator::CheckDeadline(const Node* expr) {
  if (has_deadline_ && std::chrono::steady_clock::now() > deadline_) {
    Fail("U1001", "Expression evaluation timeout: Check for infinite loop", expr->position);
  }
}

namespace {
struct DepthGuard {
  int* d;
  ~DepthGuard() { --*d; }
};
}  // namespace

Val Evaluator::Eval(const Node* expr, const Val& input, const FramePtr& env) {
  Enter(expr);
  DepthGuard guard{&depth_};
  Val result;
  switch (expr->type) {
    case NT::kPath:
      result = EvalPath(expr, input, env);
      break;
    case NT::kBinary:
      result = EvalBinary(expr, input, env);
      break;
    case NT::kUnary:
      result = EvalUnary(expr, input, env);
      break;
    case NT::kName: {
      result = LookupField(input, expr->value);
      break;
    }
    case NT::kString:
    case NT::kNumber:
    case NT::kValue:
      result = expr->literal;
      break;
    case NT::kWildcard: {
      Val seq = NewSeq();
      const Val* in = &input;
      if (input.is_arr() && input.arr()->outer_wrapper && !input.arr()->items.empty()) {
        in = &input.arr()->items[0];
      }
      auto add = [&](const Val& value) {
        if (value.is_arr()) {
          // fn.append concatenates into a plain (non-sequence) array
          seq.arr()->sequence = false;
          Val flat = Flatten(value);
          for (auto& x : flat.arr()->items) seq.arr()->items.push_back(x);
        } else {
          seq.arr()->items.push_back(value);
        }
      };
      if (in->is_obj()) {
        for (auto& m : in->obj()->members()) add(m.second);
      } else if (in->is_arr()) {
        for (auto& x : in->arr()->items) add(x);
      }
      result = seq;
      break;
    }
    case NT::kDescendant: {
      if (!input.undef()) {
        Val seq = NewSeq();
        std::function<void(const Val&)> rec = [&](const Val& v) {
          CheckStack();
          if (!v.is_arr()) seq.arr()->items.push_back(v);
          if (v.is_arr()) {
            for (auto& x : v.arr()->items) rec(x);
          } else if (v.is_obj()) {
            for (auto& m : v.obj()->members()) rec(m.second);
          }
        };
        rec(input);
        if (seq.arr()->items.size() == 1) {
          result = seq.arr()->items[0];
        } else {
          result = seq;
        }
      }
      break;
    }
    case NT::kParent: {
      const Val* v = Lookup(env, expr->slot->label);
      if (v) result = *v;
      break;
    }
    case NT::kCondition: {
      Val cond = Eval(expr->condition.get(), input, env);
      if (Boolean(cond).value_or(false)) {
        result = Eval(expr->then.get(), input, env);
      } else if (expr->otherwise) {
        result = Eval(expr->otherwise.get(), input, env);
      }
      break;
    }
    case NT::kBlock: {
      auto frame = std::make_shared<Frame>();
      frame->parent = env;
      FramePtr fp = frame;
      for (auto& e : expr->expressions) result = Eval(e.get(), input, fp);
      break;
    }
    case NT::kBind: {
      result = Eval(expr->rhs.get(), input, env);
      env->Bind(expr->lhs->value, result);
      break;
    }
    case NT::kRegex: {
      auto* f = new FuncData;
      f->type = FuncData::Type::kRegex;
      f->regex = CompileRegex(expr->value, expr->regex_flags, expr->position);
      result = Val::Func(f);
      break;
    }
    case NT::kFunction:
      result = EvalFunction(expr, input, env, nullptr);
      break;
    case NT::kVariable: {
      if (expr->value.empty()) {
        if (input.is_arr() && input.arr()->outer_wrapper && !input.arr()->items.empty()) {
          result = input.arr()->items[0];
        } else {
          result = input;
        }
      } else {
        const Val* v = Lookup(env, expr->value);
        if (v) {
          result = *v;
        } else if (const Builtin* b = FindBuiltin(expr->value)) {
          auto* f = new FuncData;
          f->type = FuncData::Type::kNative;
          f->builtin = b;
          f->sig = b->sig;
          result = Val::Func(f);
        }
      }
      break;
    }
    case NT::kLambda: {
      auto* f = new FuncData;
      f->type = FuncData::Type::kLambda;
      f->node = expr;
      f->input = input;
      f->env = env;
      for (auto& a : expr->arguments) f->params.push_back(a->value);
      f->sig = expr->signature;
      f->thunk = expr->thunk;
      result = Val::Func(f);
      if (!f->thunk) closures_.push_back(result);
      break;
    }
    case NT::kPartial:
      result = EvalPartial(expr, input, env);
      break;
    case NT::kApply:
      result = EvalApplyExpr(expr, input, env);
      break;
    case NT::kTransform:
      result = EvalTransform(expr, input, env);
      break;
    case NT::kOperator:
      // a '?' placeholder outside a call
      break;
    default:
      break;
  }
  if (expr->has_predicate) {
    for (auto& p : expr->predicate) result = EvalFilter(p->expression.get(), result, env);
  }
  if (expr->type != NT::kPath && expr->group) result = EvalGroup(*expr->group, result, env);
  return FinishSequence(std::move(result), expr->keep_array);
}

Val Evaluator::EvalPath(const Node* expr, const Val& input, const FramePtr& env) {
  Val input_seq;
  if (input.is_arr() && expr->steps[0]->type != NT::kVariable) {
    input_seq = input;
  } else {
    input_seq = SeqOf(input);
  }
  Val result_seq;
  bool is_tuple = false;
  Val tuples;
  for (size_t i = 0; i < expr->steps.size(); i++) {
    const Node* step = expr->steps[i].get();
    if (step->tuple) is_tuple = true;
    if (i == 0 && step->cons_array) {
      result_seq = Eval(step, input_seq, env);
    } else if (is_tuple) {
      tuples = EvalTupleStep(step, input_seq, tuples, env);
    } else {
      result_seq = EvalStep(step, input_seq, env, i == expr->steps.size() - 1);
    }
    if (!is_tuple) {
      if (result_seq.undef()) break;
      if (result_seq.is_arr() && result_seq.arr()->items.empty()) break;
    }
    if (!step->has_focus) input_seq = result_seq;
  }
  if (is_tuple) {
    if (expr->tuple) {
      result_seq = tuples;
    } else {
      result_seq = NewSeq();
      if (tuples.is_arr()) {
        for (auto& t : tuples.arr()->items) result_seq.arr()->items.push_back(TupleFocus(t));
      }
    }
  }
  if (expr->keep_singleton_array) {
    if (result_seq.is_arr() && result_seq.arr()->cons && !result_seq.arr()->sequence) {
      result_seq = SeqOf(result_seq);
    }
    if (result_seq.is_arr()) {
      // copy-on-write: the flag must not leak into shared arrays
      if (result_seq.arr()->refs.load() > 1 && !result_seq.arr()->keep_singleton) {
        auto* a = new ArrData;
        const ArrData* src = result_seq.arr();
        a->items = src->items;
        a->sequence = src->sequence;
        a->outer_wrapper = src->outer_wrapper;
        a->cons = src->cons;
        a->tuple_stream = src->tuple_stream;
        result_seq = Val::Arr(a);
      }
      result_seq.arr()->keep_singleton = true;
    }
  }
  if (expr->group) {
    result_seq = EvalGroup(*expr->group, is_tuple ? tuples : result_seq, env);
  }
  return result_seq;
}

Val Evaluator::EvalStep(const Node* expr, const Val& input, const FramePtr& env, bool last) {
  if (expr->type == NT::kSort) {
    Val result = EvalSort(expr, input, env);
    if (expr->has_stages) result = EvalStages(expr->stages, result, env);
    return result;
  }
  std::vector<Val> result;
  const auto& items = input.arr()->items;
  result.reserve(items.size());
  for (size_t i = 0; i < items.size(); i++) {
    Val res = Eval(expr, items[i], env);
    if (expr->has_stages) {
      for (auto& s : expr->stages) res = EvalFilter(s->expression.get(), res, env);
    }
    if (!res.undef()) result.push_back(std::move(res));
  }
  if (last && result.size() == 1 && result[0].is_arr() && !result[0].arr()->sequence) {
    return result[0];
  }
  Val seq = NewSeq();
  auto& out = seq.arr()->items;
  for (auto& r : result) {
    if (!r.is_arr() || r.arr()->cons) {
      out.push_back(r);
    } else {
      for (auto& x : r.arr()->items) out.push_back(x);
    }
  }
  return seq;
}

Val Evaluator::EvalStages(const std::vector<NodeP>& stages, Val input, const FramePtr& env) {
  Val result = input;
  for (auto& stage : stages) {
    if (stage->type == NT::kFilter) {
      result = EvalFilter(stage->expression.get(), result, env);
    } else if (stage->type == NT::kIndex) {
      if (result.is_arr()) {
        auto& items = result.arr()->items;
        for (size_t i = 0; i < items.size(); i++) {
          Val t = CopyTuple(items[i]);
          t.obj()->Set(stage->value, Val::Num(static_cast<double>(i)));
          items[i] = t;
        }
      }
    }
  }
  return result;
}

Val Evaluator::EvalTupleStep(const Node* expr, const Val& input, Val tuples, const FramePtr& env) {
  if (expr->type == NT::kSort) {
    Val result;
    if (!tuples.undef()) {
      result = EvalSort(expr, tuples, env);
    } else {
      Val sorted = EvalSort(expr, input, env);
      result = NewSeq();
      result.arr()->tuple_stream = true;
      if (sorted.is_arr()) {
        auto& items = sorted.arr()->items;
        for (size_t i = 0; i < items.size(); i++) {
          Val t = NewObj();
          t.obj()->Set("@", items[i]);
          if (expr->has_index) t.obj()->Set(expr->index, Val::Num(static_cast<double>(i)));
          result.arr()->items.push_back(t);
        }
      }
    }
    if (expr->has_stages) result = EvalStages(expr->stages, result, env);
    return result;
  }
  Val result = NewSeq();
  result.arr()->tuple_stream = true;
  if (tuples.undef()) {
    tuples = NewSeq();
    if (input.is_arr()) {
      for (auto& item : input.arr()->items) {
        Val t = NewObj();
        t.obj()->Set("@", item);
        tuples.arr()->items.push_back(t);
      }
    }
  }
  for (auto& tuple : tuples.arr()->items) {
    FramePtr step_env = FrameFromTuple(env, tuple);
    Val res = Eval(expr, TupleFocus(tuple), step_env);
    if (res.undef()) continue;
    std::vector<Val> list;
    bool res_tuples = res.is_arr() && res.arr()->tuple_stream;
    if (res.is_arr()) {
      list = res.arr()->items;
    } else {
      list.push_back(res);
    }
    for (size_t bb = 0; bb < list.size(); bb++) {
      Val t = CopyTuple(tuple);
      if (res_tuples) {
        for (auto& m : list[bb].obj()->members()) t.obj()->Set(m.first, m.second);
      } else {
        if (expr->has_focus) {
          t.obj()->Set(expr->focus, list[bb]);
          t.obj()->Set("@", TupleFocus(tuple));
        } else {
          t.obj()->Set("@", list[bb]);
        }
        if (expr->has_index) t.obj()->Set(expr->index, Val::Num(static_cast<double>(bb)));
        if (expr->ancestor) t.obj()->Set(expr->ancestor->label, TupleFocus(tuple));
      }
      result.arr()->items.push_back(t);
    }
  }
  if (expr->has_stages) result = EvalStages(expr->stages, result, env);
  return result;
}

Val Evaluator::EvalFilter(const Node* pred, const Val& input_in, const FramePtr& env) {
  Val results = NewSeq();
  if (input_in.is_arr() && input_in.arr()->tuple_stream) results.arr()->tuple_stream = true;
  Val input = input_in.is_arr() ? input_in : SeqOf(input_in);
  const auto& items = input.arr()->items;
  const long n = static_cast<long>(items.size());
  if (pred->type == NT::kNumber) {
    long index = static_cast<long>(std::floor(pred->num));
    if (index < 0) index = n + index;
    if (index >= 0 && index < n) {
      const Val& item = items[static_cast<size_t>(index)];
      if (item.undef()) {
      } else if (item.is_arr()) {
        results = item;
      } else {
        results.arr()->items.push_back(item);
      }
    }
    return results;
  }
  bool tuple_stream = input.arr()->tuple_stream;
  for (long index = 0; index < n; index++) {
    const Val& item = items[static_cast<size_t>(index)];
    Val res;
    if (tuple_stream) {
      res = Eval(pred, TupleFocus(item), FrameFromTuple(env, item));
    } else {
      res = Eval(pred, item, env);
    }
    if (IsNumeric(res)) res = SeqOf(res);
    if (IsArrayOfNumbers(res)) {
      for (auto& ir : res.arr()->items) {
        long ii = static_cast<long>(std::floor(ir.num()));
        if (ii < 0) ii = n + ii;
        if (ii == index) results.arr()->items.push_back(item);
      }
    } else if (Boolean(res).value_or(false)) {
      results.arr()->items.push_back(item);
    }
  }
  return results;
}

Val Evaluator::EvalBinary(const Node* expr, const Val& input, const FramePtr& env) {
  const std::string& op = expr->value;
  Val lhs = Eval(expr->lhs.get(), input, env);
  if (op == "and" || op == "or") {
    bool l = Boolean(lhs).value_or(false);
    if (op == "and") {
      if (!l) return Val::Bool(false);
      return Val::Bool(Boolean(Eval(expr->rhs.get(), input, env)).value_or(false));
    }
    if (l) return Val::Bool(true);
    return Val::Bool(Boolean(Eval(expr->rhs.get(), input, env)).value_or(false));
  }
  Val rhs = Eval(expr->rhs.get(), input, env);
  char c0 = op[0];
  if (op.size() == 1 && (c0 == '+' || c0 == '-' || c0 == '*' || c0 == '/' || c0 == '%')) {
    if (!lhs.undef() && !IsNumeric(lhs)) {
      Fail("T2001", "The left side of the " + op + " operator must evaluate to a number",
           expr->position, op);
    }
    if (!rhs.undef() && !IsNumeric(rhs)) {
      Fail("T2002", "The right side of the " + op + " operator must evaluate to a number",
           expr->position, op);
    }
    if (lhs.undef() || rhs.undef()) return Val();
    double a = lhs.num(), b = rhs.num(), r = 0;
    switch (c0) {
      case '+':
        r = a + b;
        break;
      case '-':
        r = a - b;
        break;
      case '*':
        r = a * b;
        break;
      case '/':
        r = a / b;
        break;
      case '%':
        r = std::fmod(a, b);
        break;
    }
    return Val::Num(r);
  }
  if (op == "=" || op == "!=") {
    if (lhs.undef() || rhs.undef()) return Val::Bool(false);
    bool eq = DeepEqual(lhs, rhs);
    return Val::Bool(op == "=" ? eq : !eq);
  }
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    bool lc = lhs.undef() || lhs.is_str() || lhs.is_num();
    bool rc = rhs.undef() || rhs.is_str() || rhs.is_num();
    if (!lc || !rc) {
      Fail("T2010",
           "The expressions either side of operator " + op +
               " must evaluate to numeric or string values",
           expr->position, op);
    }
    if (lhs.undef() || rhs.undef()) return Val();
    if (lhs.kind() != rhs.kind()) {
      Fail("T2009",
           "The values either side of the operator " + op + " must be of the same data type",
           expr->position, op);
    }
    int cmp;
    if (lhs.is_num()) {
      cmp = lhs.num() < rhs.num() ? -1 : (lhs.num() > rhs.num() ? 1 : 0);
    } else {
      cmp = lhs.str().compare(rhs.str());
      cmp = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
    }
    bool r = op == "<" ? cmp < 0 : op == "<=" ? cmp <= 0 : op == ">" ? cmp > 0 : cmp >= 0;
    return Val::Bool(r);
  }
  if (op == "&") {
    std::string l = lhs.undef() ? "" : StringOf(lhs);
    std::string r = rhs.undef() ? "" : StringOf(rhs);
    return Val::Str(l + r);
  }
  if (op == "..") {
    auto is_int = [](const Val& v) {
      return v.is_num() && std::floor(v.num()) == v.num() && std::isfinite(v.num());
    };
    if (!lhs.undef() && !is_int(lhs)) {
      Fail("T2003", "The left side of the range operator (..) must evaluate to an integer",
           expr->position, op);
    }
    if (!rhs.undef() && !is_int(rhs)) {
      Fail("T2004", "The right side of the range operator (..) must evaluate to an integer",
           expr->position, op);
    }
    if (lhs.undef() || rhs.undef()) return Val();
    double a = lhs.num(), b = rhs.num();
    if (a > b) return Val();
    double size = b - a + 1;
    if (size > 1e7) {
      Fail("D2014",
           "The size of the sequence allocated by the range operator (..) must not exceed 1e7",
           expr->position, op);
    }
    // a large range is costly enough to check the deadline for
    if (size > 100000) CheckDeadline(expr);
    Val seq = NewSeq();
    auto& items = seq.arr()->items;
    items.reserve(static_cast<size_t>(size));
    for (double x = a; x <= b; x++) items.push_back(Val::Num(x));
    return seq;
  }
  if (op == "in") {
    if (lhs.undef() || rhs.undef()) return Val::Bool(false);
    auto same = [&](const Val& x) {
      if (x.kind() != lhs.kind()) return false;
      switch (x.kind()) {
        case Kind::kNum:
          return x.num() == lhs.num();
        case Kind::kStr:
          return x.str() == lhs.str();
        case Kind::kBool:
          return x.b() == lhs.b();
        case Kind::kNull:
          return true;
        default:
          return x.heap() == lhs.heap();
      }
    };
    if (rhs.is_arr()) {
      for (auto& x : rhs.arr()->items) {
        if (same(x)) return Val::Bool(true);
      }
      return Val::Bool(false);
    }
    return Val::Bool(same(rhs));
  }
  Fail("S0201", "Unknown operator " + op, expr->position, op);
}

Val Evaluator::EvalUnary(const Node* expr, const Val& input, const FramePtr& env) {
  if (expr->value == "-") {
    Val v = Eval(expr->expression.get(), input, env);
    if (v.undef()) return Val();
    if (IsNumeric(v)) return Val::Num(-v.num());
    Fail("D1002", "Cannot negate a non-numeric value", expr->position, "-");
  }
  if (expr->value == "[") {
    Val result = NewArr();
    for (auto& item : expr->expressions) {
      Val v = Eval(item.get(), input, env);
      if (v.undef()) continue;
      if (item->type == NT::kUnary && item->value == "[") {
        result.arr()->items.push_back(v);
      } else if (v.is_arr()) {
        auto& src = v.arr()->items;
        result.arr()->items.insert(result.arr()->items.end(), src.begin(), src.end());
      } else {
        result.arr()->items.push_back(v);
      }
    }
    if (expr->cons_array) result.arr()->cons = true;
    return result;
  }
  if (expr->value == "{") {
    GroupSpec g;
    g.pairs = expr->pairs;
    g.position = expr->position;
    return EvalGroup(g, input, env);
  }
  return Val();
}

Val Evaluator::EvalGroup(const GroupSpec& group, const Val& input_in, const FramePtr& env) {
  bool reduce = input_in.is_arr() && input_in.arr()->tuple_stream;
  Val input = input_in.is_arr() ? input_in : SeqOf(input_in);
  std::vector<Val> items = input.arr()->items;
  if (items.empty()) items.push_back(Val());
  struct Entry {
    Val data;
    size_t expr_index;
  };
  std::vector<std::pair<std::string, Entry>> groups;
  std::unordered_map<std::string, size_t> index;
  for (auto& item : items) {
    FramePtr item_env = reduce ? FrameFromTuple(env, item) : env;
    for (size_t pi = 0; pi < group.pairs.size(); pi++) {
      Val key = Eval(group.pairs[pi].first.get(), reduce ? TupleFocus(item) : item, item_env);
      if (key.undef()) continue;
      if (!key.is_str()) {
        Fail("T1003", "Key in object structure must evaluate to a string; got: " + StringOf(key),
             group.position);
      }
      auto it = index.find(key.str());
      if (it != index.end()) {
        Entry& e = groups[it->second].second;
        if (e.expr_index != pi) {
          Fail("D1009", "Multiple key definitions evaluate to same key: " + key.str(),
               group.position);
        }
        e.data = Append(e.data, item);
      } else {
        index.emplace(key.str(), groups.size());
        groups.push_back({key.str(), Entry{item, pi}});
      }
    }
  }
  Val result = NewObj();
  for (auto& [key, entry] : groups) {
    Val context = entry.data;
    FramePtr e = env;
    if (reduce) {
      // reduceTupleStream
      Val tuple;
      if (!entry.data.is_arr()) {
        tuple = CopyTuple(entry.data);
      } else {
        auto& ts = entry.data.arr()->items;
        tuple = CopyTuple(ts[0]);
        for (size_t i = 1; i < ts.size(); i++) {
          for (auto& m : ts[i].obj()->members()) {
            const Val* prev = tuple.obj()->Find(m.first);
            tuple.obj()->Set(m.first, Append(prev ? *prev : Val(), m.second));
          }
        }
      }
      context = TupleFocus(tuple);
      tuple.obj()->Erase("@");
      e = FrameFromTuple(env, tuple);
    }
    Val v = Eval(group.pairs[entry.expr_index].second.get(), context, e);
    if (!v.undef()) result.obj()->Set(key, v);
  }
  return result;
}

Val Evaluator::EvalSort(const Node* expr, const Val& input, const FramePtr& env) {
  if (!input.is_arr()) return input;
  auto& items = input.arr()->items;
  if (items.size() <= 1) return input;
  bool tuple_sort = input.arr()->tuple_stream;
  size_t n = items.size();
  size_t nt = expr->terms.size();
  std::vector<Val> keys(n * nt);
  for (size_t i = 0; i < n; i++) {
    for (size_t t = 0; t < nt; t++) {
      const Node* term = expr->terms[t].expression.get();
      if (tuple_sort) {
        keys[i * nt + t] = Eval(term, TupleFocus(items[i]), FrameFromTuple(env, items[i]));
      } else {
        keys[i * nt + t] = Eval(term, items[i], env);
      }
    }
  }
  auto compare = [&](size_t a, size_t b) -> int {
    for (size_t t = 0; t < nt; t++) {
      const Val& aa = keys[a * nt + t];
      const Val& bb = keys[b * nt + t];
      int comp;
      if (aa.undef()) {
        comp = bb.undef() ? 0 : 1;
        if (comp) return comp;
        continue;
      }
      if (bb.undef()) return -1;
      if (!(aa.is_str() || aa.is_num()) || !(bb.is_str() || bb.is_num())) {
        Fail("T2008",
             "The expressions within an order-by clause must evaluate to numeric or string values",
             expr->position);
      }
      if (aa.kind() != bb.kind()) {
        Fail("T2007", "Type mismatch within order-by clause. All values must be of the same type",
             expr->position);
      }
      if (aa.is_num()) {
        comp = aa.num() == bb.num() ? 0 : (aa.num() < bb.num() ? -1 : 1);
      } else {
        int c = aa.str().compare(bb.str());
        comp = c == 0 ? 0 : (c < 0 ? -1 : 1);
      }
      if (comp == 0) continue;
      if (expr->terms[t].descending) comp = -comp;
      return comp;
    }
    return 0;
  };
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return compare(a, b) < 0; });
  auto* out = new ArrData;
  Val result = Val::Arr(out);
  out->sequence = true;
  out->tuple_stream = tuple_sort;
  for (size_t i : order) out->items.push_back(items[i]);
  return result;
}

int Evaluator::Arity(const Val& func) const {
  if (!func.is_func()) return 0;
  FuncData* f = func.func();
  switch (f->type) {
    case FuncData::Type::kLambda:
      return static_cast<int>(f->params.size());
    case FuncData::Type::kNative:
      return f->builtin->arity;
    case FuncData::Type::kPartialNative: {
      int holes = 0;
      for (bool h : f->holes) holes += h;
      return holes;
    }
    case FuncData::Type::kRegex:
      return 1;
    case FuncData::Type::kCompose:
      return 1;
    case FuncData::Type::kTransform:
      return 1;
  }
  return 1;
}

Val Evaluator::ApplyHof(const Val& func, const Val& v, const Val& i, const Val& arr,
                        const FramePtr& env) {
  std::vector<Val> args{v};
  int arity = Arity(func);
  if (arity >= 2) args.push_back(i);
  if (arity >= 3) args.push_back(arr);
  return Apply(func, std::move(args), Val(), env);
}

Val Evaluator::EvalFunction(const Node* expr, const Val& input, const FramePtr& env,
                            const Val* applyto) {
  Val proc = Eval(expr->procedure.get(), input, env);
  if (proc.undef() && expr->procedure->type == NT::kPath && !expr->procedure->steps.empty()) {
    const std::string& name = expr->procedure->steps[0]->value;
    if (Lookup(env, name) || FindBuiltin(name)) {
      Fail("T1005", "Attempted to invoke a non-function. Did you mean ${" + name + "}?",
           expr->position, name);
    }
  }
  std::vector<Val> args;
  if (applyto) args.push_back(*applyto);
  for (auto& a : expr->arguments) args.push_back(Eval(a.get(), input, env));
  try {
    return Apply(proc, std::move(args), input, env);
  } catch (JError& e) {
    if (e.position < 0) e.position = expr->position;
    throw;
  }
}

Val Evaluator::Apply(const Val& proc, std::vector<Val> args, const Val& input,
                     const FramePtr& env) {
  Val result = ApplyInner(proc, std::move(args), input, env);
  while (result.is_func() && result.func()->thunk) {
    FuncData* t = result.func();
    const Node* call = t->node->body.get();
    Val next = Eval(call->procedure.get(), t->input, t->env);
    std::vector<Val> next_args;
    for (auto& a : call->arguments) next_args.push_back(Eval(a.get(), t->input, t->env));
    Val keep = result;  // keeps t alive during the call
    result = ApplyInner(next, std::move(next_args), input, env);
  }
  return result;
}

Val Evaluator::ApplyInner(const Val& proc, std::vector<Val> args, const Val& input,
                          const FramePtr& env) {
  if (!proc.is_func()) {
    Fail("T1006", "Attempted to invoke a non-function");
  }
  FuncData* f = proc.func();
  if (f->sig) args = ValidateArgs(*f->sig, args, input);
  switch (f->type) {
    case FuncData::Type::kLambda: {
      auto frame = std::make_shared<Frame>();
      frame->parent = f->env;
      for (size_t i = 0; i < f->params.size(); i++) {
        frame->vars.emplace_back(f->params[i], i < args.size() ? args[i] : Val());
      }
      FramePtr fp = frame;
      return Eval(f->node->body.get(), f->input, fp);
    }
    case FuncData::Type::kNative: {
      Call call{this, args, input, env};
      return f->builtin->fn(call);
    }
    case FuncData::Type::kPartialNative: {
      std::vector<Val> full;
      size_t next = 0;
      for (size_t i = 0; i < f->bound.size(); i++) {
        if (f->holes[i]) {
          full.push_back(next < args.size() ? args[next] : Val());
          next++;
        } else {
          full.push_back(f->bound[i]);
        }
      }
      return ApplyInner(f->target, std::move(full), input, env);
    }
    case FuncData::Type::kRegex: {
      Val str = args.empty() ? Val() : args[0];
      if (!str.is_str()) return Val();
      RegexMatch m;
      if (!RegexFind(*f->regex, str.str(), 0, &m)) return Val();
      Val o = NewObj();
      o.obj()->Set("match", Val::Str(m.match));
      o.obj()->Set("start", Val::Num(static_cast<double>(m.start)));
      o.obj()->Set("end", Val::Num(static_cast<double>(m.end)));
      Val groups = NewArr();
      for (auto& g : m.groups) groups.arr()->items.push_back(Val::Str(g.value_or("")));
      o.obj()->Set("groups", groups);
      return o;
    }
    case FuncData::Type::kCompose: {
      Val mid = Apply(f->f, std::move(args), Val(), env);
      return Apply(f->g, {mid}, Val(), env);
    }
    case FuncData::Type::kTransform: {
      return RunTransform(f, args.empty() ? Val() : args[0]);
    }
  }
  return Val();
}

Val Evaluator::EvalPartial(const Node* expr, const Val& input, const FramePtr& env) {
  std::vector<Val> args;
  std::vector<bool> holes;
  for (auto& a : expr->arguments) {
    if (a->type == NT::kOperator && a->value == "?") {
      args.push_back(Val());
      holes.push_back(true);
    } else {
      args.push_back(Eval(a.get(), input, env));
      holes.push_back(false);
    }
  }
  Val proc = Eval(expr->procedure.get(), input, env);
  if (proc.undef() && expr->procedure->type == NT::kPath && !expr->procedure->steps.empty()) {
    const std::string& name = expr->procedure->steps[0]->value;
    if (Lookup(env, name) || FindBuiltin(name)) {
      Fail("T1007", "Attempted to partially apply a non-function. Did you mean ${" + name + "}?",
           expr->position, name);
    }
  }
  if (!proc.is_func()) {
    Fail("T1008", "Attempted to partially apply a non-function", expr->position);
  }
  FuncData* f = proc.func();
  if (f->type == FuncData::Type::kLambda) {
    auto* p = new FuncData;
    p->type = FuncData::Type::kLambda;
    p->node = f->node;
    p->input = f->input;
    auto frame = std::make_shared<Frame>();
    frame->parent = f->env;
    for (size_t i = 0; i < f->params.size(); i++) {
      if (i < holes.size() && holes[i]) {
        p->params.push_back(f->params[i]);
      } else {
        frame->Bind(f->params[i], i < args.size() ? args[i] : Val());
      }
    }
    p->env = frame;
    Val pv = Val::Func(p);
    closures_.push_back(pv);
    return pv;
  }
  auto* p = new FuncData;
  p->type = FuncData::Type::kPartialNative;
  p->target = proc;
  p->bound = args;
  p->holes = holes;
  return Val::Func(p);
}

Val Evaluator::EvalApplyExpr(const Node* expr, const Val& input, const FramePtr& env) {
  Val lhs = Eval(expr->lhs.get(), input, env);
  if (expr->rhs->type == NT::kFunction) {
    return EvalFunction(expr->rhs.get(), input, env, &lhs);
  }
  Val func = Eval(expr->rhs.get(), input, env);
  if (!func.is_func()) {
    Fail("T2006", "The right side of the function application operator ~> must be a function",
         expr->position);
  }
  if (lhs.is_func()) {
    auto* c = new FuncData;
    c->type = FuncData::Type::kCompose;
    c->f = lhs;
    c->g = func;
    return Val::Func(c);
  }
  return Apply(func, {lhs}, Val(), env);
}

Val Evaluator::EvalTransform(const Node* expr, const Val& input, const FramePtr& env) {
  auto* f = new FuncData;
  f->type = FuncData::Type::kTransform;
  f->node = expr;
  f->env = env;
  static const std::shared_ptr<Signature> kTransformSignature = ParseSignature("<(oa):o>");
  f->sig = kTransformSignature;
  (void)input;
  Val fv = Val::Func(f);
  closures_.push_back(fv);
  return fv;
}

static Val DeepClone(const Val& v) {
  CheckStack();
  if (v.is_arr()) {
    auto* a = new ArrData;
    Val r = Val::Arr(a);
    a->sequence = v.arr()->sequence;
    for (auto& x : v.arr()->items) a->items.push_back(DeepClone(x));
    return r;
  }
  if (v.is_obj()) {
    auto* o = new ObjData;
    Val r = Val::Obj(o);
    for (auto& m : v.obj()->members()) o->members().emplace_back(m.first, DeepClone(m.second));
    if (!v.obj()->index.empty()) o->Reindex();
    return r;
  }
  return v;
}

Val Evaluator::RunTransform(const FuncData* f, const Val& obj) {
  if (obj.undef()) return Val();
  const Node* expr = f->node;
  Val result = DeepClone(obj);
  Val matches = Eval(expr->pattern.get(), result, f->env);
  if (matches.undef()) return result;
  std::vector<Val> list;
  if (matches.is_arr()) {
    list = matches.arr()->items;
  } else {
    list.push_back(matches);
  }
  for (auto& match : list) {
    Val update = Eval(expr->update.get(), match, f->env);
    if (!update.undef()) {
      if (!update.is_obj()) {
        Fail("T2011",
             "The insert/update clause of the transform expression must evaluate to an object",
             expr->update->position);
      }
      if (match.is_obj()) {
        for (auto& m : update.obj()->members()) match.obj()->Set(m.first, m.second);
      }
    }
    if (expr->del) {
      Val deletions = Eval(expr->del.get(), match, f->env);
      if (!deletions.undef()) {
        Val dl = deletions.is_arr() ? deletions : SeqOf(deletions);
        if (!IsArrayOfStrings(dl)) {
          Fail("T2012",
               "The delete clause of the transform expression must evaluate to a string or array "
               "of strings",
               expr->del->position);
        }
        if (match.is_obj()) {
          for (auto& k : dl.arr()->items) match.obj()->Erase(k.str());
        }
      }
    }
  }
  return result;
}

Val Evaluator::EvalText(const std::string& text, const Val& input, const FramePtr& env) {
  NodeP ast;
  try {
    ast = ParseExpression(text, ParseLimits());
  } catch (JError& e) {
    Fail("D3120", "Syntax error in expression passed to function eval: " + e.message);
  }
  eval_asts_.push_back(ast);
  auto frame = std::make_shared<Frame>();
  frame->parent = env;
  Val in = input;
  if (input.is_arr() && !input.arr()->sequence) {
    in = SeqOf(input);
    in.arr()->outer_wrapper = true;
  }
  try {
    return Eval(ast.get(), in, frame);
  } catch (JError& e) {
    if (e.code == "U1001") throw;
    Fail("D3121", "Dynamic error evaluating the expression passed to function eval: " + e.message);
  }
}

// ---------------------------------------------------------------- signatures

}  // namespace stepflow::asl::jsonata::internal

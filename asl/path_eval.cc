// Indefinite JSONPath evaluation and filters, following Jayway JsonPath's token
// semantics (PathToken, ScanPathToken, PredicatePathToken, EvaluatorFactory),
// which AWS Step Functions uses. A path's own indefinite evaluation never fails
// (AWS answers `$.missing[*]` with []); inside filters, operand paths fail
// where Jayway throws, which makes them undefined or "not existing".

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <vector>

#include "path_internal.h"
#include "stepflow/asl/json.h"

namespace stepflow::asl::path_internal {

namespace {

struct Work {
  const Value* value;
  uint32_t step;
};

// Which misses end an evaluation: none (a path's own indefinite evaluation, per
// our contract), those Jayway's default configuration throws on (operand paths
// in filters), or also every missing member (existence checks).
enum class Mode : uint8_t { kLenient, kDefault, kRequireProperties };

// ---- Filter operands: Jayway's ValueNode kinds, without copying the document.

struct Node {
  enum class Kind : uint8_t { kUndefined, kValue, kPattern };
  Kind kind = Kind::kUndefined;
  const Value* value = nullptr;  // kValue
  const Regex* regex = nullptr;  // kPattern
  Value owned;                   // backs `value` when the operand built a new value

  bool is_json() const { return kind == Kind::kValue && (value->is_array() || value->is_object()); }
  bool is(Value::Type t) const { return kind == Kind::kValue && value->type() == t; }
  bool is_number() const { return kind == Kind::kValue && value->is_number(); }
};

class Evaluator {
 public:
  Evaluator(const Program& program, const Value& root) : program_(program), root_(root) {}

  // Appends every match of `list` from `start` to `out`. Depth-first over an
  // explicit stack: items come out in Jayway's order (each match runs through
  // the remaining steps before the next match is considered). Returns false
  // where Jayway would throw PathNotFoundException under `mode`.
  bool Collect(const StepList& list, const Value& start, Mode mode, Array* out) {
    const uint32_t n = static_cast<uint32_t>(list.steps.size());
    std::vector<Work> stack{{&start, 0}};
    std::vector<Work> batch;
    while (!stack.empty()) {
      Work w = stack.back();
      stack.pop_back();
      if (w.step == n) {
        out->push_back(*w.value);
        continue;
      }
      batch.clear();
      if (!Apply(list, w, mode, &batch, out)) return false;
      bool all_leaves = true;
      for (const Work& b : batch) all_leaves = all_leaves && b.step == n;
      if (all_leaves) {
        for (const Work& b : batch) out->push_back(*b.value);
      } else {
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) stack.push_back(*it);
      }
    }
    return true;
  }

  bool Accept(uint32_t expr_index, const Value& item) {
    const Expr& e = program_.exprs[expr_index];
    switch (e.kind) {
      case ExprKind::kOr:
        for (uint32_t c : e.children) {
          if (Accept(c, item)) return true;
        }
        return false;
      case ExprKind::kAnd:
        for (uint32_t c : e.children) {
          if (!Accept(c, item)) return false;
        }
        return true;
      case ExprKind::kNot:
        return !Accept(e.children[0], item);
      case ExprKind::kExists:
        return Exists(program_.paths[e.left.index], item) == e.should_exist;
      case ExprKind::kCompare: {
        Node left, right;
        Resolve(e.left, item, &left);
        Resolve(e.right, item, &right);
        return Compare(e.op, left, right);
      }
    }
    return false;
  }

 private:
  static void PushIndex(const Value& v, int64_t index, uint32_t next, std::vector<Work>* batch) {
    size_t i;
    if (ResolveIndex(v, index, &i)) batch->push_back({&v.AsArray()[i], next});
  }

  // Jayway ArraySliceToken: from/to/between, each with its own treatment of
  // negative bounds; `between` passes negative positions on to index lookup.
  static void Slice(const Step& s, const Value& v, uint32_t next, std::vector<Work>* batch) {
    const int64_t length = static_cast<int64_t>(v.AsArray().size());
    if (length == 0) return;
    int64_t from = s.index, to = s.to;
    switch (s.slice) {
      case SliceKind::kFrom:
        if (from < 0) from += length;
        if (from < 0) from = 0;
        to = length;
        break;
      case SliceKind::kTo:
        from = 0;
        if (to < 0) to += length;
        if (to > length) to = length;
        break;
      case SliceKind::kBetween:
        if (to > length) to = length;
        // Positions before -length resolve to nothing; skip them without looping.
        if (from < -length) from = -length;
        break;
    }
    for (int64_t i = from; i < to; ++i) PushIndex(v, i, next, batch);
  }

  // Applies step `w.step` of `list` to `w.value`. Returns false where Jayway
  // would throw: a step that meets the wrong type, or a missing member, while
  // everything before it named a single value (Jayway's PropertyPathToken,
  // PathToken.handleObjectProperty and ArrayPathToken.checkArrayModel).
  bool Apply(const StepList& list, const Work& w, Mode mode, std::vector<Work>* batch, Array* out) {
    const Step& s = list.steps[w.step];
    const Value& v = *w.value;
    const uint32_t next = w.step + 1;
    const bool leaf = next == list.steps.size();
    const bool strict = mode != Mode::kLenient && w.step <= list.definite_prefix;
    const bool require = mode == Mode::kRequireProperties;
    switch (s.kind) {
      case StepKind::kName: {
        if (!v.is_object()) return !strict;
        const Value* m = v.Find(s.name);
        if (m == nullptr) return !(require || (strict && !leaf));
        batch->push_back({m, next});
        return true;
      }
      case StepKind::kNames:
        if (!v.is_object()) return !strict;
        if (require) {
          for (const std::string& name : s.names) {
            if (v.Find(name) == nullptr) return false;
          }
        }
        if (leaf) {
          // Jayway's multi-property leaf: one object of the members present. It
          // is emitted now; nothing queued before it is still pending.
          out->push_back(Merge(s, v));
          return true;
        }
        for (const std::string& name : s.names) {
          if (const Value* m = v.Find(name)) batch->push_back({m, next});
        }
        return true;
      case StepKind::kIndex:
        if (!v.is_array()) return !strict;
        PushIndex(v, s.index, next, batch);
        return true;
      case StepKind::kIndexes:
        if (!v.is_array()) return !strict;
        for (int32_t i : s.indexes) PushIndex(v, i, next, batch);
        return true;
      case StepKind::kSlice:
        if (!v.is_array()) return !strict;
        Slice(s, v, next, batch);
        return true;
      case StepKind::kWildcard:
        if (v.is_object()) {
          for (const Member& m : v.AsObject()) batch->push_back({&m.second, next});
        } else if (v.is_array()) {
          for (const Value& e : v.AsArray()) batch->push_back({&e, next});
        }
        return true;
      case StepKind::kFilter:
        // Jayway PredicatePathToken: an object is tested itself, an array per
        // element; a primitive yields nothing (Jayway throws if upstream is definite).
        if (v.is_object()) {
          if (Accept(s.filter, v)) batch->push_back({&v, next});
        } else if (v.is_array()) {
          for (const Value& e : v.AsArray()) {
            if (Accept(s.filter, e)) batch->push_back({&e, next});
          }
        } else {
          return !strict;
        }
        return true;
      case StepKind::kScan:
        Scan(list, w, batch);
        return true;
    }
    return true;
  }

  static Value Merge(const Step& s, const Value& v) {
    Object merged;
    for (const std::string& name : s.names) {
      const Value* m = v.Find(name);
      if (m == nullptr) continue;
      bool seen = false;
      for (const Member& existing : merged) seen = seen || existing.first == name;
      if (!seen) merged.emplace_back(name, *m);
    }
    return Value::MakeObject(std::move(merged));
  }

  // Jayway ScanPathToken's predicate: may the target step apply to `node`?
  bool ScanMatches(const StepList& list, uint32_t target, const Value& node) {
    const Step& pt = list.steps[target];
    switch (pt.kind) {
      case StepKind::kName:
        return node.Find(pt.name) != nullptr;
      case StepKind::kNames:
        if (!node.is_object()) return false;
        if (target + 1 != list.steps.size()) return true;
        for (const std::string& name : pt.names) {
          if (node.Find(name) == nullptr) return false;
        }
        return true;
      case StepKind::kIndex:
      case StepKind::kIndexes:
      case StepKind::kSlice:
        return node.is_array();
      case StepKind::kWildcard:
        return true;
      case StepKind::kFilter:
        return Accept(pt.filter, node);
      case StepKind::kScan:
        return false;
    }
    return false;
  }

  // `..`: every object and array under (and including) the start, pre-order,
  // offered to the next step. As in Jayway's walkArray, an array that matches
  // a non-final step hands each element straight to the step after it.
  void Scan(const StepList& list, const Work& w, std::vector<Work>* batch) {
    const uint32_t target = w.step + 1;
    const bool target_is_leaf = target + 1 == list.steps.size();
    std::vector<const Value*> nodes{w.value};
    while (!nodes.empty()) {
      const Value* node = nodes.back();
      nodes.pop_back();
      if (node->is_object()) {
        if (ScanMatches(list, target, *node)) batch->push_back({node, target});
        const Object& members = node->AsObject();
        for (auto it = members.rbegin(); it != members.rend(); ++it) nodes.push_back(&it->second);
      } else if (node->is_array()) {
        const Array& items = node->AsArray();
        if (ScanMatches(list, target, *node)) {
          if (target_is_leaf) {
            batch->push_back({node, target});
          } else {
            for (const Value& e : items) batch->push_back({&e, target + 1});
          }
        }
        for (auto it = items.rbegin(); it != items.rend(); ++it) nodes.push_back(&*it);
      }
    }
  }

  // A definite operand path (`@.a.b[0]`): the value, or nullptr where Jayway
  // would throw PathNotFoundException.
  static const Value* Lookup(const StepList& list, const Value& start) {
    const Value* cur = &start;
    for (const Step& s : list.steps) {
      if (s.kind == StepKind::kName) {
        cur = cur->Find(s.name);
      } else {  // kIndex
        size_t i;
        if (!cur->is_array() || !ResolveIndex(*cur, s.index, &i)) return nullptr;
        cur = &cur->AsArray()[i];
      }
      if (cur == nullptr) return nullptr;
    }
    return cur;
  }

  static bool EndsWithMerge(const StepList& list) {
    return !list.steps.empty() && list.steps.back().kind == StepKind::kNames;
  }

  // Jayway PathNode.evaluate: a definite path gives its value or undefined; an
  // indefinite one gives the list of matches.
  void Resolve(const Operand& o, const Value& item, Node* node) {
    switch (o.kind) {
      case Operand::Kind::kLiteral:
        node->kind = Node::Kind::kValue;
        node->value = &o.literal;
        return;
      case Operand::Kind::kPattern:
        node->kind = Node::Kind::kPattern;
        node->regex = program_.regexes[o.index].get();
        return;
      case Operand::Kind::kPath: {
        const StepList& list = program_.paths[o.index];
        const Value& start = list.relative ? item : root_;
        if (list.jayway_definite && !EndsWithMerge(list)) {
          if (const Value* v = Lookup(list, start)) {
            node->kind = Node::Kind::kValue;
            node->value = v;
          }
          return;
        }
        Array matches;
        if (!Collect(list, start, Mode::kDefault, &matches)) return;  // undefined
        if (list.jayway_definite) {  // a merge: one object, or undefined
          if (matches.empty()) return;
          node->owned = matches[0];
        } else {
          node->owned = Value::MakeArray(std::move(matches));
        }
        node->kind = Node::Kind::kValue;
        node->value = &node->owned;
        return;
      }
    }
  }

  // Jayway evaluates an existence check with REQUIRE_PROPERTIES: a definite
  // path exists when it resolves (even to null); an indefinite one unless a
  // member is missing along the way. An empty list still "exists": in Jayway
  // `[?(@.items[?(@.ok)])]` keeps every item whose `items` is an array.
  bool Exists(const StepList& list, const Value& item) {
    const Value& start = list.relative ? item : root_;
    if (list.jayway_definite && !EndsWithMerge(list)) return Lookup(list, start) != nullptr;
    Array matches;
    return Collect(list, start, Mode::kRequireProperties, &matches);
  }

  // ---- Jayway's EvaluatorFactory.

  static std::string NumberText(const Value& v) {
    if (v.is_int()) return std::to_string(v.AsInt());
    return ToJson(v);
  }

  // BigDecimal(String): [+-]digits[.digits][e[+-]digits].
  static bool ParseDecimal(const std::string& s, double* out) {
    if (s.empty()) return false;
    for (char c : s) {
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        return false;
      }
    }
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
  }

  static int CompareNumbers(const Value& a, const Value& b) {
    if (a.is_int() && b.is_int())
      return a.AsInt() < b.AsInt() ? -1 : (a.AsInt() > b.AsInt() ? 1 : 0);
    double x = a.AsDouble(), y = b.AsDouble();
    return x < y ? -1 : (x > y ? 1 : 0);
  }

  // ValueNode.equals as `left.equals(right)`: strings and numbers compare
  // across types (a number by its text, a string parsed as a decimal).
  static bool NodeEquals(const Node& l, const Node& r) {
    if (l.is_json() && r.is_json()) return *l.value == *r.value;
    if (l.kind == Node::Kind::kUndefined) return false;  // Jayway: undefined equals nothing
    if (l.kind == Node::Kind::kPattern) return r.kind == Node::Kind::kPattern && l.regex == r.regex;
    if (r.kind != Node::Kind::kValue) return false;
    const Value& a = *l.value;
    const Value& b = *r.value;
    switch (a.type()) {
      case Value::Type::kString:
        if (b.is_string()) return a.AsString() == b.AsString();
        if (b.is_number()) return a.AsString() == NumberText(b);
        return false;
      case Value::Type::kInt:
      case Value::Type::kDouble: {
        if (b.is_number()) return CompareNumbers(a, b) == 0;
        double d;
        if (b.is_string() && ParseDecimal(b.AsString(), &d)) return a.AsDouble() == d;
        return false;
      }
      case Value::Type::kBool:
        return b.is_bool() && a.AsBool() == b.AsBool();
      case Value::Type::kNull:
        return b.is_null();
      default:
        return false;  // a JSON node equals only another JSON node
    }
  }

  static Node ElementNode(const Value& v) {
    Node n;
    n.kind = Node::Kind::kValue;
    n.value = &v;
    return n;
  }

  // ValueListNode.contains(x): some element e with x.equals(e).
  static bool ListContains(const Value& list, const Node& x) {
    for (const Value& e : list.AsArray()) {
      if (NodeEquals(x, ElementNode(e))) return true;
    }
    return false;
  }

  // Java String.length(): UTF-16 code units.
  static int64_t Utf16Length(const std::string& s) {
    int64_t n = 0;
    for (unsigned char c : s) {
      if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
    }
    return n;
  }

  // Jayway RegexpEvaluator.getInput: strings and numbers by their text,
  // booleans as true/false, anything else as "". `buffer` backs number text.
  static std::string_view RegexInput(const Node& n, std::string* buffer) {
    if (n.is(Value::Type::kString)) return n.value->AsString();
    if (n.is_number()) return *buffer = NumberText(*n.value);
    if (n.is(Value::Type::kBool)) return n.value->AsBool() ? "true" : "false";
    return "";
  }

  static bool Compare(RelOp op, const Node& l, const Node& r) {
    switch (op) {
      case RelOp::kEq:
        return NodeEquals(l, r);
      case RelOp::kNe:
        return !NodeEquals(l, r);
      case RelOp::kStrictEq:
      case RelOp::kStrictNe: {
        bool same_kind =
            l.kind == r.kind &&
            (l.kind != Node::Kind::kValue || (l.value->is_number() && r.value->is_number()) ||
             (l.is_json() && r.is_json()) || l.value->type() == r.value->type());
        bool eq = same_kind && NodeEquals(l, r);
        return op == RelOp::kStrictEq ? eq : !eq;
      }
      case RelOp::kLt:
      case RelOp::kLe:
      case RelOp::kGt:
      case RelOp::kGe: {
        int c;
        if (l.is_number() && r.is_number()) {
          c = CompareNumbers(*l.value, *r.value);
        } else if (l.is(Value::Type::kString) && r.is(Value::Type::kString)) {
          c = l.value->AsString().compare(r.value->AsString());
        } else {
          return false;
        }
        if (op == RelOp::kLt) return c < 0;
        if (op == RelOp::kLe) return c <= 0;
        if (op == RelOp::kGt) return c > 0;
        return c >= 0;
      }
      case RelOp::kRegex: {
        bool lp = l.kind == Node::Kind::kPattern, rp = r.kind == Node::Kind::kPattern;
        if (lp == rp) return false;
        std::string buffer;
        return lp ? l.regex->FullMatch(RegexInput(r, &buffer))
                  : r.regex->FullMatch(RegexInput(l, &buffer));
      }
      case RelOp::kIn:
      case RelOp::kNin: {
        bool in = r.is(Value::Type::kArray) && ListContains(*r.value, l);
        return op == RelOp::kIn ? in : !in;
      }
      case RelOp::kSubsetOf:
      case RelOp::kAnyOf:
      case RelOp::kNoneOf: {
        if (!l.is(Value::Type::kArray) || !r.is(Value::Type::kArray)) return false;
        const Value& right = *r.value;
        if (op == RelOp::kSubsetOf) {
          for (const Value& e : l.value->AsArray()) {
            if (!ListContains(right, ElementNode(e))) return false;
          }
          return true;
        }
        bool any = false;
        for (const Value& e : l.value->AsArray()) any = any || ListContains(right, ElementNode(e));
        return op == RelOp::kAnyOf ? any : !any;
      }
      case RelOp::kSize: {
        if (!r.is_number()) return false;
        int64_t expected = static_cast<int64_t>(r.value->AsDouble());
        if (l.is(Value::Type::kString)) return Utf16Length(l.value->AsString()) == expected;
        if (l.is(Value::Type::kArray))
          return static_cast<int64_t>(l.value->AsArray().size()) == expected;
        if (l.is(Value::Type::kObject)) return expected == -1;  // Jayway: not an array
        return false;
      }
      case RelOp::kEmpty: {
        if (!r.is(Value::Type::kBool)) return false;
        bool want = r.value->AsBool();
        if (l.is(Value::Type::kString)) return l.value->AsString().empty() == want;
        if (l.is(Value::Type::kArray)) return l.value->AsArray().empty() == want;
        if (l.is(Value::Type::kObject)) return l.value->AsObject().empty() == want;
        return false;
      }
      case RelOp::kContains:
        if (l.is(Value::Type::kString) && r.is(Value::Type::kString)) {
          return l.value->AsString().find(r.value->AsString()) != std::string::npos;
        }
        if (l.is(Value::Type::kArray)) {
          for (const Value& e : l.value->AsArray()) {
            if (NodeEquals(r, ElementNode(e))) return true;
          }
        }
        return false;
    }
    return false;
  }

  const Program& program_;
  const Value& root_;
};

struct MatchResources {
  pcre2_match_context* context = nullptr;
  pcre2_match_data* data = nullptr;
  MatchResources() {
    context = pcre2_match_context_create(nullptr);
    // Bound backtracking so a hostile pattern or input costs milliseconds, not
    // minutes; a match that hits the limit counts as no match.
    pcre2_set_match_limit(context, 1'000'000);
    pcre2_set_depth_limit(context, 10'000);
    data = pcre2_match_data_create(1, nullptr);
  }
  ~MatchResources() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
  }
};

}  // namespace

void CollectMatches(const Program& program, const StepList& list, const Value& start,
                    const Value& root, Array* out) {
  // Lenient never fails.
  (void)Evaluator(program, root).Collect(list, start, Mode::kLenient, out);
}

std::shared_ptr<const Regex> Regex::Compile(const std::string& pattern, const std::string& flags,
                                            std::string* error) {
  // Jayway PatternFlag letters, mapped to their PCRE2 equivalents.
  uint32_t options = PCRE2_UTF;
  for (char f : flags) {
    switch (f) {
      case 'i':
        options |= PCRE2_CASELESS;
        break;
      case 'm':
        options |= PCRE2_MULTILINE;
        break;
      case 's':
        options |= PCRE2_DOTALL;
        break;
      case 'x':
        options |= PCRE2_EXTENDED;
        break;
      case 'u':
      case 'U':
        options |= PCRE2_UCP;
        break;
      case 'd':
        break;  // UNIX_LINES: PCRE2's default newline is already \n
      default:
        *error = std::string("unknown regular expression flag '") + f + "'";
        return nullptr;
    }
  }
  int code_error = 0;
  PCRE2_SIZE code_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &code_error, &code_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code_error, message, sizeof(message));
    *error =
        "invalid regular expression /" + pattern + "/: " + reinterpret_cast<const char*>(message);
    return nullptr;
  }
  std::shared_ptr<Regex> regex(new Regex());
  regex->code_ = code;
  return regex;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::FullMatch(std::string_view input) const {
  thread_local MatchResources resources;
  int rc = pcre2_match(static_cast<pcre2_code*>(code_), reinterpret_cast<PCRE2_SPTR>(input.data()),
                       input.size(), 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, resources.data,
                       resources.context);
  return rc >= 0;
}

}  // namespace stepflow::asl::path_internal

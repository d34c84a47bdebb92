#include "stepflow/asl/path.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <utility>

#include "interner.h"
#include "member_key.h"
#include "path_internal.h"
#include "stepflow/asl/json.h"
#include "utf8.h"

namespace stepflow::asl {

using path_internal::Expr;
using path_internal::ExprKind;
using path_internal::Operand;
using path_internal::Program;
using path_internal::RelOp;
using path_internal::ResolveIndex;
using path_internal::SliceKind;
using path_internal::Step;
using path_internal::StepKind;
using path_internal::StepList;

// Path::Impl is private to Path; the helpers below work on this base.
// What evaluation reads comes first and the path's own steps are inline: a
// transition evaluates several paths of a model that is often out of cache.
struct PathData {
  Path::Root root = Path::Root::kInput;
  // Names and single indexes only: a reference path (AWS), usable by Assign.
  bool definite = true;
  StepList path;
  std::string text = "$";
  std::string variable;
  Program program;  // what the filters in `path` refer to

  const StepList& steps() const { return path; }
};

struct Path::Impl : PathData {};

namespace {

const PathData& DefaultData() {
  static const PathData kDefault;
  return kDefault;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsVariableChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }

// Characters of a dot-notation member name. Jayway accepts anything up to the
// next '.', '[' or '(' ; we also stop at characters that can only be a typo there
// (quotes, brackets, commas, blanks). Inside a filter a name also ends at the
// characters of operators, so `@.price<10` reads as `@.price < 10`.
bool IsNameChar(char c, bool in_filter) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;  // UTF-8 bytes of non-ASCII names
  if (u <= 0x20 || u == 0x7f) return false;
  switch (c) {
    case '.':
    case '[':
    case ']':
    case '(':
    case ')':
    case '\'':
    case '"':
    case ',':
      return false;
    case '<':
    case '>':
    case '=':
    case '!':
    case '~':
    case '&':
    case '|':
      return !in_filter;
    default:
      return true;
  }
}


// Recursive descent over the path text. Steps are read in a loop; only filters
// recurse (filter -> operand path -> filter), bounded by kMaxFilterDepth, and
// parentheses / `!` by kMaxExpressionDepth, so hostile text cannot overflow
// the stack.
class Parser {
 public:
  Parser(std::string_view text, Program* program) : t_(text), program_(program) {}

  bool ParsePath(PathData* impl) {
    while (pos_ < t_.size() && IsSpace(t_[pos_])) ++pos_;  // Jayway trims the path
    if (pos_ >= t_.size()) return Fail(pos_, "empty path; a path starts with '$'");
    if (t_[pos_] != '$') return Fail(pos_, "a path must start with '$'");
    ++pos_;
    if (pos_ < t_.size() && t_[pos_] == '$') {
      impl->root = Path::Root::kContext;
      ++pos_;
    } else if (pos_ < t_.size() && IsVariableChar(t_[pos_])) {
      impl->root = Path::Root::kVariable;
      size_t start = pos_;
      while (pos_ < t_.size() && IsVariableChar(t_[pos_])) ++pos_;
      impl->variable = std::string(t_.substr(start, pos_ - start));
    }
    StepList list;
    if (!ParseSteps(&list, /*in_filter=*/false)) return false;
    while (pos_ < t_.size() && IsSpace(t_[pos_])) ++pos_;
    if (pos_ < t_.size()) return Unexpected();
    impl->path = std::move(list);
    return true;
  }

  std::string error;

 private:
  bool Fail(size_t at, const std::string& what) {
    error = what + " at offset " + std::to_string(at);
    return false;
  }

  bool Unexpected() {
    if (pos_ >= t_.size()) return Fail(pos_, "unexpected end of path");
    return Fail(pos_, std::string("unexpected '") + t_[pos_] + "'");
  }

  bool AtEnd() const { return pos_ >= t_.size(); }
  char Peek() const { return pos_ < t_.size() ? t_[pos_] : '\0'; }
  void SkipSpaces() {
    while (pos_ < t_.size() && IsSpace(t_[pos_])) ++pos_;
  }
  bool LooksAt(std::string_view s) const { return t_.substr(pos_, s.size()) == s; }

  bool Expect(char c) {
    SkipSpaces();
    if (AtEnd()) return Fail(pos_, std::string("expected '") + c + "' but the path ended");
    if (t_[pos_] != c) {
      return Fail(pos_, std::string("expected '") + c + "' but found '" + t_[pos_] + "'");
    }
    ++pos_;
    return true;
  }

  // Steps until a character that cannot continue a path; the caller decides
  // whether that character is allowed there.
  bool ParseSteps(StepList* list, bool in_filter) {
    while (!AtEnd()) {
      char c = t_[pos_];
      if (c == '.') {
        size_t dot = pos_;
        bool scan = LooksAt("..");
        pos_ += scan ? 2 : 1;
        if (scan) {
          Step s;
          s.kind = StepKind::kScan;
          list->steps.push_back(std::move(s));
        }
        if (AtEnd() || (in_filter && !IsNameChar(Peek(), true) && Peek() != '*' && Peek() != '[')) {
          return Fail(dot, scan ? "a path must not end with '..'" : "a path must not end with '.'");
        }
        if (Peek() == '.') return Fail(pos_, "unexpected '.'");
        if (Peek() == '[') {
          if (!ParseBracket(list)) return false;
        } else if (Peek() == '*') {
          ++pos_;
          Step s;
          s.kind = StepKind::kWildcard;
          list->steps.push_back(std::move(s));
        } else {
          size_t start = pos_;
          while (!AtEnd() && IsNameChar(t_[pos_], in_filter)) ++pos_;
          if (pos_ == start) {
            if (IsSpace(Peek())) {
              return Fail(pos_, "use bracket notation ['my prop'] for a name with blanks");
            }
            return Unexpected();
          }
          if (Peek() == '(') {
            return Fail(start, "functions such as " + std::string(t_.substr(start, pos_ - start)) +
                                   "() are not supported");
          }
          Step s;
          s.kind = StepKind::kName;
          s.name = std::string(t_.substr(start, pos_ - start));
          list->steps.push_back(std::move(s));
        }
      } else if (c == '[') {
        if (!ParseBracket(list)) return false;
      } else {
        break;
      }
    }
    bool names_and_indexes = true;
    for (size_t i = 0; i < list->steps.size(); ++i) {
      StepKind k = list->steps[i].kind;
      bool single = k == StepKind::kName || k == StepKind::kIndex;
      bool merge = k == StepKind::kNames && i + 1 == list->steps.size();
      if (!single && !merge) names_and_indexes = false;
      if (single && list->definite_prefix == i) ++list->definite_prefix;
    }
    list->jayway_definite = names_and_indexes;
    return true;
  }

  bool ParseBracket(StepList* list) {
    size_t open = pos_;
    ++pos_;  // '['
    SkipSpaces();
    if (AtEnd()) return Fail(open, "unterminated '['");
    char c = t_[pos_];
    Step s;
    if (c == '?') {
      ++pos_;
      if (!Expect('(')) return false;
      if (++filter_depth_ > path_internal::kMaxFilterDepth) {
        return Fail(open, "filters nested more than " +
                              std::to_string(path_internal::kMaxFilterDepth) + " deep");
      }
      uint32_t expr;
      if (!ParseOr(&expr)) return false;
      --filter_depth_;
      if (!Expect(')')) return false;
      s.kind = StepKind::kFilter;
      s.filter = expr;
    } else if (c == '*') {
      ++pos_;
      s.kind = StepKind::kWildcard;
    } else if (c == '\'' || c == '"') {
      std::vector<std::string> names;
      for (;;) {
        std::string name;
        if (!ParseQuoted(/*unescape=*/false, &name)) return false;
        names.push_back(std::move(name));
        SkipSpaces();
        if (Peek() != ',') break;
        ++pos_;
        SkipSpaces();
        if (Peek() != '\'' && Peek() != '"') {
          return AtEnd() ? Fail(open, "unterminated '['")
                         : Fail(pos_, "expected a quoted name after ','");
        }
      }
      if (names.size() == 1) {
        s.kind = StepKind::kName;
        s.name = std::move(names[0]);
      } else {
        s.kind = StepKind::kNames;
        s.names = std::move(names);
      }
    } else if (IsDigit(c) || c == '-' || c == ':') {
      if (!ParseIndexes(&s)) return false;
    } else if (c == ']') {
      return Fail(pos_, "empty '[]'");
    } else {
      return Unexpected();
    }
    SkipSpaces();
    if (AtEnd()) return Fail(open, "unterminated '['");
    if (t_[pos_] != ']')
      return Fail(pos_, std::string("expected ']' but found '") + t_[pos_] + "'");
    ++pos_;
    list->steps.push_back(std::move(s));
    return true;
  }

  bool ParseInt(int32_t* out) {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    size_t digits = pos_;
    while (!AtEnd() && IsDigit(t_[pos_])) ++pos_;
    if (pos_ == digits) return Fail(digits, "expected a number");
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t_.data() + start, t_.data() + pos_, v);
    if (ec != std::errc() || v < INT32_MIN || v > INT32_MAX) {
      return Fail(start, "index out of range");
    }
    *out = static_cast<int32_t>(v);
    return true;
  }

  // [3]  [-1]  [0,2]  [1:3]  [-2:]  [:2]
  bool ParseIndexes(Step* s) {
    bool has_from = false;
    int32_t from = 0;
    if (Peek() != ':') {
      if (!ParseInt(&from)) return false;
      has_from = true;
    }
    SkipSpaces();
    if (Peek() == ':') {
      size_t colon = pos_;
      ++pos_;
      SkipSpaces();
      bool has_to = false;
      int32_t to = 0;
      if (IsDigit(Peek()) || Peek() == '-') {
        if (!ParseInt(&to)) return false;
        has_to = true;
      }
      SkipSpaces();
      if (Peek() == ':') return Fail(pos_, "slice steps ([start:end:step]) are not supported");
      if (!has_from && !has_to) return Fail(colon, "a slice needs a start or an end");
      s->kind = StepKind::kSlice;
      s->index = from;
      s->to = to;
      s->slice = !has_to ? SliceKind::kFrom : (has_from ? SliceKind::kBetween : SliceKind::kTo);
      return true;
    }
    std::vector<int32_t> indexes{from};
    while (Peek() == ',') {
      ++pos_;
      SkipSpaces();
      int32_t i;
      if (!ParseInt(&i)) return false;
      indexes.push_back(i);
      SkipSpaces();
    }
    if (indexes.size() == 1) {
      s->kind = StepKind::kIndex;
      s->index = from;
    } else {
      s->kind = StepKind::kIndexes;
      s->indexes = std::move(indexes);
    }
    return true;
  }

  // A '...' or "..." string. A backslash always protects the next character
  // from ending the string. With `unescape` (filter literals) escapes are decoded
  // as Jayway's Utils.unescape does, an unknown one standing for the character
  // itself; without it (bracket names) the text is kept verbatim, backslashes
  // included: AWS reads `$['Test\\""Name"']` as the member `Test\""Name"`.
  bool ParseQuoted(bool unescape, std::string* out) {
    size_t start = pos_;
    char quote = t_[pos_++];
    for (;;) {
      if (AtEnd()) return Fail(start, "unterminated string");
      char c = t_[pos_++];
      if (c == quote) return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (AtEnd()) return Fail(start, "unterminated string");
      char e = t_[pos_++];
      if (!unescape) {
        out->push_back('\\');
        out->push_back(e);
        continue;
      }
      switch (e) {
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && LooksAt("\\u")) {
            size_t save = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (!ParseHex4(&low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          out->push_back(e);
          break;
      }
    }
  }

  bool ParseHex4(uint32_t* out) {
    if (pos_ + 4 > t_.size()) return Fail(pos_, "expected four hex digits after \\u");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = t_[pos_ + i];
      v <<= 4;
      if (IsDigit(c))
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return Fail(pos_, "expected four hex digits after \\u");
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  uint32_t AddExpr(Expr e) {
    program_->exprs.push_back(std::move(e));
    return static_cast<uint32_t>(program_->exprs.size() - 1);
  }

  // Jayway FilterCompiler: or := and ('||' and)* ; and := unary ('&&' unary)* ;
  // unary := '!' unary | '(' or ')' | relational.
  bool ParseOr(uint32_t* out) {
    std::vector<uint32_t> kids;
    for (;;) {
      uint32_t e;
      if (!ParseAnd(&e)) return false;
      kids.push_back(e);
      SkipSpaces();
      if (!LooksAt("||")) break;
      pos_ += 2;
    }
    if (kids.size() == 1) {
      *out = kids[0];
    } else {
      Expr e;
      e.kind = ExprKind::kOr;
      e.children = std::move(kids);
      *out = AddExpr(std::move(e));
    }
    return true;
  }

  bool ParseAnd(uint32_t* out) {
    std::vector<uint32_t> kids;
    for (;;) {
      uint32_t e;
      if (!ParseUnary(&e)) return false;
      kids.push_back(e);
      SkipSpaces();
      if (!LooksAt("&&")) break;
      pos_ += 2;
    }
    if (kids.size() == 1) {
      *out = kids[0];
    } else {
      Expr e;
      e.kind = ExprKind::kAnd;
      e.children = std::move(kids);
      *out = AddExpr(std::move(e));
    }
    return true;
  }

  bool EnterExpression(size_t at) {
    if (++expr_depth_ > path_internal::kMaxExpressionDepth) {
      return Fail(at, "filter expression nested more than " +
                          std::to_string(path_internal::kMaxExpressionDepth) + " deep");
    }
    return true;
  }

  bool ParseUnary(uint32_t* out) {
    SkipSpaces();
    if (AtEnd()) return Fail(pos_, "expected a filter expression");
    char c = t_[pos_];
    if (c == '!') {
      size_t look = pos_ + 1;
      while (look < t_.size() && IsSpace(t_[look])) ++look;
      // `!@.a` is a path that must not exist; `!(...)` negates an expression.
      if (look >= t_.size() || (t_[look] != '@' && t_[look] != '$')) {
        size_t at = pos_++;
        if (!EnterExpression(at)) return false;
        uint32_t kid;
        if (!ParseUnary(&kid)) return false;
        --expr_depth_;
        Expr e;
        e.kind = ExprKind::kNot;
        e.children = {kid};
        *out = AddExpr(std::move(e));
        return true;
      }
    } else if (c == '(') {
      size_t at = pos_++;
      if (!EnterExpression(at)) return false;
      if (!ParseOr(out)) return false;
      --expr_depth_;
      return Expect(')');
    }
    return ParseRelational(out);
  }

  bool ParseRelational(uint32_t* out) {
    size_t start = pos_;
    Expr e;
    bool negated = false;
    if (!ParseOperand(&e.left, &negated)) return false;
    SkipSpaces();
    bool has_op = false;
    if (!ParseOperator(&e.op, &has_op)) return false;
    if (!has_op) {
      if (e.left.kind != Operand::Kind::kPath) {
        return Fail(start, "expected a comparison after a literal");
      }
      e.kind = ExprKind::kExists;
      e.should_exist = !negated;
    } else {
      bool ignored = false;  // Jayway ignores '!' before a compared path
      e.kind = ExprKind::kCompare;
      if (!ParseOperand(&e.right, &ignored)) return false;
    }
    *out = AddExpr(std::move(e));
    return true;
  }

  bool ParseOperator(RelOp* op, bool* found) {
    *found = false;
    if (AtEnd()) return true;
    char c = t_[pos_];
    if (c == ')' || c == '&' || c == '|') return true;
    size_t start = pos_;
    if (IsLetter(c)) {
      while (!AtEnd() && IsLetter(t_[pos_])) ++pos_;
      std::string word(t_.substr(start, pos_ - start));
      for (char& ch : word) ch = static_cast<char>(ch | 0x20);  // Jayway ignores case
      static const std::pair<const char*, RelOp> kWords[] = {
          {"in", RelOp::kIn},       {"nin", RelOp::kNin},           {"subsetof", RelOp::kSubsetOf},
          {"anyof", RelOp::kAnyOf}, {"noneof", RelOp::kNoneOf},     {"size", RelOp::kSize},
          {"empty", RelOp::kEmpty}, {"contains", RelOp::kContains},
      };
      for (const auto& [name, value] : kWords) {
        if (word == name) {
          *op = value;
          *found = true;
          return true;
        }
      }
      return Fail(start, "unknown operator '" + word + "'");
    }
    while (!AtEnd() && std::string_view("<>=!~").find(t_[pos_]) != std::string_view::npos) ++pos_;
    std::string_view sym = t_.substr(start, pos_ - start);
    static const std::pair<std::string_view, RelOp> kSymbols[] = {
        {"==", RelOp::kEq},        {"!=", RelOp::kNe}, {"===", RelOp::kStrictEq},
        {"!==", RelOp::kStrictNe}, {"<", RelOp::kLt},  {"<=", RelOp::kLe},
        {">", RelOp::kGt},         {">=", RelOp::kGe}, {"=~", RelOp::kRegex},
    };
    for (const auto& [name, value] : kSymbols) {
      if (sym == name) {
        *op = value;
        *found = true;
        return true;
      }
    }
    if (sym.empty()) return Unexpected();
    return Fail(start, "unknown operator '" + std::string(sym) + "'");
  }

  bool ParseOperand(Operand* o, bool* negated) {
    SkipSpaces();
    if (AtEnd()) return Fail(pos_, "expected a value in the filter");
    if (t_[pos_] == '!') {
      ++pos_;
      SkipSpaces();
      if (Peek() != '@' && Peek() != '$') return Fail(pos_, "expected '@' or '$' after '!'");
      *negated = true;
    }
    char c = t_[pos_];
    if (c == '@' || c == '$') {
      size_t start = pos_++;
      StepList list;
      list.relative = c == '@';
      if (c == '$' && (Peek() == '$' || IsVariableChar(Peek()))) {
        return Fail(start, "only '@' and '$' paths are supported inside a filter");
      }
      if (!ParseSteps(&list, /*in_filter=*/true)) return false;
      o->kind = Operand::Kind::kPath;
      program_->paths.push_back(std::move(list));
      o->index = static_cast<uint32_t>(program_->paths.size() - 1);
      return true;
    }
    o->kind = Operand::Kind::kLiteral;
    if (c == '\'' || c == '"') {
      std::string s;
      if (!ParseQuoted(/*unescape=*/true, &s)) return false;
      o->literal = Value::String(std::move(s));
      return true;
    }
    if (IsDigit(c) || c == '-') return ParseNumber(&o->literal);
    if (IsLetter(c)) {
      size_t start = pos_;
      while (!AtEnd() && IsLetter(t_[pos_])) ++pos_;
      std::string_view word = t_.substr(start, pos_ - start);
      if (word == "true")
        o->literal = Value::Bool(true);
      else if (word == "false")
        o->literal = Value::Bool(false);
      else if (word == "null")
        o->literal = Value();
      else
        return Fail(start, "unexpected '" + std::string(word) + "' in filter");
      return true;
    }
    if (c == '/') return ParsePattern(o);
    if (c == '[' || c == '{') return ParseJsonLiteral(&o->literal);
    return Unexpected();
  }

  // Jayway reads [0-9.eE+-]+ and hands it to BigDecimal.
  bool ParseNumber(Value* out) {
    size_t start = pos_;
    bool integral = true;
    while (!AtEnd()) {
      char c = t_[pos_];
      if (IsDigit(c) || c == '-' || c == '+') {
      } else if (c == '.' || c == 'e' || c == 'E') {
        integral = false;
      } else {
        break;
      }
      ++pos_;
    }
    std::string text(t_.substr(start, pos_ - start));
    if (integral) {
      int64_t v;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size()) {
        *out = Value::Int(v);
        return true;
      }
    }
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !IsDigit(text.back())) {
      return Fail(start, "invalid number '" + text + "'");
    }
    *out = Value::Number(d);
    return true;
  }

  bool ParsePattern(Operand* o) {
    size_t start = pos_++;
    std::string pattern;
    for (;;) {
      if (AtEnd()) return Fail(start, "unterminated regular expression");
      char c = t_[pos_++];
      if (c == '/') break;
      if (c == '\\' && !AtEnd()) {
        // Keep the escape for the regex engine, except for an escaped '/'.
        if (t_[pos_] != '/') pattern.push_back('\\');
        c = t_[pos_++];
      }
      pattern.push_back(c);
    }
    size_t flags_start = pos_;
    while (!AtEnd() && IsLetter(t_[pos_])) ++pos_;
    std::string flags(t_.substr(flags_start, pos_ - flags_start));
    std::string why;
    auto regex = path_internal::Regex::Compile(pattern, flags, &why);
    if (!regex) return Fail(start, why);
    program_->regexes.push_back(std::move(regex));
    o->kind = Operand::Kind::kPattern;
    o->index = static_cast<uint32_t>(program_->regexes.size() - 1);
    return true;
  }

  // A JSON array or object literal (`@.a in ['x','y']`); Jayway's json-smart
  // accepts single-quoted strings, so those are rewritten to JSON before
  // ParseJson (which never recurses) reads it.
  bool ParseJsonLiteral(Value* out) {
    size_t start = pos_;
    std::string json;
    int depth = 0;
    while (!AtEnd()) {
      char c = t_[pos_];
      if (c == '\'' || c == '"') {
        std::string s;
        if (!ParseQuoted(/*unescape=*/true, &s)) return false;
        AppendJson(Value::String(std::move(s)), &json);
        continue;
      }
      ++pos_;
      json.push_back(c);
      if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        if (--depth == 0) break;
      }
    }
    if (depth != 0) return Fail(start, "unterminated JSON literal");
    JsonError e;
    JsonLimits limits;
    limits.max_depth = path_internal::kMaxFilterDepth;
    if (!ParseJson(json, out, &e, limits)) {
      return Fail(start, "invalid JSON literal: " + e.message);
    }
    return true;
  }

  std::string_view t_;
  size_t pos_ = 0;
  Program* program_;
  int filter_depth_ = 0;
  int expr_depth_ = 0;
};

void AppendRoot(const PathData& impl, std::string* out) {
  out->push_back('$');
  if (impl.root == Path::Root::kVariable) out->append(impl.variable);
}

// "$['a'][0]": the path through its first `count` steps, as Jayway prints it.
std::string RenderPrefix(const PathData& impl, size_t count) {
  std::string out;
  AppendRoot(impl, &out);
  for (size_t i = 0; i < count; ++i) {
    path_internal::AppendStepFragment(impl.steps().steps[i], &out);
  }
  return out;
}

// Jayway prints the model with Object.toString(): strings bare, the rest as JSON.
std::string ContextText(const Value& v) { return v.is_string() ? v.AsString() : ToJson(v); }

std::string NotAnObject(const PathData& impl, size_t step, const Value& found) {
  std::string fragment;
  path_internal::AppendStepFragment(impl.steps().steps[step], &fragment);
  return "Expected to find an object with property " + fragment + " in path " +
         RenderPrefix(impl, step) + " but found '" + path_internal::JavaClassName(found) + "'";
}

// Jayway's ArrayPathToken.checkArrayModel, for a definite path.
std::string NotAnArray(const PathData& impl, size_t step, const Value& found) {
  if (found.is_null()) return "The path " + RenderPrefix(impl, step) + " is null";
  std::string rest;
  const auto& steps = impl.steps().steps;
  for (size_t i = step; i < steps.size(); ++i) {
    path_internal::AppendStepFragment(steps[i], &rest);
  }
  return "Filter: " + rest +
         " can only be applied to arrays. Current context is: " + ContextText(found);
}

// Jayway evaluation of a definite path: every step names one value, and each
// kind of miss has its own PathNotFoundException text, which AWS quotes.
bool EvaluateDefinite(const PathData& impl, const Value& root, Value* out, std::string* error) {
  const auto& steps = impl.steps().steps;
  const Value* cur = &root;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const bool leaf = i + 1 == steps.size();
    if (s.kind == StepKind::kName) {
      if (!cur->is_object()) {
        *error = NotAnObject(impl, i, *cur);
        return false;
      }
      const Value* next = cur->Find(s.name);
      if (next == nullptr) {
        *error = leaf ? "No results for path: " + RenderPrefix(impl, steps.size())
                      : "Missing property in path " + RenderPrefix(impl, i + 1);
        return false;
      }
      cur = next;
    } else if (s.kind == StepKind::kIndex) {
      if (!cur->is_array()) {
        *error = NotAnArray(impl, i, *cur);
        return false;
      }
      size_t index;
      if (!ResolveIndex(*cur, s.index, &index)) {
        *error = "No results for path: " + RenderPrefix(impl, steps.size());
        return false;
      }
      cur = &cur->AsArray()[index];
    } else {  // kNames, last step: Jayway merges the named members into one object
      if (!cur->is_object()) {
        *error = NotAnObject(impl, i, *cur);
        return false;
      }
      Object merged;
      for (const std::string& name : s.names) {
        const Value* v = cur->Find(name);
        if (v == nullptr) continue;
        bool seen = false;
        for (const Member& m : merged) seen = seen || m.first == name;
        if (!seen) merged.emplace_back(name, *v);
      }
      *out = Value::MakeObject(std::move(merged));
      return true;
    }
  }
  *out = *cur;
  return true;
}

// `container` with the member or element `step` names set to `child`; a new
// member goes last, an existing one keeps its place.
Value WithChild(const Value& container, const Step& step, size_t index, Value child) {
  if (step.kind == StepKind::kIndex) {
    Array items = container.AsArray();
    items[index] = std::move(child);
    return Value::MakeArray(std::move(items));
  }
  Object members = container.AsObject();
  // Value::Find returns the last duplicate, so replace that one.
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (SameMemberName(it->first, step.name)) {
      it->second = std::move(child);
      return Value::MakeObject(std::move(members));
    }
  }
  members.emplace_back(step.name, std::move(child));
  return Value::MakeObject(std::move(members));
}

}  // namespace

namespace {
// Deduces Path::Impl (private) from `impl_`; a default or moved-from Path reads as `$`.
template <typename ImplPtr>
const PathData& DataOf(const ImplPtr& impl) {
  return impl ? static_cast<const PathData&>(*impl) : DefaultData();
}
}  // namespace

Path::Path() = default;
Path::~Path() = default;
Path::Path(const Path& other) = default;
Path& Path::operator=(const Path& other) = default;
Path::Path(Path&& other) noexcept = default;
Path& Path::operator=(Path&& other) noexcept = default;

bool Path::Parse(std::string_view text, Path* out, std::string* error) {
  static Interner<Impl> interned;
  std::shared_ptr<const Impl> parsed = interned.Get(text, [&]() -> std::shared_ptr<const Impl> {
    auto impl = std::make_shared<Impl>();
    Parser parser(text, &impl->program);
    if (!parser.ParsePath(impl.get())) {
      *error = parser.error;
      return nullptr;
    }
    impl->text = std::string(text);
    for (const Step& s : impl->steps().steps) {
      if (s.kind != StepKind::kName && s.kind != StepKind::kIndex) impl->definite = false;
    }
    return impl;
  });
  if (parsed == nullptr) return false;
  out->impl_ = std::move(parsed);
  return true;
}

const std::string& Path::text() const { return DataOf(impl_).text; }
Path::Root Path::root() const { return DataOf(impl_).root; }
const std::string& Path::variable_name() const { return DataOf(impl_).variable; }
bool Path::is_definite() const { return DataOf(impl_).definite; }
bool Path::is_root_only() const { return DataOf(impl_).steps().steps.empty(); }

std::string Path::BracketNotation() const {
  const PathData& impl = DataOf(impl_);
  return RenderPrefix(impl, impl.steps().steps.size());
}

bool Path::Evaluate(const Value& root, Value* out, std::string* error) const {
  const PathData& impl = DataOf(impl_);
  if (impl.steps().jayway_definite) return EvaluateDefinite(impl, root, out, error);
  Array matches;
  path_internal::CollectMatches(impl.program, impl.steps(), root, root, &matches);
  *out = Value::MakeArray(std::move(matches));
  return true;
}

bool Path::Assign(const Value& root, const Value& value, Value* out, std::string* error) const {
  const PathData& impl = DataOf(impl_);
  if (!impl.definite) {
    *error = "Cannot assign to " + impl.text +
             ": only a path of member names and single indexes can be assigned";
    return false;
  }
  const auto& steps = impl.steps().steps;
  // Walk down recording the spine; `found` steps exist, the rest are created.
  // ResultPath runs on every transition and paths are short, so the spine is
  // on the stack unless the path is long.
  struct Link {
    const Value* container = nullptr;
    size_t index = 0;  // kIndex steps: the element's position
  };
  constexpr size_t kOnStack = 8;
  std::array<Link, kOnStack> on_stack;
  std::vector<Link> on_heap(steps.size() > kOnStack ? steps.size() : 0);
  Link* spine = steps.size() > kOnStack ? on_heap.data() : on_stack.data();
  size_t spine_size = 0;
  const Value* cur = &root;
  size_t found = 0;
  for (; found < steps.size(); ++found) {
    const Step& s = steps[found];
    spine[spine_size++].container = cur;
    if (s.kind == StepKind::kName) {
      if (!cur->is_object()) {
        *error = NotAnObject(impl, found, *cur);
        return false;
      }
      const Value* next = cur->Find(s.name);
      if (next == nullptr) break;
      cur = next;
    } else {
      if (!cur->is_array()) {
        *error = "Expected to find an array with index [" + std::to_string(s.index) + "] in path " +
                 RenderPrefix(impl, found) + " but found '" + path_internal::JavaClassName(*cur) +
                 "'";
        return false;
      }
      if (!ResolveIndex(*cur, s.index, &spine[found].index)) {
        *error = "Index [" + std::to_string(s.index) + "] is out of bounds in path " +
                 RenderPrefix(impl, found) + " (length " + std::to_string(cur->AsArray().size()) +
                 ")";
        return false;
      }
      cur = &cur->AsArray()[spine[found].index];
    }
  }
  Value built = value;
  // Steps after the first missing member become new objects, innermost first.
  for (size_t k = steps.size(); found < steps.size() && k-- > found + 1;) {
    if (steps[k].kind != StepKind::kName) {
      *error = "Cannot create array element [" + std::to_string(steps[k].index) + "] in path " +
               RenderPrefix(impl, k) + ": the array does not exist";
      return false;
    }
    Object members;
    members.emplace_back(steps[k].name, std::move(built));
    built = Value::MakeObject(std::move(members));
  }
  for (size_t k = spine_size; k-- > 0;) {
    built = WithChild(*spine[k].container, steps[k], spine[k].index, std::move(built));
  }
  *out = std::move(built);
  return true;
}

namespace path_internal {

void AppendStepFragment(const Step& step, std::string* out) {
  switch (step.kind) {
    case StepKind::kName:
      out->append("['").append(step.name).append("']");
      break;
    case StepKind::kNames:
      out->push_back('[');
      for (size_t i = 0; i < step.names.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append("'").append(step.names[i]).append("'");
      }
      out->push_back(']');
      break;
    case StepKind::kIndex:
      out->append("[").append(std::to_string(step.index)).append("]");
      break;
    case StepKind::kIndexes:
      out->push_back('[');
      for (size_t i = 0; i < step.indexes.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(std::to_string(step.indexes[i]));
      }
      out->push_back(']');
      break;
    case StepKind::kSlice:
      out->push_back('[');
      if (step.slice != SliceKind::kTo) out->append(std::to_string(step.index));
      out->push_back(':');
      if (step.slice != SliceKind::kFrom) out->append(std::to_string(step.to));
      out->push_back(']');
      break;
    case StepKind::kWildcard:
      out->append("[*]");
      break;
    case StepKind::kFilter:
      out->append("[?]");
      break;
    case StepKind::kScan:
      out->append("..");
      break;
  }
}

const char* JavaClassName(const Value& value) {
  switch (value.type()) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBool:
      return "java.lang.Boolean";
    case Value::Type::kInt:
      return value.AsInt() >= INT32_MIN && value.AsInt() <= INT32_MAX ? "java.lang.Integer"
                                                                      : "java.lang.Long";
    case Value::Type::kDouble:
      return "java.lang.Double";
    case Value::Type::kString:
      return "java.lang.String";
    case Value::Type::kArray:
      return "net.minidev.json.JSONArray";
    case Value::Type::kObject:
      return "net.minidev.json.JSONObject";
  }
  return "null";
}

}  // namespace path_internal

}  // namespace stepflow::asl

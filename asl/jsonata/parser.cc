// Tokenizer, Pratt parser and AST post-processing for JSONata 2.0.6. The
// structure follows jsonata-js src/parser.js so that error codes and the shape
// of paths, stages, tuple steps and parent slots match the reference.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "jsonata/ast.h"
#include "jsonata/eval.h"

namespace stepflow::asl::jsonata::internal {

namespace {
thread_local uintptr_t stack_base = 0;
thread_local size_t stack_budget = 0;
}  // namespace

StackScope::StackScope(size_t budget) : saved_base_(stack_base), saved_budget_(stack_budget) {
  char marker;
  uintptr_t here = reinterpret_cast<uintptr_t>(&marker);
  if (stack_base == 0) {
    stack_base = here;
    stack_budget = budget;
  } else {
    // nested scope ($eval, host calls): never widen the outer budget
    uintptr_t used = stack_base > here ? stack_base - here : here - stack_base;
    size_t remaining = used < stack_budget ? stack_budget - used : 0;
    stack_base = here;
    stack_budget = std::min(budget, remaining);
  }
}

StackScope::~StackScope() {
  stack_base = saved_base_;
  stack_budget = saved_budget_;
}

void CheckStack() {
  if (stack_base == 0) return;
  char marker;
  uintptr_t here = reinterpret_cast<uintptr_t>(&marker);
  uintptr_t used = stack_base > here ? stack_base - here : here - stack_base;
  if (used > stack_budget) {
    Fail("U1001", "Stack overflow error: the expression or its data is nested too deeply");
  }
}

void Fail(const char* code, std::string message, int position, std::string token) {
  JError e;
  e.code = code;
  e.message = std::move(message);
  e.position = position;
  e.token = std::move(token);
  throw e;
}

namespace {

const std::map<std::string, int>& Operators() {
  static const std::map<std::string, int> ops = {
      {".", 75},   {"[", 80},  {"]", 0},   {"{", 70},  {"}", 0},   {"(", 80},
      {")", 0},    {",", 0},   {"@", 80},  {"#", 80},  {";", 80},  {":", 80},
      {"?", 20},   {"+", 50},  {"-", 50},  {"*", 60},  {"/", 60},  {"%", 60},
      {"|", 20},   {"=", 40},  {"<", 40},  {">", 40},  {"^", 40},  {"**", 60},
      {"..", 20},  {":=", 10}, {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40},
      {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50},  {"!", 0},   {"~", 0}};
  return ops;
}

bool IsOperatorChar(char c) {
  return std::strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != nullptr && c != 0;
}

enum class TokType { kOperator, kName, kVariable, kString, kNumber, kValue, kRegex, kEnd };

struct Token {
  TokType type = TokType::kEnd;
  std::string value;
  double num = 0;
  Val literal;
  std::string flags;
  int position = 0;
};

}  // namespace

namespace {

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  // Returns false at end of input.
  bool Next(bool infix, Token* tok) {
    const size_t length = src_.size();
    if (pos_ >= length) return false;
    char c = src_[pos_];
    while (pos_ < length && std::strchr(" \t\n\r\v", c) && c != 0) {
      pos_++;
      c = pos_ < length ? src_[pos_] : 0;
    }
    // comments
    if (c == '/' && pos_ + 1 < length && src_[pos_ + 1] == '*') {
      size_t start = pos_;
      pos_ += 2;
      size_t end = src_.find("*/", pos_);
      if (end == std::string_view::npos) {
        pos_ = start;
        Fail("S0106", "Comment has no closing tag", static_cast<int>(start));
      }
      pos_ = end + 2;
      return Next(infix, tok);
    }
    if (pos_ >= length) return false;
    tok->position = static_cast<int>(pos_);
    if (!infix && c == '/') {
      pos_++;
      return ScanRegex(tok);
    }
    auto two = [&](const char* op) {
      return pos_ + 1 < length && src_[pos_] == op[0] && src_[pos_ + 1] == op[1];
    };
    for (const char* op : {"..", ":=", "!=", ">=", "<=", "**", "~>"}) {
      if (two(op)) {
        pos_ += 2;
        tok->type = TokType::kOperator;
        tok->value = op;
        return true;
      }
    }
    if (IsOperatorChar(c)) {
      pos_++;
      tok->type = TokType::kOperator;
      tok->value = std::string(1, c);
      return true;
    }
    if (c == '"' || c == '\'') {
      char quote = c;
      pos_++;
      std::string s;
      while (pos_ < length) {
        c = src_[pos_];
        if (c == '\\') {
          pos_++;
          if (pos_ >= length) break;
          c = src_[pos_];
          switch (c) {
            case '"':
              s += '"';
              break;
            case '\\':
              s += '\\';
              break;
            case '/':
              s += '/';
              break;
            case 'b':
              s += '\b';
              break;
            case 'f':
              s += '\f';
              break;
            case 'n':
              s += '\n';
              break;
            case 'r':
              s += '\r';
              break;
            case 't':
              s += '\t';
              break;
            case 'u': {
              auto hex4 = [&](size_t at, uint32_t* out) {
                if (at + 4 > length) return false;
                uint32_t v = 0;
                for (size_t i = at; i < at + 4; i++) {
                  char h = src_[i];
                  v <<= 4;
                  if (h >= '0' && h <= '9')
                    v |= h - '0';
                  else if (h >= 'a' && h <= 'f')
                    v |= h - 'a' + 10;
                  else if (h >= 'A' && h <= 'F')
                    v |= h - 'A' + 10;
                  else
                    return false;
                }
                *out = v;
                return true;
              };
              uint32_t cp;
              if (!hex4(pos_ + 1, &cp)) {
                Fail("S0104", "The escape sequence \\u must be followed by 4 hex digits",
                     static_cast<int>(pos_));
              }
              pos_ += 4;
              if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 6 < length + 0 && src_[pos_ + 1] == '\\' &&
                  src_[pos_ + 2] == 'u') {
                uint32_t lo;
                if (hex4(pos_ + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                  cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                  pos_ += 6;
                }
              }
              AppendUtf8(&s, cp);
              break;
            }
            default:
              Fail("S0103", "Unsupported escape sequence", static_cast<int>(pos_),
                   std::string(1, c));
          }
        } else if (c == quote) {
          pos_++;
          tok->type = TokType::kString;
          tok->value = s;
          return true;
        } else {
          s += c;
        }
        pos_++;
      }
      Fail("S0101", "String literal must be terminated by a matching quote",
           static_cast<int>(pos_));
    }
    // numbers
    if (c >= '0' && c <= '9') {
      size_t p = pos_;
      if (src_[p] == '0') {
        p++;
      } else {
        while (p < length && src_[p] >= '0' && src_[p] <= '9') p++;
      }
      if (p + 1 < length && src_[p] == '.' && src_[p + 1] >= '0' && src_[p + 1] <= '9') {
        p++;
        while (p < length && src_[p] >= '0' && src_[p] <= '9') p++;
      }
      if (p < length && (src_[p] == 'e' || src_[p] == 'E')) {
        size_t q = p + 1;
        if (q < length && (src_[q] == '+' || src_[q] == '-')) q++;
        if (q < length && src_[q] >= '0' && src_[q] <= '9') {
          while (q < length && src_[q] >= '0' && src_[q] <= '9') q++;
          p = q;
        }
      }
      std::string text(src_.substr(pos_, p - pos_));
      double d = std::strtod(text.c_str(), nullptr);
      if (!std::isfinite(d)) {
        Fail("S0102", "Number out of range: " + text, static_cast<int>(pos_), text);
      }
      pos_ = p;
      tok->type = TokType::kNumber;
      tok->num = d;
      tok->value = text;
      return true;
    }
    if (c == '`') {
      pos_++;
      size_t end = src_.find('`', pos_);
      if (end == std::string_view::npos) {
        pos_ = length;
        Fail("S0105", "Quoted property name must be terminated with a backquote (`)",
             static_cast<int>(length));
      }
      tok->type = TokType::kName;
      tok->value = std::string(src_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return true;
    }
    size_t i = pos_;
    while (i < length && !std::strchr(" \t\n\r\v", src_[i]) && !IsOperatorChar(src_[i])) i++;
    if (src_[pos_] == '$') {
      tok->type = TokType::kVariable;
      tok->value = std::string(src_.substr(pos_ + 1, i - pos_ - 1));
      pos_ = i;
      return true;
    }
    std::string name(src_.substr(pos_, i - pos_));
    pos_ = i;
    if (name == "or" || name == "in" || name == "and") {
      tok->type = TokType::kOperator;
      tok->value = name;
    } else if (name == "true" || name == "false") {
      tok->type = TokType::kValue;
      tok->literal = Val::Bool(name == "true");
      tok->value = name;
    } else if (name == "null") {
      tok->type = TokType::kValue;
      tok->literal = Val::Null();
      tok->value = name;
    } else {
      if (pos_ == length && name.empty()) return false;
      tok->type = TokType::kName;
      tok->value = name;
    }
    return true;
  }

  size_t pos() const { return pos_; }

 private:
  bool ScanRegex(Token* tok) {
    size_t start = pos_;
    int depth = 0;
    const size_t length = src_.size();
    auto is_closing = [&](size_t p) {
      if (src_[p] == '/' && depth == 0) {
        size_t bs = 0;
        while (p >= bs + 1 && src_[p - (bs + 1)] == '\\') bs++;
        if (bs % 2 == 0) return true;
      }
      return false;
    };
    while (pos_ < length) {
      char c = src_[pos_];
      if (is_closing(pos_)) {
        std::string pattern(src_.substr(start, pos_ - start));
        if (pattern.empty()) Fail("S0301", "Empty regular expressions are not allowed", pos_);
        pos_++;
        size_t fstart = pos_;
        while (pos_ < length && (src_[pos_] == 'i' || src_[pos_] == 'm')) pos_++;
        tok->type = TokType::kRegex;
        tok->value = pattern;
        tok->flags = std::string(src_.substr(fstart, pos_ - fstart));
        return true;
      }
      char prev = pos_ > 0 ? src_[pos_ - 1] : 0;
      if ((c == '(' || c == '[' || c == '{') && prev != '\\') depth++;
      if ((c == ')' || c == ']' || c == '}') && prev != '\\') depth--;
      pos_++;
    }
    Fail("S0302", "No terminating / in regular expression", static_cast<int>(pos_));
  }

  std::string_view src_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------- parser

// The symbol a token stands for: "(end)", "(name)", "(literal)", "(regex)" or
// the operator text.
struct PNode {
  std::string id;
  TokType type = TokType::kEnd;
  std::string value;
  Token tok;
  int lbp = 0;
  int position = 0;
};

class Parser {
 public:
  Parser(std::string_view src, const ParseLimits& limits)
      : src_(src), lexer_(src), limits_(limits) {}

  NodeP Parse() {
    StackScope scope(2 * 1024 * 1024);
    Advance(nullptr, false);
    NodeP ast = Expression(0);
    if (node_.id != "(end)")
      Fail("S0201", "Syntax error: " + node_.value, node_.position, node_.value);
    ast = Process(ast);
    if (ast->type == NT::kParent || ast->has_seeking_parent) {
      Fail("S0217", "The object representing the 'parent' cannot be derived from this expression",
           ast->position);
    }
    return ast;
  }

 private:
  static int BindingPower(const std::string& id) {
    auto it = Operators().find(id);
    return it == Operators().end() ? 0 : it->second;
  }

  void Advance(const char* id, bool infix) {
    if (id && node_.id != id) {
      const char* code = node_.id == "(end)" ? "S0203" : "S0202";
      Fail(code, std::string("Expected ") + id + ", got " + node_.value, node_.position,
           node_.value);
    }
    Token tok;
    if (!lexer_.Next(infix, &tok)) {
      node_ = PNode();
      node_.id = "(end)";
      node_.value = "(end)";
      node_.position = static_cast<int>(src_.size());
      return;
    }
    PNode n;
    n.type = tok.type;
    n.value = tok.value;
    n.position = tok.position;
    switch (tok.type) {
      case TokType::kName:
      case TokType::kVariable:
        n.id = "(name)";
        break;
      case TokType::kOperator:
        if (!Operators().count(tok.value) || tok.value == "!" || tok.value == "~") {
          Fail("S0204", "Unknown operator: " + tok.value, tok.position, tok.value);
        }
        n.id = tok.value;
        if (n.id == "]" || n.id == "}" || n.id == ")" || n.id == "," || n.id == ":" ||
            n.id == ";" || n.id == ".." || n.id == "**" || n.id == "|") {
          n.lbp = 0;
        } else {
          n.lbp = BindingPower(tok.value);
        }
        break;
      case TokType::kString:
      case TokType::kNumber:
      case TokType::kValue:
        n.id = "(literal)";
        break;
      case TokType::kRegex:
        n.id = "(regex)";
        break;
      default:
        Fail("S0205", "Unexpected token", tok.position, tok.value);
    }
    n.tok = std::move(tok);
    node_ = std::move(n);
  }

  NodeP Expression(int rbp) {
    if (++depth_ > limits_.max_depth) {
      Fail("U1001", "Expression nesting is too deep", node_.position);
    }
    CheckStack();
    PNode t = node_;
    Advance(nullptr, true);
    NodeP left = Nud(t);
    while (rbp < node_.lbp) {
      t = node_;
      Advance(nullptr, false);
      left = Led(t, left);
    }
    depth_--;
    return left;
  }

  static NodeP Make(NT type, const PNode& t) {
    auto n = std::make_shared<Node>();
    n->type = type;
    n->value = t.value;
    n->position = t.position;
    return n;
  }

  NodeP Nud(const PNode& t) {
    const std::string& id = t.id;
    if (id == "(name)") {
      NodeP n = Make(t.type == TokType::kVariable ? NT::kVariable : NT::kName, t);
      return n;
    }
    if (id == "(literal)") {
      NodeP n;
      if (t.type == TokType::kString) {
        n = Make(NT::kString, t);
        n->literal = Val::Str(t.value);
      } else if (t.type == TokType::kNumber) {
        n = Make(NT::kNumber, t);
        n->num = t.tok.num;
        n->literal = Val::Num(t.tok.num);
      } else {
        n = Make(NT::kValue, t);
        n->literal = t.tok.literal;
      }
      return n;
    }
    if (id == "(regex)") {
      NodeP n = Make(NT::kRegex, t);
      n->regex_flags = t.tok.flags;
      return n;
    }
    if (id == "(end)") {
      NodeP n = Make(NT::kEnd, t);
      return n;
    }
    if (id == "and" || id == "or" || id == "in") {
      NodeP n = Make(NT::kOperator, t);
      return n;
    }
    if (id == "-") {
      NodeP n = Make(NT::kUnary, t);
      n->expression = Expression(70);
      return n;
    }
    if (id == "*") return Make(NT::kWildcard, t);
    if (id == "**") return Make(NT::kDescendant, t);
    if (id == "%") return Make(NT::kParent, t);
    if (id == "(") {
      NodeP n = Make(NT::kBlock, t);
      while (node_.id != ")") {
        n->expressions.push_back(Expression(0));
        if (node_.id != ";") break;
        Advance(";", false);
      }
      Advance(")", true);
      return n;
    }
    if (id == "[") {
      NodeP n = Make(NT::kUnary, t);
      if (node_.id != "]") {
        for (;;) {
          NodeP item = Expression(0);
          if (node_.id == "..") {
            auto range = std::make_shared<Node>();
            range->type = NT::kBinary;
            range->value = "..";
            range->position = node_.position;
            range->lhs = item;
            Advance("..", false);
            range->rhs = Expression(0);
            item = range;
          }
          n->expressions.push_back(item);
          if (node_.id != ",") break;
          Advance(",", false);
        }
      }
      Advance("]", true);
      return n;
    }
    if (id == "{") {
      NodeP n = Make(NT::kUnary, t);
      n->pairs = ObjectParser();
      return n;
    }
    if (id == "|") {
      NodeP n = Make(NT::kTransform, t);
      n->pattern = Expression(0);
      Advance("|", false);
      n->update = Expression(0);
      if (node_.id == ",") {
        Advance(",", false);
        n->del = Expression(0);
      }
      Advance("|", true);
      return n;
    }
    if (id == "?") {
      return Make(NT::kOperator, t);
    }
    Fail("S0211", "The symbol " + t.value + " cannot be used as a unary operator", t.position,
         t.value);
  }

  std::vector<std::pair<NodeP, NodeP>> ObjectParser() {
    std::vector<std::pair<NodeP, NodeP>> a;
    if (node_.id != "}") {
      for (;;) {
        NodeP n = Expression(0);
        Advance(":", false);
        NodeP v = Expression(0);
        a.emplace_back(n, v);
        if (node_.id != ",") break;
        Advance(",", false);
      }
    }
    Advance("}", true);
    return a;
  }

  NodeP Led(const PNode& t, NodeP left) {
    const std::string& id = t.id;
    if (id == "(") {
      NodeP n = Make(NT::kFunction, t);
      n->procedure = left;
      if (node_.id != ")") {
        for (;;) {
          if (node_.type == TokType::kOperator && node_.id == "?") {
            n->type = NT::kPartial;
            n->arguments.push_back(Make(NT::kOperator, node_));
            Advance("?", false);
          } else {
            n->arguments.push_back(Expression(0));
          }
          if (node_.id != ",") break;
          Advance(",", false);
        }
      }
      Advance(")", true);
      if (left->type == NT::kName && (left->value == "function" || left->value == "\xCE\xBB")) {
        for (size_t i = 0; i < n->arguments.size(); i++) {
          if (n->arguments[i]->type != NT::kVariable) {
            Fail("S0208",
                 "Parameter " + std::to_string(i + 1) +
                     " of function definition must be a variable name (start with $)",
                 n->arguments[i]->position, n->arguments[i]->value);
          }
        }
        n->type = NT::kLambda;
        if (node_.id == "<") {
          int depth = 1;
          std::string sig = "<";
          while (depth > 0 && node_.id != "{" && node_.id != "(end)") {
            Advance(nullptr, false);
            if (node_.id == ">")
              depth--;
            else if (node_.id == "<")
              depth++;
            sig += node_.value;
          }
          Advance(">", false);
          n->signature = ParseSignature(sig);
        }
        Advance("{", false);
        n->body = Expression(0);
        Advance("}", false);
      }
      return n;
    }
    if (id == "[") {
      if (node_.id == "]") {
        Node* step = left.get();
        while (step && step->type == NT::kBinary && step->value == "[") step = step->lhs.get();
        step->keep_array = true;
        Advance("]", true);
        return left;
      }
      NodeP n = Make(NT::kBinary, t);
      n->lhs = left;
      n->rhs = Expression(BindingPower("]"));
      Advance("]", true);
      return n;
    }
    if (id == "{") {
      NodeP n = Make(NT::kBinary, t);
      n->lhs = left;
      n->pairs = ObjectParser();
      return n;
    }
    if (id == "^") {
      NodeP n = Make(NT::kBinary, t);
      Advance("(", false);
      for (;;) {
        SortTerm term;
        if (node_.id == "<") {
          Advance("<", false);
        } else if (node_.id == ">") {
          term.descending = true;
          Advance(">", false);
        }
        term.expression = Expression(0);
        n->terms.push_back(term);
        if (node_.id != ",") break;
        Advance(",", false);
      }
      Advance(")", true);
      n->lhs = left;
      return n;
    }
    if (id == ":=") {
      if (left->type != NT::kVariable) {
        Fail("S0212", "The left side of := must be a variable name (start with $)", left->position,
             left->value);
      }
      NodeP n = Make(NT::kBinary, t);
      n->lhs = left;
      n->rhs = Expression(BindingPower(":=") - 1);
      return n;
    }
    if (id == "@" || id == "#") {
      NodeP n = Make(NT::kBinary, t);
      n->lhs = left;
      n->rhs = Expression(BindingPower(id));
      if (n->rhs->type != NT::kVariable) {
        Fail("S0214", "The right side of " + id + " must be a variable name (start with $)",
             n->rhs->position, id);
      }
      return n;
    }
    if (id == "?") {
      NodeP n = Make(NT::kCondition, t);
      n->condition = left;
      n->then = Expression(0);
      if (node_.id == ":") {
        Advance(":", false);
        n->otherwise = Expression(0);
      }
      return n;
    }
    if (id == "." || id == "+" || id == "-" || id == "*" || id == "/" || id == "%" || id == "=" ||
        id == "<" || id == ">" || id == "!=" || id == "<=" || id == ">=" || id == "&" ||
        id == "and" || id == "or" || id == "in" || id == "~>") {
      NodeP n = Make(NT::kBinary, t);
      n->lhs = left;
      n->rhs = Expression(BindingPower(id));
      return n;
    }
    Fail("S0201", "Syntax error: " + t.value, t.position, t.value);
  }

  // ---------------------------------------------------------- processAST

  std::shared_ptr<Slot> SeekParent(Node* node, std::shared_ptr<Slot> slot) {
    switch (node->type) {
      case NT::kName:
      case NT::kWildcard:
        slot->level--;
        if (slot->level == 0) {
          if (!node->ancestor) {
            node->ancestor = slot;
          } else {
            ancestry_[slot->index]->slot->label = node->ancestor->label;
            node->ancestor = slot;
          }
          node->tuple = true;
        }
        break;
      case NT::kParent:
        slot->level++;
        break;
      case NT::kBlock:
        if (!node->expressions.empty()) {
          node->tuple = true;
          slot = SeekParent(node->expressions.back().get(), slot);
        }
        break;
      case NT::kPath: {
        node->tuple = true;
        int index = static_cast<int>(node->steps.size()) - 1;
        slot = SeekParent(node->steps[index--].get(), slot);
        while (slot->level > 0 && index >= 0) slot = SeekParent(node->steps[index--].get(), slot);
        break;
      }
      default:
        Fail("S0217", "The object representing the 'parent' cannot be derived from this expression",
             node->position);
    }
    return slot;
  }

  static void PushAncestry(Node* result, Node* value) {
    if (value->has_seeking_parent || value->type == NT::kParent) {
      std::vector<std::shared_ptr<Slot>> slots = value->seeking_parent;
      if (value->type == NT::kParent) slots.push_back(value->slot);
      if (!result->has_seeking_parent) {
        result->seeking_parent = slots;
        result->has_seeking_parent = true;
      } else {
        result->seeking_parent.insert(result->seeking_parent.end(), slots.begin(), slots.end());
      }
    }
  }

  void ResolveAncestry(Node* path) {
    int index = static_cast<int>(path->steps.size()) - 1;
    Node* laststep = path->steps[index].get();
    std::vector<std::shared_ptr<Slot>> slots = laststep->seeking_parent;
    if (laststep->type == NT::kParent) slots.push_back(laststep->slot);
    for (auto slot : slots) {
      index = static_cast<int>(path->steps.size()) - 2;
      while (slot->level > 0) {
        if (index < 0) {
          path->seeking_parent.push_back(slot);
          path->has_seeking_parent = true;
          break;
        }
        Node* step = path->steps[index--].get();
        while (index >= 0 && step->has_focus && path->steps[index]->has_focus) {
          step = path->steps[index--].get();
        }
        slot = SeekParent(step, slot);
      }
    }
  }

  static NodeP TailCallOptimize(NodeP expr) {
    if (expr->type == NT::kFunction && !expr->has_predicate) {
      auto thunk = std::make_shared<Node>();
      thunk->type = NT::kLambda;
      thunk->thunk = true;
      thunk->position = expr->position;
      thunk->body = expr;
      return thunk;
    }
    if (expr->type == NT::kCondition) {
      expr->then = TailCallOptimize(expr->then);
      if (expr->otherwise) expr->otherwise = TailCallOptimize(expr->otherwise);
      return expr;
    }
    if (expr->type == NT::kBlock) {
      if (!expr->expressions.empty()) {
        expr->expressions.back() = TailCallOptimize(expr->expressions.back());
      }
      return expr;
    }
    return expr;
  }

  static NodeP NewNode(NT type, const Node& from) {
    auto n = std::make_shared<Node>();
    n->type = type;
    n->value = from.value;
    n->position = from.position;
    return n;
  }

  NodeP Process(NodeP expr) {
    CheckStack();
    NodeP result;
    switch (expr->type) {
      case NT::kBinary: {
        const std::string& op = expr->value;
        if (op == ".") {
          NodeP lstep = Process(expr->lhs);
          if (lstep->type == NT::kPath) {
            result = lstep;
          } else {
            result = NewNode(NT::kPath, *expr);
            result->value.clear();
            result->steps.push_back(lstep);
          }
          if (lstep->type == NT::kParent) {
            result->seeking_parent = {lstep->slot};
            result->has_seeking_parent = true;
          }
          NodeP rest = Process(expr->rhs);
          if (rest->type == NT::kPath) {
            result->steps.insert(result->steps.end(), rest->steps.begin(), rest->steps.end());
          } else {
            if (rest->has_predicate) {
              rest->stages = rest->predicate;
              rest->has_stages = true;
              rest->predicate.clear();
              rest->has_predicate = false;
            }
            result->steps.push_back(rest);
          }
          for (auto& step : result->steps) {
            if (step->type == NT::kNumber || step->type == NT::kValue) {
              Fail("S0213",
                   "The literal value " + step->value +
                       " cannot be used as a step within a path expression",
                   step->position, step->value);
            }
            if (step->type == NT::kString) step->type = NT::kName;
          }
          for (auto& step : result->steps) {
            if (step->keep_array) result->keep_singleton_array = true;
          }
          NodeP first = result->steps.front();
          if (first->type == NT::kUnary && first->value == "[") first->cons_array = true;
          NodeP last = result->steps.back();
          if (last->type == NT::kUnary && last->value == "[") last->cons_array = true;
          ResolveAncestry(result.get());
        } else if (op == "[") {
          result = Process(expr->lhs);
          Node* step = result.get();
          bool stages = false;
          if (result->type == NT::kPath) {
            step = result->steps.back().get();
            stages = true;
          }
          if (step->group)
            Fail("S0209", "A predicate cannot follow a grouping expression in a step",
                 expr->position);
          NodeP predicate = Process(expr->rhs);
          if (predicate->has_seeking_parent) {
            for (auto& slot : predicate->seeking_parent) {
              if (slot->level == 1)
                SeekParent(step, slot);
              else
                slot->level--;
            }
            PushAncestry(step, predicate.get());
          }
          auto filter = std::make_shared<Node>();
          filter->type = NT::kFilter;
          filter->expression = predicate;
          filter->position = expr->position;
          if (stages) {
            step->stages.push_back(filter);
            step->has_stages = true;
          } else {
            step->predicate.push_back(filter);
            step->has_predicate = true;
          }
        } else if (op == "{") {
          result = Process(expr->lhs);
          if (result->group)
            Fail("S0210", "Each step can only have one grouping expression", expr->position);
          auto g = std::make_shared<GroupSpec>();
          g->position = expr->position;
          for (auto& p : expr->pairs) g->pairs.emplace_back(Process(p.first), Process(p.second));
          result->group = g;
        } else if (op == "^") {
          result = Process(expr->lhs);
          if (result->type != NT::kPath) {
            NodeP path = NewNode(NT::kPath, *expr);
            path->steps.push_back(result);
            result = path;
          }
          auto sort = NewNode(NT::kSort, *expr);
          for (auto& term : expr->terms) {
            SortTerm t;
            t.descending = term.descending;
            t.expression = Process(term.expression);
            PushAncestry(sort.get(), t.expression.get());
            sort->terms.push_back(t);
          }
          result->steps.push_back(sort);
          ResolveAncestry(result.get());
        } else if (op == ":=") {
          result = NewNode(NT::kBind, *expr);
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          PushAncestry(result.get(), result->rhs.get());
        } else if (op == "@") {
          result = Process(expr->lhs);
          Node* step = result.get();
          if (result->type == NT::kPath) step = result->steps.back().get();
          if (step->has_stages || step->has_predicate) {
            Fail("S0215", "A context variable binding must precede any predicates on a step",
                 expr->position);
          }
          if (step->type == NT::kSort) {
            Fail("S0216", "A context variable binding must precede the 'order-by' clause on a step",
                 expr->position);
          }
          if (expr->keep_array) step->keep_array = true;
          step->focus = expr->rhs->value;
          step->has_focus = true;
          step->tuple = true;
        } else if (op == "#") {
          result = Process(expr->lhs);
          Node* step = result.get();
          if (result->type == NT::kPath) {
            step = result->steps.back().get();
          } else {
            NodeP path = NewNode(NT::kPath, *expr);
            path->steps.push_back(result);
            result = path;
            if (step->has_predicate) {
              step->stages = step->predicate;
              step->has_stages = true;
              step->predicate.clear();
              step->has_predicate = false;
            }
          }
          if (!step->has_stages) {
            step->index = expr->rhs->value;
            step->has_index = true;
          } else {
            auto idx = std::make_shared<Node>();
            idx->type = NT::kIndex;
            idx->value = expr->rhs->value;
            idx->position = expr->position;
            step->stages.push_back(idx);
          }
          step->tuple = true;
        } else if (op == "~>") {
          result = NewNode(NT::kApply, *expr);
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          result->keep_array = result->lhs->keep_array || result->rhs->keep_array;
        } else {
          result = NewNode(NT::kBinary, *expr);
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          PushAncestry(result.get(), result->lhs.get());
          PushAncestry(result.get(), result->rhs.get());
        }
        break;
      }
      case NT::kUnary: {
        result = NewNode(NT::kUnary, *expr);
        if (expr->value == "[") {
          for (auto& item : expr->expressions) {
            NodeP v = Process(item);
            PushAncestry(result.get(), v.get());
            result->expressions.push_back(v);
          }
        } else if (expr->value == "{") {
          for (auto& p : expr->pairs) {
            NodeP k = Process(p.first);
            PushAncestry(result.get(), k.get());
            NodeP v = Process(p.second);
            PushAncestry(result.get(), v.get());
            result->pairs.emplace_back(k, v);
          }
        } else {
          result->expression = Process(expr->expression);
          if (expr->value == "-" && result->expression->type == NT::kNumber) {
            result = result->expression;
            result->num = -result->num;
            result->literal = Val::Num(result->num);
          } else {
            PushAncestry(result.get(), result->expression.get());
          }
        }
        break;
      }
      case NT::kFunction:
      case NT::kPartial: {
        result = NewNode(expr->type, *expr);
        for (auto& arg : expr->arguments) {
          NodeP a = Process(arg);
          PushAncestry(result.get(), a.get());
          result->arguments.push_back(a);
        }
        result->procedure = Process(expr->procedure);
        break;
      }
      case NT::kLambda: {
        result = NewNode(NT::kLambda, *expr);
        result->arguments = expr->arguments;
        result->signature = expr->signature;
        result->body = TailCallOptimize(Process(expr->body));
        break;
      }
      case NT::kCondition: {
        result = NewNode(NT::kCondition, *expr);
        result->condition = Process(expr->condition);
        PushAncestry(result.get(), result->condition.get());
        result->then = Process(expr->then);
        PushAncestry(result.get(), result->then.get());
        if (expr->otherwise) {
          result->otherwise = Process(expr->otherwise);
          PushAncestry(result.get(), result->otherwise.get());
        }
        break;
      }
      case NT::kTransform: {
        result = NewNode(NT::kTransform, *expr);
        result->pattern = Process(expr->pattern);
        result->update = Process(expr->update);
        if (expr->del) result->del = Process(expr->del);
        break;
      }
      case NT::kBlock: {
        result = NewNode(NT::kBlock, *expr);
        for (auto& item : expr->expressions) {
          NodeP part = Process(item);
          PushAncestry(result.get(), part.get());
          if (part->cons_array || (part->type == NT::kPath && part->steps[0]->cons_array)) {
            result->cons_array = true;
          }
          result->expressions.push_back(part);
        }
        break;
      }
      case NT::kName: {
        result = NewNode(NT::kPath, *expr);
        result->value.clear();
        result->steps.push_back(expr);
        if (expr->keep_array) result->keep_singleton_array = true;
        break;
      }
      case NT::kParent: {
        result = NewNode(NT::kParent, *expr);
        result->slot = std::make_shared<Slot>();
        result->slot->label = "!" + std::to_string(ancestor_label_++);
        result->slot->level = 1;
        result->slot->index = ancestor_index_++;
        ancestry_.push_back(result);
        break;
      }
      case NT::kString:
      case NT::kNumber:
      case NT::kValue:
      case NT::kWildcard:
      case NT::kDescendant:
      case NT::kVariable:
      case NT::kRegex:
        result = expr;
        break;
      case NT::kOperator:
        if (expr->value == "and" || expr->value == "or" || expr->value == "in") {
          expr->type = NT::kName;
          result = Process(expr);
        } else if (expr->value == "?") {
          result = expr;
        } else {
          Fail("S0201", "Syntax error: " + expr->value, expr->position, expr->value);
        }
        break;
      case NT::kEnd:
        Fail("S0207", "Unexpected end of expression", expr->position);
      default:
        Fail("S0206", "Unknown expression type: " + expr->value, expr->position, expr->value);
    }
    if (expr->keep_array) result->keep_array = true;
    return result;
  }

  std::string_view src_;
  Lexer lexer_;
  ParseLimits limits_;
  PNode node_;
  int depth_ = 0;
  int ancestor_label_ = 0;
  int ancestor_index_ = 0;
  std::vector<NodeP> ancestry_;
};

}  // namespace

std::shared_ptr<Signature> ParseSignature(std::string_view signature) {
  auto sig = std::make_shared<Signature>();
  sig->definition = std::string(signature);
  size_t position = 1;
  Signature::Param param;
  int prev = -1;  // index of the previous param
  auto find_closing = [&](size_t start, char open, char close) {
    int depth = 1;
    size_t p = start;
    while (p < signature.size()) {
      p++;
      char c = p < signature.size() ? signature[p] : 0;
      if (c == close) {
        depth--;
        if (depth == 0) break;
      } else if (c == open) {
        depth++;
      }
    }
    return p;
  };
  auto next = [&]() {
    sig->params.push_back(param);
    prev = static_cast<int>(sig->params.size()) - 1;
    param = Signature::Param();
  };
  while (position < signature.size()) {
    char symbol = signature[position];
    if (symbol == ':') break;
    switch (symbol) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        param.regex = std::string("[") + symbol + "m]";
        param.type = symbol;
        next();
        break;
      case 'a':
        param.regex = "[asnblfom]";
        param.type = symbol;
        next();
        break;
      case 'f':
        param.regex = "f";
        param.type = symbol;
        next();
        break;
      case 'j':
        param.regex = "[asnblom]";
        param.type = symbol;
        next();
        break;
      case 'x':
        param.regex = "[asnblfom]";
        param.type = symbol;
        next();
        break;
      case '-':
        if (prev >= 0) {
          auto& p = sig->params[prev];
          p.context = true;
          p.context_regex = p.regex;
          p.regex += "?";
        }
        break;
      case '?':
      case '+':
        if (prev >= 0) sig->params[prev].regex += symbol;
        break;
      case '(': {
        size_t end = find_closing(position, '(', ')');
        std::string choice(signature.substr(position + 1, end - position - 1));
        if (choice.find('<') == std::string::npos) {
          param.regex = "[" + choice + "m]";
        } else {
          Fail("S0402", "Choice groups containing parameterized types are not supported",
               static_cast<int>(position), choice);
        }
        param.type = '(';
        param.type_str = "(" + choice + ")";
        position = end;
        next();
        break;
      }
      case '<': {
        char ptype = prev >= 0 ? sig->params[prev].type : 0;
        if (ptype == 'a' || ptype == 'f') {
          size_t end = find_closing(position, '<', '>');
          sig->params[prev].subtype =
              std::string(signature.substr(position + 1, end - position - 1));
          position = end;
        } else {
          Fail("S0401", std::string("Type parameters can only be applied to functions and arrays"),
               static_cast<int>(position), std::string(1, ptype));
        }
        break;
      }
      default:
        break;
    }
    position++;
  }
  std::string re = "^";
  for (auto& p : sig->params) re += "(" + p.regex + ")";
  re += "$";
  sig->regex = re;
  CompileSignature(sig.get());
  return sig;
}

NodeP ParseExpression(std::string_view text, const ParseLimits& limits) {
  Parser parser(text, limits);
  return parser.Parse();
}

}  // namespace stepflow::asl::jsonata::internal

#include "stepflow/asl/jsonata_template.h"

#include <utility>
#include <vector>

#include "stepflow/asl/errors.h"

namespace stepflow::asl {

struct JsonataTemplate::Node {
  enum class Kind { kLiteral, kExpression, kObject, kArray };
  Kind kind = Kind::kLiteral;
  Value literal;
  jsonata::Expression expression;
  std::string text;   // the expression between {% and %}
  std::string field;  // "Output/result"
  std::vector<std::pair<std::string, Node>> members;
  std::vector<Node> items;
};

namespace {

using Node = JsonataTemplate::Node;

bool IsExpression(const Value& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.AsString();
  return s.size() >= 4 && s.compare(0, 2, "{%") == 0 && s.compare(s.size() - 2, 2, "%}") == 0;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool CompileNode(const Value& source, const std::string& field, const jsonata::Options& options, Node* node,
                 std::string* error) {
  node->field = field;
  if (IsExpression(source)) {
    const std::string& s = source.AsString();
    node->kind = Node::Kind::kExpression;
    node->text = Trim(s.substr(2, s.size() - 4));
    jsonata::Error err;
    if (!jsonata::Expression::Compile(node->text, &node->expression, &err, options)) {
      *error = "The JSONata expression '" + node->text + "' in the field '" + field + "' does not parse: " +
               err.code + " " + err.message;
      return false;
    }
    return true;
  }
  bool dynamic = false;
  if (source.is_object()) {
    for (const auto& [key, value] : source.AsObject()) {
      Node child;
      if (!CompileNode(value, field + "/" + key, options, &child, error)) return false;
      dynamic = dynamic || child.kind != Node::Kind::kLiteral;
      node->members.emplace_back(key, std::move(child));
    }
    node->kind = Node::Kind::kObject;
  } else if (source.is_array()) {
    const Array& items = source.AsArray();
    for (size_t i = 0; i < items.size(); ++i) {
      Node child;
      if (!CompileNode(items[i], field + "/" + std::to_string(i), options, &child, error)) return false;
      dynamic = dynamic || child.kind != Node::Kind::kLiteral;
      node->items.push_back(std::move(child));
    }
    node->kind = Node::Kind::kArray;
  }
  if (!dynamic) {
    node->kind = Node::Kind::kLiteral;
    node->literal = source;
    node->members.clear();
    node->items.clear();
  }
  return true;
}

bool EvaluateNode(const Node& node, const jsonata::Bindings& bindings, Value* out, Failure* failure) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      *out = node.literal;
      return true;
    case Node::Kind::kExpression: {
      std::optional<Value> result;
      jsonata::Error err;
      // A runaway expression fails the state instead of holding the engine's thread.
      jsonata::Limits limits;
      limits.timelimit_ms = 10000;
      if (!node.expression.Evaluate(nullptr, bindings, limits, &result, &err)) {
        if (err.code == jsonata::kFunctionResultCode) {
          *failure = Failure{errors::kQueryEvaluationError, "The JSONata expression '" + node.text +
                                                                "' specified for the field '" + node.field +
                                                                "' returned an unsupported result type."};
          return false;
        }
        *failure = Failure{errors::kQueryEvaluationError,
                           "The JSONata expression '" + node.text + "' specified for the field '" + node.field +
                               "' threw an error during evaluation: " + err.code + " " + err.message};
        return false;
      }
      if (!result) {
        *failure = Failure{errors::kQueryEvaluationError, "The JSONata expression '" + node.text +
                                                              "' specified for the field '" + node.field +
                                                              "' returned nothing (undefined)."};
        return false;
      }
      *out = std::move(*result);
      return true;
    }
    case Node::Kind::kObject: {
      Object members;
      for (const auto& [key, child] : node.members) {
        Value v;
        if (!EvaluateNode(child, bindings, &v, failure)) return false;
        members.emplace_back(key, std::move(v));
      }
      *out = Value::MakeObject(std::move(members));
      return true;
    }
    case Node::Kind::kArray: {
      Array items;
      for (const Node& child : node.items) {
        Value v;
        if (!EvaluateNode(child, bindings, &v, failure)) return false;
        items.push_back(std::move(v));
      }
      *out = Value::MakeArray(std::move(items));
      return true;
    }
  }
  return false;
}

}  // namespace

JsonataTemplate::JsonataTemplate() = default;
JsonataTemplate::~JsonataTemplate() = default;
JsonataTemplate::JsonataTemplate(const JsonataTemplate&) = default;
JsonataTemplate& JsonataTemplate::operator=(const JsonataTemplate&) = default;
JsonataTemplate::JsonataTemplate(JsonataTemplate&&) noexcept = default;
JsonataTemplate& JsonataTemplate::operator=(JsonataTemplate&&) noexcept = default;

bool JsonataTemplate::Compile(const Value& source, const std::string& field, JsonataTemplate* out,
                              std::string* error) {
  jsonata::Options options;
  options.step_functions = true;
  auto node = std::make_shared<Node>();
  if (!CompileNode(source, field, options, node.get(), error)) return false;
  out->root_ = std::move(node);
  return true;
}

bool JsonataTemplate::Evaluate(const jsonata::Bindings& bindings, Value* out, Failure* failure) const {
  return EvaluateNode(*root_, bindings, out, failure);
}

const std::string* JsonataTemplate::whole_expression() const {
  return root_ && root_->kind == Node::Kind::kExpression ? &root_->text : nullptr;
}

}  // namespace stepflow::asl

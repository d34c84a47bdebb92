#include "stepflow/asl/payload_template.h"

#include <variant>

#include "stepflow/asl/errors.h"
#include "stepflow/asl/intrinsics.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/path.h"
#include "field_reader.h"

namespace stepflow::asl {

struct PayloadTemplate::Node {
  enum class Kind { kLiteral, kPath, kCall, kObject, kArray };
  Kind kind = Kind::kLiteral;
  Value literal;
  Path path;
  IntrinsicCall call;
  std::string field;  // the `.$` key, for error texts
  std::vector<std::pair<std::string, Node>> members;
  std::vector<Node> items;
};

namespace {

using Node = PayloadTemplate::Node;

bool IsStatic(const Node& node) { return node.kind == Node::Kind::kLiteral; }


Node CompileNode(const Value& source, const std::string& location, Diagnostics* diagnostics) {
  Node node;
  if (source.is_object()) {
    bool all_static = true;
    for (const auto& [key, value] : source.AsObject()) {
      std::string where = PointerAppend(location, key);
      constexpr std::string_view kSuffix = ".$";
      if (key.size() > kSuffix.size() && key.compare(key.size() - 2, 2, kSuffix) == 0) {
        Node dynamic;
        dynamic.field = key;
        std::string out_key = key.substr(0, key.size() - 2);
        std::string error;
        if (!value.is_string()) {
          diagnostics->push_back({Diagnostic::Severity::kError, "SCHEMA_VALIDATION_FAILED", where,
                                  "The value of a field ending in '.$' must be a string holding a path or "
                                  "an intrinsic function call."});
        } else if (IntrinsicCall::LooksLikeCall(value.AsString())) {
          dynamic.kind = Node::Kind::kCall;
          if (!IntrinsicCall::Parse(value.AsString(), &dynamic.call, &error)) {
            diagnostics->push_back({Diagnostic::Severity::kError, "INVALID_INTRINSIC_FUNCTION", where,
                                    "The value for the field '" + key + "' must be a valid intrinsic function "
                                    "call: " + error});
          }
        } else {
          dynamic.kind = Node::Kind::kPath;
          if (!Path::Parse(value.AsString(), &dynamic.path, &error)) {
            diagnostics->push_back({Diagnostic::Severity::kError, "INVALID_JSON_PATH", where,
                                    "The value for the field '" + key + "' must be a valid JSONPath: " + error});
          }
        }
        all_static = false;
        node.members.emplace_back(std::move(out_key), std::move(dynamic));
      } else {
        Node child = CompileNode(value, where, diagnostics);
        all_static = all_static && IsStatic(child);
        node.members.emplace_back(key, std::move(child));
      }
    }
    if (all_static) {
      node.members.clear();
      node.literal = source;
      return node;
    }
    node.kind = Node::Kind::kObject;
    return node;
  }
  if (source.is_array()) {
    bool all_static = true;
    const Array& items = source.AsArray();
    for (size_t i = 0; i < items.size(); ++i) {
      Node child = CompileNode(items[i], location + "/" + std::to_string(i), diagnostics);
      all_static = all_static && IsStatic(child);
      node.items.push_back(std::move(child));
    }
    if (all_static) {
      node.items.clear();
      node.literal = source;
      return node;
    }
    node.kind = Node::Kind::kArray;
    return node;
  }
  node.literal = source;
  return node;
}

bool EvaluateNode(const Node& node, const Value& input, const EvalEnv& env, Value* out, Failure* failure) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      *out = node.literal;
      return true;
    case Node::Kind::kCall:
      return node.call.Evaluate(input, env, out, failure);
    case Node::Kind::kPath: {
      std::string error;
      if (ResolvePath(node.path, input, env, out, &error)) return true;
      failure->error = errors::kRuntime;
      failure->cause = "The JSONPath '" + node.path.text() + "' specified for the field '" + node.field +
                       "' could not be found in the input '" + ToJson(input) + "'";
      return false;
    }
    case Node::Kind::kObject: {
      Object members;
      members.reserve(node.members.size());
      for (const auto& [key, child] : node.members) {
        Value v;
        if (!EvaluateNode(child, input, env, &v, failure)) return false;
        members.emplace_back(key, std::move(v));
      }
      *out = Value::MakeObject(std::move(members));
      return true;
    }
    case Node::Kind::kArray: {
      Array items;
      items.reserve(node.items.size());
      for (const Node& child : node.items) {
        Value v;
        if (!EvaluateNode(child, input, env, &v, failure)) return false;
        items.push_back(std::move(v));
      }
      *out = Value::MakeArray(std::move(items));
      return true;
    }
  }
  return false;
}

}  // namespace

PayloadTemplate::PayloadTemplate() = default;
PayloadTemplate::~PayloadTemplate() = default;
PayloadTemplate::PayloadTemplate(const PayloadTemplate&) = default;
PayloadTemplate& PayloadTemplate::operator=(const PayloadTemplate&) = default;
PayloadTemplate::PayloadTemplate(PayloadTemplate&&) noexcept = default;
PayloadTemplate& PayloadTemplate::operator=(PayloadTemplate&&) noexcept = default;

PayloadTemplate PayloadTemplate::Compile(const Value& source, const std::string& location,
                                         Diagnostics* diagnostics) {
  PayloadTemplate t;
  t.source_ = source;
  t.root_ = std::make_shared<const Node>(CompileNode(source, location, diagnostics));
  return t;
}

bool PayloadTemplate::Evaluate(const Value& input, const EvalEnv& env, Value* out, Failure* failure) const {
  if (!root_) {
    *out = source_;
    return true;
  }
  return EvaluateNode(*root_, input, env, out, failure);
}

const Value& PayloadTemplate::source() const { return source_; }

}  // namespace stepflow::asl

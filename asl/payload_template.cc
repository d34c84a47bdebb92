#include "stepflow/asl/payload_template.h"

#include <variant>

#include "stepflow/asl/errors.h"
#include "stepflow/asl/intrinsics.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/path.h"
#include "field_reader.h"

namespace stepflow::asl {

// Compact, as a long machine's templates are read from memory, not cache: each
// member is its key, a kind and one of a literal, a path or a call.
struct PayloadTemplate::Node {
  enum class Kind : uint8_t { kLiteral, kPath, kCall, kObject, kArray };
  Kind kind = Kind::kLiteral;
  std::variant<Value, Path, IntrinsicCall> leaf;
  std::vector<std::pair<std::string, Node>> children;  // object members; array items with empty keys
};

namespace {

using Node = PayloadTemplate::Node;

bool IsStatic(const Node& node) { return node.kind == Node::Kind::kLiteral; }

// Strings are interned: a constant that every state repeats ("tag": "orders")
// is then read from cache.
Node Literal(const Value& value) {
  Node node;
  node.leaf = value.is_string() ? Value::InternedString(value.AsString()) : value;
  return node;
}

Node CompileDynamic(const std::string& key, const Value& value, const std::string& where, Diagnostics* diagnostics) {
  Node node;
  std::string error;
  if (!value.is_string()) {
    diagnostics->push_back({Diagnostic::Severity::kError, "SCHEMA_VALIDATION_FAILED", where,
                            "The value of a field ending in '.$' must be a string holding a path or "
                            "an intrinsic function call."});
  } else if (IntrinsicCall::LooksLikeCall(value.AsString())) {
    node.kind = Node::Kind::kCall;
    IntrinsicCall call;
    if (!IntrinsicCall::Parse(value.AsString(), &call, &error)) {
      diagnostics->push_back({Diagnostic::Severity::kError, "INVALID_INTRINSIC_FUNCTION", where,
                              "The value for the field '" + key + "' must be a valid intrinsic function call: " +
                                  error});
    }
    node.leaf = std::move(call);
  } else {
    node.kind = Node::Kind::kPath;
    Path path;
    if (!Path::Parse(value.AsString(), &path, &error)) {
      diagnostics->push_back({Diagnostic::Severity::kError, "INVALID_JSON_PATH", where,
                              "The value for the field '" + key + "' must be a valid JSONPath: " + error});
    }
    node.leaf = std::move(path);
  }
  return node;
}

Node CompileNode(const Value& source, const std::string& location, Diagnostics* diagnostics) {
  if (!source.is_object() && !source.is_array()) return Literal(source);
  Node node;
  bool all_static = true;
  if (source.is_object()) {
    for (const auto& [key, value] : source.AsObject()) {
      std::string where = PointerAppend(location, key);
      constexpr std::string_view kSuffix = ".$";
      if (key.size() > kSuffix.size() && key.compare(key.size() - 2, 2, kSuffix) == 0) {
        all_static = false;
        node.children.emplace_back(key.substr(0, key.size() - 2), CompileDynamic(key, value, where, diagnostics));
      } else {
        Node child = CompileNode(value, where, diagnostics);
        all_static = all_static && IsStatic(child);
        node.children.emplace_back(key, std::move(child));
      }
    }
    node.kind = Node::Kind::kObject;
  } else {
    const Array& items = source.AsArray();
    for (size_t i = 0; i < items.size(); ++i) {
      Node child = CompileNode(items[i], location + "/" + std::to_string(i), diagnostics);
      all_static = all_static && IsStatic(child);
      node.children.emplace_back(std::string(), std::move(child));
    }
    node.kind = Node::Kind::kArray;
  }
  return all_static ? Literal(source) : node;
}

// A template's nodes are seldom in cache when a long machine runs: asking for
// every line of the children at once overlaps what would be one miss after another.
void PrefetchChildren(const Node& node) {
  const auto* begin = reinterpret_cast<const char*>(node.children.data());
  const auto* end = reinterpret_cast<const char*>(node.children.data() + node.children.size());
  for (const char* line = begin; line < end; line += 64) __builtin_prefetch(line);
}

// `key` names the member `node` fills (without its ".$"), for error texts.
bool EvaluateNode(const Node& node, std::string_view key, const Value& input, const EvalEnv& env, Value* out,
                  Failure* failure) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      *out = std::get<Value>(node.leaf);
      return true;
    case Node::Kind::kCall:
      return std::get<IntrinsicCall>(node.leaf).Evaluate(input, env, out, failure);
    case Node::Kind::kPath: {
      const Path& path = std::get<Path>(node.leaf);
      std::string error;
      if (ResolvePath(path, input, env, out, &error)) return true;
      failure->error = errors::kRuntime;
      failure->cause = "The JSONPath '" + path.text() + "' specified for the field '" + std::string(key) +
                       ".$' could not be found in the input '" + ToJson(input) + "'";
      return false;
    }
    case Node::Kind::kObject: {
      PrefetchChildren(node);
      Object members;
      members.reserve(node.children.size());
      for (const auto& [child_key, child] : node.children) {
        Value v;
        if (!EvaluateNode(child, child_key, input, env, &v, failure)) return false;
        members.emplace_back(child_key, std::move(v));
      }
      *out = Value::MakeObject(std::move(members));
      return true;
    }
    case Node::Kind::kArray: {
      PrefetchChildren(node);
      Array items;
      items.reserve(node.children.size());
      for (const auto& [child_key, child] : node.children) {
        Value v;
        if (!EvaluateNode(child, child_key, input, env, &v, failure)) return false;
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

struct PayloadTemplate::Compiled {
  Value source;
  Node root;
};

PayloadTemplate PayloadTemplate::Compile(const Value& source, const std::string& location,
                                         Diagnostics* diagnostics) {
  PayloadTemplate t;
  t.compiled_ = std::make_shared<const Compiled>(Compiled{source, CompileNode(source, location, diagnostics)});
  return t;
}

bool PayloadTemplate::Evaluate(const Value& input, const EvalEnv& env, Value* out, Failure* failure) const {
  if (!compiled_) {
    *out = Value();
    return true;
  }
  return EvaluateNode(compiled_->root, "", input, env, out, failure);
}

void PayloadTemplate::Prefetch() const {
  if (!compiled_) return;
  const auto* root = reinterpret_cast<const char*>(&compiled_->root);
  __builtin_prefetch(root);
  __builtin_prefetch(root + sizeof(Node) - 1);
}

void PayloadTemplate::PrefetchMembers() const {
  if (compiled_) PrefetchChildren(compiled_->root);
}

const Value& PayloadTemplate::source() const {
  static const Value kNone;
  return compiled_ ? compiled_->source : kNone;
}

}  // namespace stepflow::asl

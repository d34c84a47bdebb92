#include "stepflow/asl/value.h"

#include <cmath>
#include <unordered_map>

#include "interner.h"
#include "member_key.h"

namespace stepflow::asl {

// Large objects get a hash index so member lookup stays O(1); small ones scan.
struct Value::ObjectRep {
  static constexpr size_t kIndexThreshold = 16;
  Object members;
  std::unique_ptr<const std::unordered_map<std::string_view, size_t>> index;  // null for small objects
  uint64_t json_size_bound = 0;
};

struct Value::ArrayRep {
  Array items;
  uint64_t json_size_bound = 0;
};

namespace {
constexpr uint64_t kEscapedByte = 6;  // \u00XX
constexpr uint64_t kNumberText = 32;  // past "-2.2250738585072014e-308" and any int64
}  // namespace

uint64_t Value::JsonSizeBound() const {
  switch (type_) {
    case Type::kNull:
    case Type::kBool:
      return 5;
    case Type::kInt:
    case Type::kDouble:
      return kNumberText;
    case Type::kString:
      return 2 + kEscapedByte * AsString().size();
    case Type::kArray:
      return static_cast<const ArrayRep*>(rep_.get())->json_size_bound;
    case Type::kObject:
      return static_cast<const ObjectRep*>(rep_.get())->json_size_bound;
  }
  return 0;
}

Value Value::Number(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) {
    return Int(static_cast<int64_t>(d));
  }
  return Double(d);
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.rep_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::InternedString(std::string_view s) {
  static Interner<std::string> interned;
  Value v;
  v.type_ = Type::kString;
  v.rep_ = interned.Get(s, [s] { return std::make_shared<const std::string>(s); });
  return v;
}

Value Value::MakeArray(Array items) {
  auto rep = std::make_shared<ArrayRep>();
  rep->items = std::move(items);
  uint64_t bound = 2;
  for (const Value& item : rep->items) bound += 1 + item.JsonSizeBound();
  rep->json_size_bound = bound;
  Value v;
  v.type_ = Type::kArray;
  v.rep_ = std::move(rep);
  return v;
}

Value Value::MakeObject(Object members) {
  auto rep = std::make_shared<ObjectRep>();
  rep->members = std::move(members);
  uint64_t bound = 2;
  for (const auto& [key, member] : rep->members) bound += 4 + kEscapedByte * key.size() + member.JsonSizeBound();
  rep->json_size_bound = bound;
  if (rep->members.size() >= ObjectRep::kIndexThreshold) {
    auto index = std::make_unique<std::unordered_map<std::string_view, size_t>>();
    index->reserve(rep->members.size());
    for (size_t i = 0; i < rep->members.size(); ++i) {
      // Last duplicate wins, as in JSON parsers that keep one member per key.
      (*index)[rep->members[i].first] = i;
    }
    rep->index = std::move(index);
  }
  Value v;
  v.type_ = Type::kObject;
  v.rep_ = std::move(rep);
  return v;
}

const std::string& Value::AsString() const {
  return *static_cast<const std::string*>(rep_.get());
}

const Array& Value::AsArray() const { return static_cast<const ArrayRep*>(rep_.get())->items; }

const Object& Value::AsObject() const {
  return static_cast<const ObjectRep*>(rep_.get())->members;
}

const Value* Value::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  const auto* rep = static_cast<const ObjectRep*>(rep_.get());
  if (rep->index != nullptr) {
    auto it = rep->index->find(key);
    return it == rep->index->end() ? nullptr : &rep->members[it->second].second;
  }
  for (auto it = rep->members.rbegin(); it != rep->members.rend(); ++it) {
    if (SameMemberName(it->first, key)) return &it->second;
  }
  return nullptr;
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.AsInt() == b.AsInt();
    return a.AsDouble() == b.AsDouble();
  }
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kBool:
      return a.AsBool() == b.AsBool();
    case Value::Type::kString:
      return a.AsString() == b.AsString();
    case Value::Type::kArray:
      return a.rep_ == b.rep_ || a.AsArray() == b.AsArray();
    case Value::Type::kObject: {
      if (a.rep_ == b.rep_) return true;
      const Object& x = a.AsObject();
      const Object& y = b.AsObject();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x) {
        const Value* other = b.Find(key);
        if (other == nullptr || !(*other == value)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const char* TypeName(Value::Type type) {
  switch (type) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBool:
      return "boolean";
    case Value::Type::kInt:
    case Value::Type::kDouble:
      return "number";
    case Value::Type::kString:
      return "string";
    case Value::Type::kArray:
      return "array";
    case Value::Type::kObject:
      return "object";
  }
  return "unknown";
}

}  // namespace stepflow::asl

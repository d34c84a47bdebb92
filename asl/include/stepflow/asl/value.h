#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepflow::asl {

class Value;
using Member = std::pair<std::string, Value>;
using Array = std::vector<Value>;
using Object = std::vector<Member>;

// An immutable JSON value. Strings, arrays and objects are shared, so copying a
// Value is O(1): a state hands its output to the next state without a deep copy.
// Objects keep member order (AWS and JSONata both preserve it).
class Value {
 public:
  enum class Type : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Value() = default;  // null
  static Value Bool(bool b) { return Scalar(Type::kBool, {.b = b}); }
  static Value Int(int64_t i) { return Scalar(Type::kInt, {.i = i}); }
  static Value Double(double d) { return Scalar(Type::kDouble, {.d = d}); }
  // A number: integral doubles in int64 range become kInt.
  static Value Number(double d);
  static Value String(std::string s);
  // A string sharing its text with every other interned string of the same
  // text, for the constants of a definition that states repeat.
  static Value InternedString(std::string_view s);
  static Value MakeArray(Array items);
  static Value MakeObject(Object members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_number() const { return type_ == Type::kInt || type_ == Type::kDouble; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // REQUIRES: the matching is_*() holds.
  bool AsBool() const { return scalar_.b; }
  int64_t AsInt() const { return scalar_.i; }
  double AsDouble() const { return type_ == Type::kInt ? static_cast<double>(scalar_.i) : scalar_.d; }
  const std::string& AsString() const;
  const Array& AsArray() const;
  const Object& AsObject() const;

  // The member named `key`, or nullptr when absent or when this is not an object.
  const Value* Find(std::string_view key) const;

  // At least the length of this value's JSON text, at most six bytes per byte
  // of its strings and keys and 32 per number; O(1): an array or object counts
  // it once, when it is made.
  uint64_t JsonSizeBound() const;

  // Deep equality; numbers compare by value (1 == 1.0).
  friend bool operator==(const Value& a, const Value& b);

 private:
  struct ObjectRep;
  struct ArrayRep;
  union ScalarBits {
    bool b;
    int64_t i;
    double d;
  };
  static Value Scalar(Type type, ScalarBits bits) {
    Value v;
    v.type_ = type;
    v.scalar_ = bits;
    return v;
  }
  Type type_ = Type::kNull;
  ScalarBits scalar_{.i = 0};
  std::shared_ptr<const void> rep_;
};

// Human name of a type as AWS error texts use it.
const char* TypeName(Value::Type type);

}  // namespace stepflow::asl

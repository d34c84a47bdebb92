// The States.* intrinsic functions applied to evaluated arguments. AWS runs them
// in Java, so where Java's rules show through (number text, Math.round, string
// length in UTF-16 units, StringTokenizer) they are reproduced here.

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "intrinsic_ast.h"
#include "intrinsic_text.h"
#include "stepflow/asl/errors.h"
#include "stepflow/asl/json.h"

namespace stepflow::asl::intrinsic {

namespace {

// AWS's documented input limit for States.Base64Encode, Base64Decode and Hash.
constexpr size_t kMaxEncodeChars = 10000;
// AWS's documented limit on the length of a States.ArrayRange result.
constexpr int64_t kMaxRangeItems = 1000;

// Every failure of an argument check is States.IntrinsicFailure.
class Checker {
 public:
  Checker(const Call& call, std::span<const Value> args, Failure* failure)
      : name_(call.spec->name), args_(args), failure_(failure) {}

  bool Fail(const std::string& detail) {
    *failure_ = {errors::kIntrinsicFailure, "Invalid arguments in " + std::string(name_) + ": " + detail};
    return false;
  }

  bool FailArg(size_t i, const std::string& want) {
    return Fail("argument " + std::to_string(i + 1) + " must be " + want + ", but was " + Describe(args_[i]));
  }

  const std::string* String(size_t i) {
    if (!args_[i].is_string()) {
      FailArg(i, "a string");
      return nullptr;
    }
    return &args_[i].AsString();
  }

  const Array* GetArray(size_t i) {
    if (!args_[i].is_array()) {
      FailArg(i, "an array");
      return nullptr;
    }
    return &args_[i].AsArray();
  }

  // An integral number (1 and 1.0 both qualify).
  bool Integer(size_t i, int64_t* out) {
    const Value& v = args_[i];
    if (v.is_int()) {
      *out = v.AsInt();
      return true;
    }
    if (v.is_number()) {
      double d = v.AsDouble();
      if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
        *out = static_cast<int64_t>(d);
        return true;
      }
    }
    return FailArg(i, "an integer");
  }

  // A number rounded as Java's Math.round does (half up: 0.5 -> 1, -1.5 -> -1),
  // which is what AWS does to decimals given to States.MathAdd and MathRandom.
  bool Rounded(size_t i, int64_t* out) {
    const Value& v = args_[i];
    if (v.is_int()) {
      *out = v.AsInt();
      return true;
    }
    if (!v.is_number()) return FailArg(i, "a number");
    // floor(d + 0.5) would round 0.49999999999999994 up; d - floor(d) is exact.
    double d = v.AsDouble();
    double r = std::floor(d);
    if (d - r >= 0.5) r += 1;
    if (!(std::fabs(r) < 9.2e18)) return FailArg(i, "a number in the range of a 64-bit integer");
    *out = static_cast<int64_t>(r);
    return true;
  }

 private:
  static std::string Describe(const Value& v) {
    std::string json = ToJson(v);
    if (json.size() > 100) json = json.substr(0, 100) + "...";
    return std::string(TypeName(v.type())) + " " + json;
  }

  const char* name_;
  std::span<const Value> args_;
  Failure* failure_;
};

// ---- strings and JSON -------------------------------------------------------------------------

bool Format(const Call& call, std::span<const Value> args, Checker& check, Value* out) {
  std::vector<std::string> runtime_pieces;
  const std::vector<std::string>* pieces = &call.format_pieces;
  if (call.args[0].kind != Arg::Kind::kLiteral) {
    // A template from a path or call is taken as it is: the escapes belong to
    // the intrinsic syntax, not to data.
    const std::string* tmpl = check.String(0);
    if (tmpl == nullptr) return false;
    runtime_pieces = SplitPlaceholders(*tmpl);
    pieces = &runtime_pieces;
  }
  size_t placeholders = pieces->size() - 1;
  if (placeholders != args.size() - 1) {
    return check.Fail("the template has " + std::to_string(placeholders) + " placeholder(s) but " +
                      std::to_string(args.size() - 1) + " argument(s) follow it");
  }
  std::string result = (*pieces)[0];
  for (size_t i = 1; i < args.size(); ++i) {
    AppendFormatted(args[i], &result);
    result += (*pieces)[i];
  }
  *out = Value::String(std::move(result));
  return true;
}

bool StringToJson(Checker& check, Value* out) {
  const std::string* text = check.String(0);
  if (text == nullptr) return false;
  // Jackson reads blank text as no value at all; AWS returns null for it.
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    *out = Value();
    return true;
  }
  JsonError error;
  if (!ParseJson(*text, out, &error)) {
    return check.Fail("the string is not valid JSON: " + error.message + " (at offset " +
                      std::to_string(error.offset) + ")");
  }
  return true;
}

bool StringSplit(Checker& check, Value* out) {
  const std::string* text = check.String(0);
  if (text == nullptr) return false;
  const std::string* delimiters = check.String(1);
  if (delimiters == nullptr) return false;
  // Java's StringTokenizer: every character of the delimiter string splits, and
  // empty tokens are dropped (recorded on AWS: ",,,," -> [], "T\n" splits on both).
  std::vector<std::string_view> delims = SplitCodePoints(*delimiters);
  Array tokens;
  std::string token;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t len = CodePointLength(rest);
    std::string_view cp = rest.substr(0, len);
    rest.remove_prefix(len);
    bool is_delim = false;
    for (std::string_view d : delims) {
      if (d == cp) {
        is_delim = true;
        break;
      }
    }
    if (!is_delim) {
      token += cp;
    } else if (!token.empty()) {
      tokens.push_back(Value::String(std::move(token)));
      token.clear();
    }
  }
  if (!token.empty()) tokens.push_back(Value::String(std::move(token)));
  *out = Value::MakeArray(std::move(tokens));
  return true;
}

// ---- arrays -----------------------------------------------------------------------------------

bool ArrayPartition(Checker& check, Value* out) {
  const Array* items = check.GetArray(0);
  if (items == nullptr) return false;
  // AWS documents that a non-integer chunk size is rounded to the nearest integer.
  int64_t size = 0;
  if (!check.Rounded(1, &size)) return false;
  if (size <= 0) return check.Fail("the chunk size must be greater than 0, but was " + std::to_string(size));
  Array chunks;
  for (size_t start = 0; start < items->size(); start += static_cast<size_t>(size)) {
    size_t end = std::min(items->size(), start + static_cast<size_t>(size));
    chunks.push_back(Value::MakeArray(Array(items->begin() + start, items->begin() + end)));
    if (end == items->size()) break;
  }
  *out = Value::MakeArray(std::move(chunks));
  return true;
}

bool ArrayContains(std::span<const Value> args, Checker& check, Value* out) {
  const Array* items = check.GetArray(0);
  if (items == nullptr) return false;
  bool found = false;
  for (const Value& item : *items) {
    if (item == args[1]) {
      found = true;
      break;
    }
  }
  *out = Value::Bool(found);
  return true;
}

bool ArrayRange(Checker& check, Value* out) {
  // AWS documents that non-integer arguments are rounded to the nearest integer.
  int64_t start = 0, end = 0, step = 0;
  if (!check.Rounded(0, &start) || !check.Rounded(1, &end) || !check.Rounded(2, &step)) return false;
  if (step == 0) return check.Fail("the step must not be 0");
  // Counted in long double so no int64 arithmetic can overflow on hostile bounds.
  long double span = static_cast<long double>(end) - static_cast<long double>(start);
  long double count =
      span / static_cast<long double>(step) < 0 ? 0 : std::floor(span / static_cast<long double>(step)) + 1;
  if (count > kMaxRangeItems) {
    return check.Fail("the range would have " + std::to_string(static_cast<uint64_t>(count)) +
                      " items; at most " + std::to_string(kMaxRangeItems) + " are allowed");
  }
  Array items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) items.push_back(Value::Int(start + i * step));
  *out = Value::MakeArray(std::move(items));
  return true;
}

bool ArrayGetItem(Checker& check, Value* out) {
  const Array* items = check.GetArray(0);
  if (items == nullptr) return false;
  int64_t index = 0;
  if (!check.Integer(1, &index)) return false;
  if (index < 0 || static_cast<uint64_t>(index) >= items->size()) {
    return check.Fail("index " + std::to_string(index) + " is out of bounds for an array of length " +
                      std::to_string(items->size()));
  }
  *out = (*items)[static_cast<size_t>(index)];
  return true;
}

bool ArrayLength(Checker& check, Value* out) {
  const Array* items = check.GetArray(0);
  if (items == nullptr) return false;
  *out = Value::Int(static_cast<int64_t>(items->size()));
  return true;
}

bool ArrayUnique(Checker& check, Value* out) {
  const Array* items = check.GetArray(0);
  if (items == nullptr) return false;
  // Hash buckets keep this linear for the large arrays a 256 KiB payload allows;
  // the first occurrence of each value stays, in order.
  std::unordered_multimap<size_t, size_t> seen;
  seen.reserve(items->size());
  Array unique;
  for (const Value& item : *items) {
    size_t h = HashValue(item);
    bool duplicate = false;
    auto [lo, hi] = seen.equal_range(h);
    for (auto it = lo; it != hi; ++it) {
      if (unique[it->second] == item) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    seen.emplace(h, unique.size());
    unique.push_back(item);
  }
  *out = Value::MakeArray(std::move(unique));
  return true;
}

// ---- encoding and hashing ---------------------------------------------------------------------

bool CheckEncodeLimit(const std::string& text, Checker& check) {
  size_t length = Utf16Length(text);
  if (length > kMaxEncodeChars) {
    return check.Fail("the input is " + std::to_string(length) + " characters long; at most " +
                      std::to_string(kMaxEncodeChars) + " are allowed");
  }
  return true;
}

bool Base64Encode(Checker& check, Value* out) {
  const std::string* text = check.String(0);
  if (text == nullptr || !CheckEncodeLimit(*text, check)) return false;
  *out = Value::String(EncodeBase64(*text));
  return true;
}

bool Base64Decode(Checker& check, Value* out) {
  const std::string* text = check.String(0);
  if (text == nullptr || !CheckEncodeLimit(*text, check)) return false;
  std::string bytes;
  if (!DecodeBase64(*text, &bytes)) return check.Fail("the input is not valid Base64");
  *out = Value::String(ToValidUtf8(bytes));
  return true;
}

bool Hash(Checker& check, Value* out) {
  const std::string* data = check.String(0);
  if (data == nullptr || !CheckEncodeLimit(*data, check)) return false;
  const std::string* algorithm = check.String(1);
  if (algorithm == nullptr) return false;
  const EVP_MD* md = nullptr;
  if (*algorithm == "MD5") {
    md = EVP_md5();
  } else if (*algorithm == "SHA-1") {
    md = EVP_sha1();
  } else if (*algorithm == "SHA-256") {
    md = EVP_sha256();
  } else if (*algorithm == "SHA-384") {
    md = EVP_sha384();
  } else if (*algorithm == "SHA-512") {
    md = EVP_sha512();
  } else {
    return check.Fail("the hash algorithm '" + *algorithm +
                      "' is not supported; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data->data(), data->size(), digest, &digest_len, md, nullptr) != 1) {
    return check.Fail("the hash could not be computed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest_len * 2);
  for (unsigned int i = 0; i < digest_len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  *out = Value::String(std::move(hex));
  return true;
}

// ---- JSON, math, ids --------------------------------------------------------------------------

bool JsonMerge(std::span<const Value> args, Checker& check, Value* out) {
  if (!args[0].is_object()) return check.FailArg(0, "an object");
  if (!args[1].is_object()) return check.FailArg(1, "an object");
  if (!args[2].is_bool()) return check.FailArg(2, "a boolean");
  if (args[2].AsBool()) return check.Fail("deep merge is not supported; the third argument must be false");
  // Shallow: a key of the second object replaces the first's value in place
  // (Java's LinkedHashMap order); new keys follow in the second object's order.
  // The index views keys of the argument objects, which outlive this call;
  // `merged` reallocates as it grows.
  const Object& first = args[0].AsObject();
  Object merged = first;
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < first.size(); ++i) index[first[i].first] = i;
  for (const Member& member : args[1].AsObject()) {
    auto it = index.find(member.first);
    if (it != index.end()) {
      merged[it->second].second = member.second;
    } else {
      index.emplace(member.first, merged.size());
      merged.push_back(member);
    }
  }
  *out = Value::MakeObject(std::move(merged));
  return true;
}

bool MathAdd(Checker& check, Value* out) {
  int64_t a = 0, b = 0;
  if (!check.Rounded(0, &a) || !check.Rounded(1, &b)) return false;
  // AWS documents the operands' range as that of a Java int.
  for (int64_t v : {a, b}) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return check.Fail("the value " + std::to_string(v) + " is outside the range -2147483648 to 2147483647");
    }
  }
  *out = Value::Int(a + b);
  return true;
}

std::mt19937_64& FallbackRandom() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return random;
}

// java.util.Random: a seeded draw is a function of the seed alone, as AWS
// documents; this is the generator a Java service seeds with `new Random(seed)`.
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed) : seed_((static_cast<uint64_t>(seed) ^ kMultiplier) & kMask) {}

  // Random.nextInt(bound). REQUIRES: bound > 0.
  int32_t NextInt(int32_t bound) {
    int32_t r = Next31();
    int32_t m = bound - 1;
    if ((bound & m) == 0) return static_cast<int32_t>((static_cast<int64_t>(bound) * r) >> 31);
    for (int32_t u = r; static_cast<int64_t>(u) - (r = u % bound) + m > std::numeric_limits<int32_t>::max();
         u = Next31()) {
    }
    return r;
  }

 private:
  static constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr uint64_t kMask = (1ULL << 48) - 1;

  int32_t Next31() {
    seed_ = (seed_ * kMultiplier + 0xBULL) & kMask;
    return static_cast<int32_t>(seed_ >> 17);
  }

  uint64_t seed_;
};

bool MathRandom(std::span<const Value> args, const EvalEnv& env, Checker& check, Value* out) {
  // AWS documents that non-integer bounds are rounded, the start is inclusive
  // and the end exclusive.
  int64_t start = 0, end = 0;
  if (!check.Rounded(0, &start) || !check.Rounded(1, &end)) return false;
  if (end <= start) {
    return check.Fail("the end (" + std::to_string(end) + ") must be greater than the start (" +
                      std::to_string(start) + ")");
  }
  if (args.size() == 3) {
    int64_t seed = 0;
    if (!check.Rounded(2, &seed)) return false;
    if (end - start <= std::numeric_limits<int32_t>::max()) {
      JavaRandom random(seed);
      *out = Value::Int(start + random.NextInt(static_cast<int32_t>(end - start)));
      return true;
    }
    std::mt19937_64 seeded(static_cast<uint64_t>(seed));
    *out = Value::Int(std::uniform_int_distribution<int64_t>(start, end - 1)(seeded));
    return true;
  }
  std::uniform_int_distribution<int64_t> dist(start, end - 1);
  *out = Value::Int(dist(env.random != nullptr ? *env.random : FallbackRandom()));
  return true;
}

Value Uuid(const EvalEnv& env) {
  std::mt19937_64& random = env.random != nullptr ? *env.random : FallbackRandom();
  uint64_t hi = random();
  uint64_t lo = random();
  // RFC 4122 version 4 and variant bits.
  hi = (hi & ~0xf000ULL) | 0x4000ULL;
  lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (int i = 0; i < 32; ++i) {
    uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    text.push_back(kHex[(word >> shift) & 0xf]);
    if (i == 7 || i == 11 || i == 15 || i == 19) text.push_back('-');
  }
  return Value::String(std::move(text));
}

}  // namespace

bool Apply(const Call& call, std::span<const Value> args, const EvalEnv& env, Value* out,
           Failure* failure) {
  Checker check(call, args, failure);
  switch (call.spec->function) {
    case Function::kFormat:
      return Format(call, args, check, out);
    case Function::kStringToJson:
      return StringToJson(check, out);
    case Function::kJsonToString:
      *out = Value::String(ToJavaJson(args[0]));
      return true;
    case Function::kArray:
      *out = Value::MakeArray(Array(args.begin(), args.end()));
      return true;
    case Function::kArrayPartition:
      return ArrayPartition(check, out);
    case Function::kArrayContains:
      return ArrayContains(args, check, out);
    case Function::kArrayRange:
      return ArrayRange(check, out);
    case Function::kArrayGetItem:
      return ArrayGetItem(check, out);
    case Function::kArrayLength:
      return ArrayLength(check, out);
    case Function::kArrayUnique:
      return ArrayUnique(check, out);
    case Function::kBase64Encode:
      return Base64Encode(check, out);
    case Function::kBase64Decode:
      return Base64Decode(check, out);
    case Function::kHash:
      return Hash(check, out);
    case Function::kJsonMerge:
      return JsonMerge(args, check, out);
    case Function::kMathRandom:
      return MathRandom(args, env, check, out);
    case Function::kMathAdd:
      return MathAdd(check, out);
    case Function::kStringSplit:
      return StringSplit(check, out);
    case Function::kUuid:
      *out = Uuid(env);
      return true;
  }
  return check.Fail("unknown function");
}

}  // namespace stepflow::asl::intrinsic

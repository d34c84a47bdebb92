#include "stepflow/asl/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/internal/dtoa.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace stepflow::asl {
namespace {

// Builds a Value from SAX events with an explicit stack: no recursion, so any
// nesting is safe to read until the depth limit stops it.
class Builder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Builder> {
 public:
  explicit Builder(size_t max_depth) : max_depth_(max_depth) {}

  bool Null() { return Add(Value()); }
  bool Bool(bool b) { return Add(Value::Bool(b)); }
  bool Int(int i) { return Add(Value::Int(i)); }
  bool Uint(unsigned u) { return Add(Value::Int(u)); }
  bool Int64(int64_t i) { return Add(Value::Int(i)); }
  bool Uint64(uint64_t u) {
    if (u <= static_cast<uint64_t>(INT64_MAX)) return Add(Value::Int(static_cast<int64_t>(u)));
    return Add(Value::Double(static_cast<double>(u)));
  }
  bool Double(double d) { return Add(Value::Double(d)); }
  bool String(const char* s, rapidjson::SizeType len, bool) { return Add(Value::String(std::string(s, len))); }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    stack_.back().key.assign(s, len);
    return true;
  }
  bool StartObject() { return Push(true); }
  bool EndObject(rapidjson::SizeType) { return Pop(); }
  bool StartArray() { return Push(false); }
  bool EndArray(rapidjson::SizeType) { return Pop(); }

  bool too_deep() const { return too_deep_; }
  Value Take() { return std::move(root_); }

 private:
  struct Frame {
    bool is_object;
    std::string key;
    Array items;
    Object members;
  };

  bool Push(bool is_object) {
    if (stack_.size() >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    stack_.push_back(Frame{is_object, {}, {}, {}});
    return true;
  }

  bool Pop() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    return Add(frame.is_object ? Value::MakeObject(std::move(frame.members))
                               : Value::MakeArray(std::move(frame.items)));
  }

  bool Add(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
    } else if (stack_.back().is_object) {
      stack_.back().members.emplace_back(std::move(stack_.back().key), std::move(v));
    } else {
      stack_.back().items.push_back(std::move(v));
    }
    return true;
  }

  size_t max_depth_;
  bool too_deep_ = false;
  std::vector<Frame> stack_;
  Value root_;
};

template <typename Writer>
void Write(const Value& v, Writer& w) {
  switch (v.type()) {
    case Value::Type::kNull:
      w.Null();
      break;
    case Value::Type::kBool:
      w.Bool(v.AsBool());
      break;
    case Value::Type::kInt:
      w.Int64(v.AsInt());
      break;
    case Value::Type::kDouble:
      // JSON has no NaN or infinity; null is what JSON.stringify writes.
      if (!w.Double(v.AsDouble())) w.Null();
      break;
    case Value::Type::kString:
      w.String(v.AsString().data(), static_cast<rapidjson::SizeType>(v.AsString().size()));
      break;
    case Value::Type::kArray:
      w.StartArray();
      for (const Value& item : v.AsArray()) Write(item, w);
      w.EndArray();
      break;
    case Value::Type::kObject:
      w.StartObject();
      for (const auto& [key, member] : v.AsObject()) {
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        Write(member, w);
      }
      w.EndObject();
      break;
  }
}

}  // namespace

bool ParseJson(std::string_view text, Value* out, JsonError* error, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    error->message = "The document is " + std::to_string(text.size()) + " bytes, over the limit of " +
                     std::to_string(limits.max_bytes) + " bytes.";
    error->offset = limits.max_bytes;
    error->line = error->column = 0;
    return false;
  }
  Builder builder(limits.max_depth);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);
  if (result) {
    *out = builder.Take();
    return true;
  }
  error->offset = result.Offset();
  if (builder.too_deep()) {
    error->message = "Nesting deeper than " + std::to_string(limits.max_depth) + " levels.";
  } else {
    error->message = rapidjson::GetParseError_En(result.Code());
  }
  size_t end = std::min(error->offset, text.size());
  error->line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + end, '\n'));
  size_t line_start = text.rfind('\n', end == 0 ? 0 : end - 1);
  error->column = (line_start == std::string_view::npos || end == 0) ? end + 1 : end - line_start;
  return false;
}

void AppendJson(const Value& value, std::string* out) {
  switch (value.type()) {
    case Value::Type::kNull:
      out->append("null");
      break;
    case Value::Type::kBool:
      out->append(value.AsBool() ? "true" : "false");
      break;
    case Value::Type::kInt: {
      char buffer[24];
      char* end = std::to_chars(buffer, buffer + sizeof buffer, value.AsInt()).ptr;
      out->append(buffer, end);
      break;
    }
    case Value::Type::kDouble: {
      double d = value.AsDouble();
      // JSON has no NaN or infinity; null is what JSON.stringify writes.
      if (!std::isfinite(d)) {
        out->append("null");
        break;
      }
      // rapidjson's Writer formats doubles with this (shortest round-trip form).
      char buffer[32];
      char* end = rapidjson::internal::dtoa(d, buffer);
      out->append(buffer, end);
      break;
    }
    case Value::Type::kString:
      AppendJsonString(value.AsString(), out);
      break;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : value.AsArray()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(item, out);
      }
      out->push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.AsObject()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(key, out);
        out->push_back(':');
        AppendJson(member, out);
      }
      out->push_back('}');
      break;
    }
  }
}

namespace {

// How many bytes each byte grows by once escaped: 1 for a two-character escape
// (\" \\ \n ...), 5 for \u00XX, 0 when it is copied as it is.
constexpr std::array<uint8_t, 256> MakeEscapeGrowth() {
  std::array<uint8_t, 256> growth{};
  for (int c = 0; c < 0x20; ++c) growth[c] = 5;
  for (unsigned char c : {'"', '\\', '\b', '\t', '\n', '\f', '\r'}) growth[c] = 1;
  return growth;
}
constexpr std::array<uint8_t, 256> kEscapeGrowth = MakeEscapeGrowth();

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  // The escapes of rapidjson's Writer, so that text written either way is identical.
  // Sized first, then written through a pointer: whole JSON documents are quoted
  // on every transition and a quote in every key makes escapes common.
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t growth = 0;
  for (unsigned char c : text) growth += kEscapeGrowth[c];
  const size_t start = out->size();
  out->resize(start + text.size() + growth + 2);
  char* p = out->data() + start;
  *p++ = '"';
  if (growth == 0) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  } else {
    for (unsigned char c : text) {
      if (kEscapeGrowth[c] == 0) {
        *p++ = static_cast<char>(c);
        continue;
      }
      *p++ = '\\';
      switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\t': *p++ = 't'; break;
        case '\n': *p++ = 'n'; break;
        case '\f': *p++ = 'f'; break;
        case '\r': *p++ = 'r'; break;
        default:
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 15];
      }
    }
  }
  *p = '"';
}

std::string ToJson(const Value& value) {
  std::string out;
  AppendJson(value, &out);
  return out;
}

std::string ToPrettyJson(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  Write(value, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

size_t JsonDepth(const Value& value, size_t limit) {
  if (limit == 0) return 0;
  size_t deepest = 0;
  if (value.is_array()) {
    for (const Value& item : value.AsArray()) {
      deepest = std::max(deepest, JsonDepth(item, limit - 1));
      if (deepest + 1 > limit) break;
    }
    return deepest + 1;
  }
  if (value.is_object()) {
    for (const auto& member : value.AsObject()) {
      deepest = std::max(deepest, JsonDepth(member.second, limit - 1));
      if (deepest + 1 > limit) break;
    }
    return deepest + 1;
  }
  return 0;
}

}  // namespace stepflow::asl

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
#include <iterator>
#include <vector>

namespace stepflow::asl {
namespace {

// The flat stacks a Builder works on, kept per thread between parses: every
// task response is parsed, and allocating them each time was 7 of the 87
// allocations per task (http_tasks_bench (b)).
struct BuilderStacks {
  std::vector<bool> open;       // per open container, innermost last: whether it is an object
  std::vector<Member> members;  // the open objects' members so far, innermost last
  std::vector<Value> items;     // the open arrays' items so far, innermost last
  rapidjson::Reader reader;     // keeps its stack, as large as the longest string it read
  std::string text;             // a copy of a small document, parsed in place

  // Drops what a failed parse left, and the room a huge document took.
  void Reset() {
    constexpr size_t kKeep = 1024;
    open.clear();
    members.clear();
    items.clear();
    if (members.capacity() > kKeep) std::vector<Member>().swap(members);
    if (items.capacity() > kKeep) std::vector<Value>().swap(items);
  }
};

// The last `count` entries of `stack`, moved into a container of their own.
template <typename T>
std::vector<T> TakeLast(std::vector<T>* stack, size_t count) {
  auto first = stack->end() - static_cast<std::ptrdiff_t>(count);
  std::vector<T> taken(std::make_move_iterator(first), std::make_move_iterator(stack->end()));
  stack->erase(first, stack->end());
  return taken;
}

// Builds a Value from SAX events on flat stacks, with no allocation per open
// container but the finished container's own. It stops rapidjson's recursive
// descent at the depth limit, which bounds every walk of a Value.
class Builder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Builder> {
 public:
  Builder(size_t max_depth, BuilderStacks& stacks)
      : max_depth_(max_depth), open_(stacks.open), members_(stacks.members), items_(stacks.items) {}

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
    members_.emplace_back(std::string(s, len), Value());
    return true;
  }
  bool StartObject() { return Open(true); }
  bool EndObject(rapidjson::SizeType count) {
    open_.pop_back();
    return Add(Value::MakeObject(TakeLast(&members_, count)));
  }
  bool StartArray() { return Open(false); }
  bool EndArray(rapidjson::SizeType count) {
    open_.pop_back();
    return Add(Value::MakeArray(TakeLast(&items_, count)));
  }

  bool too_deep() const { return too_deep_; }
  Value Take() { return std::move(root_); }

 private:
  bool Open(bool is_object) {
    if (open_.size() >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    open_.push_back(is_object);
    return true;
  }

  // A finished value goes to the member its key opened, or to the open array.
  bool Add(Value v) {
    if (open_.empty()) {
      root_ = std::move(v);
    } else if (open_.back()) {
      members_.back().second = std::move(v);
    } else {
      items_.push_back(std::move(v));
    }
    return true;
  }

  size_t max_depth_;
  bool too_deep_ = false;
  std::vector<bool>& open_;
  std::vector<Member>& members_;
  std::vector<Value>& items_;
  Value root_;
};

// Printable ASCII but the quote and the backslash: what a plain string holds.
constexpr std::array<bool, 256> MakePlainStringBytes() {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}
constexpr std::array<bool, 256> kPlainStringByte = MakePlainStringBytes();

// Parses the plain JSON most documents are: ASCII strings without escapes,
// integers of up to 18 digits, true, false, null. Anything else (an escape, a
// fraction or exponent, -0, a control or non-ASCII byte, an error, nesting past
// the limit) makes it give up, and rapidjson parses the text instead, so what
// it accepts it reads exactly as rapidjson would. A task's response takes 18%
// fewer instructions, map-fanout's 740 KB input 6% less time.
class PlainParser {
 public:
  PlainParser(std::string_view text, size_t max_depth, BuilderStacks& stacks)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth), stacks_(stacks) {}

  // Sets *out only when the whole text was read.
  bool Parse(Value* out) {
    Value value;
    if (!Element(&value, 0)) return false;
    SkipSpace();
    if (p_ != end_) return false;
    *out = std::move(value);
    return true;
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Element(Value* out, size_t depth) {
    SkipSpace();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return depth < max_depth_ && ParseObject(out, depth + 1);
      case '[':
        return depth < max_depth_ && ParseArray(out, depth + 1);
      case '"': {
        std::string_view text;
        if (!ParseString(&text)) return false;
        *out = Value::String(std::string(text));
        return true;
      }
      case 't':
        return ParseLiteral("true", Value::Bool(true), out);
      case 'f':
        return ParseLiteral("false", Value::Bool(false), out);
      case 'n':
        return ParseLiteral("null", Value(), out);
      default:
        return ParseInteger(out);
    }
  }

  bool ParseObject(Value* out, size_t depth) {
    ++p_;  // {
    auto& members = stacks_.members;
    const size_t first = members.size();
    if (Closes('}')) {
      *out = Value::MakeObject({});
      return true;
    }
    for (bool more = true; more;) {
      SkipSpace();
      std::string_view key;
      if (p_ == end_ || *p_ != '"' || !ParseString(&key)) return false;
      SkipSpace();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      members.emplace_back(std::string(key), Value());
      // By index: parsing the member may grow the stack.
      const size_t at = members.size() - 1;
      Value member;
      if (!Element(&member, depth)) return false;
      members[at].second = std::move(member);
      if (!Next('}', &more)) return false;
    }
    *out = Value::MakeObject(TakeLast(&members, members.size() - first));
    return true;
  }

  bool ParseArray(Value* out, size_t depth) {
    ++p_;  // [
    auto& items = stacks_.items;
    const size_t first = items.size();
    if (Closes(']')) {
      *out = Value::MakeArray({});
      return true;
    }
    for (bool more = true; more;) {
      Value item;
      if (!Element(&item, depth)) return false;
      items.push_back(std::move(item));
      if (!Next(']', &more)) return false;
    }
    *out = Value::MakeArray(TakeLast(&items, items.size() - first));
    return true;
  }

  // Whether the container just opened closes at once (and reads past `close`).
  bool Closes(char close) {
    SkipSpace();
    if (p_ == end_ || *p_ != close) return false;
    ++p_;
    return true;
  }

  // After a member or an item: a comma (more follow) or `close` (none do).
  bool Next(char close, bool* more) {
    SkipSpace();
    if (p_ == end_ || (*p_ != ',' && *p_ != close)) return false;
    *more = *p_++ == ',';
    return true;
  }

  // A string of printable ASCII without escapes; REQUIRES: *p_ == '"'.
  bool ParseString(std::string_view* text) {
    const char* start = ++p_;
    while (p_ < end_ && kPlainStringByte[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ == end_ || *p_ != '"') return false;
    *text = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }

  bool ParseLiteral(std::string_view word, Value value, Value* out) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    *out = std::move(value);
    return true;
  }

  bool ParseInteger(Value* out) {
    const bool minus = *p_ == '-';
    const char* digits = minus ? p_ + 1 : p_;
    const char* q = digits;
    int64_t magnitude = 0;
    while (q < end_ && *q >= '0' && *q <= '9') {
      if (q - digits == 18) return false;  // more digits than an int64 surely holds
      magnitude = magnitude * 10 + (*q++ - '0');
    }
    const size_t count = static_cast<size_t>(q - digits);
    // No digits, a leading zero, -0, or a fraction or exponent next.
    if (count == 0 || (*digits == '0' && (count > 1 || minus))) return false;
    if (q < end_ && (*q == '.' || *q == 'e' || *q == 'E')) return false;
    p_ = q;
    *out = Value::Int(minus ? -magnitude : magnitude);
    return true;
  }

  const char* p_;
  const char* end_;
  size_t max_depth_;
  BuilderStacks& stacks_;
};

bool IsAscii(std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  uint64_t high = 0;
  for (; end - p >= 8; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    high |= word;
  }
  for (; p < end; ++p) high |= static_cast<unsigned char>(*p);
  return (high & 0x8080808080808080ULL) == 0;
}

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

namespace {

// Sets the line and column of the error's offset in `text`; returns false.
bool Located(std::string_view text, JsonError* error) {
  size_t end = std::min(error->offset, text.size());
  error->line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + end, '\n'));
  size_t line_start = text.rfind('\n', end == 0 ? 0 : end - 1);
  error->column = (line_start == std::string_view::npos || end == 0) ? end + 1 : end - line_start;
  return false;
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
  // rapidjson takes a NUL for the end of the text and would accept "{}\0junk".
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    error->message = "A NUL byte, which JSON text cannot hold.";
    error->offset = static_cast<size_t>(static_cast<const char*>(nul) - text.data());
    return Located(text, error);
  }
  thread_local BuilderStacks stacks;
  struct ResetOnExit {
    BuilderStacks& stacks;
    ~ResetOnExit() { stacks.Reset(); }
  } reset{stacks};
  {
    PlainParser plain(text, limits.max_depth, stacks);
    if (plain.Parse(out)) return true;
    stacks.Reset();  // what it left when it gave up
  }
  Builder builder(limits.max_depth, stacks);
  constexpr unsigned kFlags = rapidjson::kParseFullPrecisionFlag;
  constexpr unsigned kValidate = rapidjson::kParseValidateEncodingFlag;
  constexpr unsigned kInsitu = rapidjson::kParseInsituFlag;
  // ASCII is valid UTF-8: only other text needs rapidjson's (slow) validation.
  const bool ascii = IsAscii(text);
  rapidjson::ParseResult result;
  // A large document is read where it lies, on a reader of its own, so no thread keeps its room.
  constexpr size_t kSharedReaderBytes = 64 * 1024;
  if (text.size() <= kSharedReaderBytes) {
    // Parsed in place, a string is not first copied onto the reader's stack
    // (a fifth of a task response's parse).
    stacks.text.assign(text);
    rapidjson::InsituStringStream stream(stacks.text.data());
    result = ascii ? stacks.reader.Parse<kFlags | kInsitu>(stream, builder)
                   : stacks.reader.Parse<kFlags | kInsitu | kValidate>(stream, builder);
  } else {
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(text.data(), text.size());
    result = ascii ? reader.Parse<kFlags>(stream, builder) : reader.Parse<kFlags | kValidate>(stream, builder);
  }
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
  return Located(text, error);
}

namespace {

// What a byte of a string becomes in JSON text: 0 when it is copied as it is,
// else the character after the backslash ('u' for \u00XX). rapidjson's Writer
// escapes the same bytes, so that text written either way is identical.
constexpr std::array<char, 256> MakeEscapeLetters() {
  std::array<char, 256> letters{};
  for (int c = 0; c < 0x20; ++c) letters[c] = 'u';
  letters['"'] = '"';
  letters['\\'] = '\\';
  letters['\b'] = 'b';
  letters['\t'] = 't';
  letters['\n'] = 'n';
  letters['\f'] = 'f';
  letters['\r'] = 'r';
  return letters;
}
constexpr std::array<char, 256> kEscapeLetters = MakeEscapeLetters();

// How much a string's body grows when escaped once, and when that JSON text
// is escaped again as it reads inside another JSON string (" -> \\\").
struct EscapeGrowth {
  size_t once = 0;
  size_t twice = 0;
};

// The bytes each byte adds when escaped once (JsonSize's count, without branches).
constexpr std::array<uint8_t, 256> MakeEscapeGrowthOnce() {
  std::array<uint8_t, 256> growth{};
  for (int c = 0; c < 256; ++c) {
    char letter = kEscapeLetters[c];
    growth[c] = letter == 0 ? 0 : letter == 'u' ? 5 : 1;
  }
  return growth;
}
constexpr std::array<uint8_t, 256> kEscapeGrowthOnce = MakeEscapeGrowthOnce();

// The size of `text` as a quoted JSON string.
size_t QuotedSize(std::string_view text) {
  size_t size = text.size() + 2;
  for (unsigned char c : text) size += kEscapeGrowthOnce[c];
  return size;
}

EscapeGrowth MeasureEscapes(std::string_view text) {
  EscapeGrowth growth;
  for (unsigned char c : text) {
    char letter = kEscapeLetters[c];
    if (letter == 0) continue;
    growth.once += letter == 'u' ? 5 : 1;
    growth.twice += letter == 'u' ? 6 : (letter == '"' || letter == '\\') ? 3 : 2;
  }
  return growth;
}

// Writes the body of `text` as a JSON string (no quotes) at `p`, escaped once
// more when `nested`, and returns the end. REQUIRES: room for the growth
// MeasureEscapes gives.
char* EscapeInto(std::string_view text, bool nested, const EscapeGrowth& growth, char* p,
                 HexDigits hex = HexDigits::kUpper) {
  const char* digits = hex == HexDigits::kUpper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (growth.once == 0) {
    std::memcpy(p, text.data(), text.size());
    return p + text.size();
  }
  for (unsigned char c : text) {
    char letter = kEscapeLetters[c];
    if (letter == 0) {
      *p++ = static_cast<char>(c);
      continue;
    }
    *p++ = '\\';
    if (nested) *p++ = '\\';
    if (letter == 'u') {
      *p++ = 'u';
      *p++ = '0';
      *p++ = '0';
      *p++ = digits[c >> 4];
      *p++ = digits[c & 15];
    } else {
      if (nested && (letter == '"' || letter == '\\')) *p++ = '\\';
      *p++ = letter;
    }
  }
  return p;
}

// Writes JSON text, or when `nested_` that text as the body of a JSON string.
// Writes through a pointer into `out`, which it keeps longer than what is
// written until Finish: whole documents are written on every transition, and
// a check and a call per character add up.
class TextWriter {
 public:
  TextWriter(bool nested, std::string* out) : nested_(nested), out_(out), pos_(out->size()) {}

  void Write(const Value& value) {
    switch (value.type()) {
      case Value::Type::kNull:
        Plain("null");
        break;
      case Value::Type::kBool:
        Plain(value.AsBool() ? "true" : "false");
        break;
      case Value::Type::kInt: {
        char* p = Room(24);
        char* end = std::to_chars(p, p + 24, value.AsInt()).ptr;
        Advance(end - p);
        break;
      }
      case Value::Type::kDouble: {
        double d = value.AsDouble();
        // JSON has no NaN or infinity; null is what JSON.stringify writes.
        if (!std::isfinite(d)) {
          Plain("null");
          break;
        }
        // rapidjson's Writer formats doubles with this (shortest round-trip form).
        char* p = Room(32);
        Advance(rapidjson::internal::dtoa(d, p) - p);
        break;
      }
      case Value::Type::kString:
        String(value.AsString());
        break;
      case Value::Type::kArray: {
        Char('[');
        bool first = true;
        for (const Value& item : value.AsArray()) {
          if (!first) Char(',');
          first = false;
          Write(item);
        }
        Char(']');
        break;
      }
      case Value::Type::kObject: {
        Char('{');
        bool first = true;
        for (const auto& [key, member] : value.AsObject()) {
          if (!first) Char(',');
          first = false;
          String(key);
          Char(':');
          Write(member);
        }
        Char('}');
        break;
      }
    }
  }

  // Trims `out` to what was written.
  void Finish() { out_->resize(pos_); }

  // The size of the JSON text written, before any nesting.
  size_t text_size() const { return text_size_; }

 private:
  // Room for `n` more bytes at the write position: a compare with the cached
  // size, as every character written asks for room.
  char* Room(size_t n) {
    if (pos_ + n > size_) Grow(pos_ + n);
    return data_ + pos_;
  }

  // The string grows in small steps within geometrically reserved capacity:
  // resizing zero-fills, and a writer appending a little to a big buffer must
  // not fill all its spare room.
  [[gnu::noinline]] void Grow(size_t needed) {
    constexpr size_t kStep = 256;
    const size_t grown = std::max(needed, pos_ + kStep);
    if (grown > out_->capacity()) out_->reserve(std::max(grown, 2 * out_->capacity()));
    out_->resize(grown);
    data_ = out_->data();
    size_ = grown;
  }

  // Counts `n` bytes written at Room(), which no nesting escapes.
  void Advance(size_t n) {
    pos_ += n;
    text_size_ += n;
  }

  void Char(char c) {
    *Room(1) = c;
    Advance(1);
  }

  void Plain(std::string_view text) {
    std::memcpy(Room(text.size()), text.data(), text.size());
    Advance(text.size());
  }

  void String(std::string_view text) {
    // Most strings are short keys and values with nothing to escape: one pass
    // copies them, without measuring first or calling memcpy.
    constexpr size_t kShort = 32;
    if (text.size() <= kShort) {
      char* start = Room(7 * text.size() + 4);  // what escaping could take, so a plain copy fits
      char* p = start;
      if (nested_) *p++ = '\\';
      *p++ = '"';
      size_t i = 0;
      for (; i < text.size() && kEscapeLetters[static_cast<unsigned char>(text[i])] == 0; ++i) *p++ = text[i];
      if (i == text.size()) {
        if (nested_) *p++ = '\\';
        *p++ = '"';
        pos_ += p - start;
        text_size_ += text.size() + 2;
        return;
      }
    }
    EscapeGrowth growth = MeasureEscapes(text);
    char* start = Room(text.size() + (nested_ ? growth.twice + 4 : growth.once + 2));
    char* p = start;
    if (nested_) *p++ = '\\';
    *p++ = '"';
    p = EscapeInto(text, nested_, growth, p);
    if (nested_) *p++ = '\\';
    *p++ = '"';
    pos_ += p - start;
    text_size_ += text.size() + growth.once + 2;
  }

  bool nested_;
  std::string* out_;
  size_t pos_;
  char* data_ = out_->data();  // out_'s buffer and size, while this writes to it
  size_t size_ = out_->size();
  size_t text_size_ = 0;
};

}  // namespace

void AppendJson(const Value& value, std::string* out) {
  TextWriter writer(false, out);
  writer.Write(value);
  writer.Finish();
}

size_t AppendJsonAsString(const Value& value, std::string* out) {
  out->push_back('"');
  TextWriter writer(true, out);
  writer.Write(value);
  writer.Finish();
  out->push_back('"');
  return writer.text_size();
}

size_t JsonSize(const Value& value) {
  switch (value.type()) {
    case Value::Type::kNull:
      return 4;
    case Value::Type::kBool:
      return value.AsBool() ? 4 : 5;
    case Value::Type::kInt: {
      char digits[24];
      return static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, value.AsInt()).ptr - digits);
    }
    case Value::Type::kDouble: {
      double d = value.AsDouble();
      if (!std::isfinite(d)) return 4;
      char digits[32];
      return static_cast<size_t>(rapidjson::internal::dtoa(d, digits) - digits);
    }
    case Value::Type::kString:
      return QuotedSize(value.AsString());
    case Value::Type::kArray: {
      const auto& items = value.AsArray();
      size_t size = 2 + (items.empty() ? 0 : items.size() - 1);
      for (const Value& item : items) size += JsonSize(item);
      return size;
    }
    case Value::Type::kObject: {
      const auto& members = value.AsObject();
      size_t size = 2 + (members.empty() ? 0 : members.size() - 1);
      for (const auto& [key, member] : members) size += QuotedSize(key) + 1 + JsonSize(member);
      return size;
    }
  }
  return 0;
}

bool JsonSizeOver(const Value& value, size_t limit) { return value.JsonSizeBound() > limit && JsonSize(value) > limit; }

void AppendJsonString(std::string_view text, std::string* out, HexDigits hex) {
  EscapeGrowth growth = MeasureEscapes(text);
  const size_t start = out->size();
  out->resize(start + text.size() + growth.once + 2);
  char* p = out->data() + start;
  *p++ = '"';
  p = EscapeInto(text, false, growth, p, hex);
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

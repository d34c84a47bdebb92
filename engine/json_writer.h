#pragma once

// Writing JSON text directly, for what the engine hands the store to write
// later (checkpoints, event details): no Value tree built to be serialised.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "stepflow/asl/json.h"
#include "stepflow/asl/value.h"

namespace stepflow::engine {

inline void AppendInt(int64_t i, std::string* out) {
  char digits[24];
  out->append(digits, std::to_chars(digits, digits + sizeof digits, i).ptr);
}

inline void AppendBool(bool b, std::string* out) { out->append(b ? "true" : "false"); }

// Writes one JSON object member by member; keys are literals with nothing to
// escape. A member's separator, key and colon go in with one append: a
// checkpoint is mostly small members, and it is written with every commit.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  ~ObjectWriter() { out_->push_back('}'); }
  std::string* Key(std::string_view key) { return Member(key, {}); }
  void Int(std::string_view key, int64_t i) {
    char digits[24];
    Member(key, std::string_view(digits, std::to_chars(digits, digits + sizeof digits, i).ptr - digits));
  }
  void Bool(std::string_view key, bool b) { Member(key, b ? "true" : "false"); }
  void Json(std::string_view key, const asl::Value& v) { asl::AppendJson(v, Key(key)); }
  template <typename Range, typename WriteItem>
  void Array(const char* key, const Range& items, WriteItem write_item) {
    std::string* out = Key(key);
    out->push_back('[');
    bool first = true;
    for (const auto& item : items) {
      if (!first) out->push_back(',');
      first = false;
      write_item(item, out);
    }
    out->push_back(']');
  }

 private:
  // Appends `,"key":text` (no comma first) and returns the output.
  std::string* Member(std::string_view key, std::string_view text) {
    const size_t at = out_->size();
    out_->resize(at + !first_ + key.size() + 3 + text.size());
    char* p = out_->data() + at;
    if (!first_) *p++ = ',';
    first_ = false;
    *p++ = '"';
    p = std::copy(key.begin(), key.end(), p);
    *p++ = '"';
    *p++ = ':';
    std::copy(text.begin(), text.end(), p);
    return out_;
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace stepflow::engine

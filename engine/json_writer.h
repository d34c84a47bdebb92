#pragma once

// Writing JSON text directly, for what the engine hands the store to write
// later (checkpoints, event details): no Value tree built to be serialised.
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

// Writes one JSON object member by member; keys are literals with nothing to escape.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  ~ObjectWriter() { out_->push_back('}'); }
  std::string* Key(std::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->push_back('"');
    out_->append(key);
    out_->append("\":");
    return out_;
  }
  void Int(const char* key, int64_t i) { AppendInt(i, Key(key)); }
  void Bool(const char* key, bool b) { AppendBool(b, Key(key)); }
  void Json(const char* key, const asl::Value& v) { asl::AppendJson(v, Key(key)); }
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
  std::string* out_;
  bool first_ = true;
};

}  // namespace stepflow::engine

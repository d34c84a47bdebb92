#include "history_chunk.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

namespace stepflow::storage {
namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  // Event type names have nothing to escape: one append for the run up to
  // the first byte that does.
  size_t plain = 0;
  while (plain < s.size() && s[plain] != '"' && s[plain] != '\\' && static_cast<unsigned char>(s[plain]) >= 0x20) {
    ++plain;
  }
  out->append(s.data(), plain);
  for (char c : s.substr(plain)) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// A cursor over chunk text; every read returns false at malformed input.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool Expect(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool AtEnd() const { return pos_ == text_.size(); }

  bool Int(int64_t* v) { return Number(v, 10, text_.size() - pos_); }

  // Four hex digits, as after "\u".
  bool Hex4(uint32_t* v) { return text_.size() - pos_ >= 4 && Number(v, 16, 4); }

  bool String(std::string* out) {
    if (!Expect('"')) return false;
    out->clear();
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char e = text_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          // Chunks (ours and SQLite's json_array) escape control characters
          // only; other text is stored as UTF-8 as it is.
          uint32_t cp;
          if (!Hex4(&cp) || cp >= 0x80) return false;
          out->push_back(static_cast<char>(cp));
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  // The raw text of the object or array here (or empty for null).
  bool RawValue(std::string* out) {
    if (text_.substr(pos_, 4) == "null") {
      pos_ += 4;
      out->clear();
      return true;
    }
    size_t start = pos_;
    int depth = 0;
    bool in_string = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (in_string) {
        if (c == '\\') {
          ++pos_;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          out->assign(text_.substr(start, pos_ - start));
          return true;
        }
      }
      if (depth == 0) return false;  // not an object or array
    }
    return false;
  }

 private:
  template <typename T>
  bool Number(T* v, int base, size_t max_chars) {
    const char* begin = text_.data() + pos_;
    const char* end = begin + max_chars;
    auto [ptr, ec] = std::from_chars(begin, end, *v, base);
    if (ec != std::errc() || (base == 16 && ptr != end)) return false;
    pos_ += static_cast<size_t>(ptr - begin);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

size_t EncodeHistoryChunk(const HistoryEventRecord* begin, const HistoryEventRecord* end, size_t max_events,
                          size_t max_bytes, std::string* out) {
  out->clear();
  out->push_back('[');
  const HistoryEventRecord* e = begin;
  for (; e != end && static_cast<size_t>(e - begin) < max_events && out->size() < max_bytes; ++e) {
    // ",[id,previous,timestamp," with one append.
    char head[80];
    char* p = head;
    if (e != begin) *p++ = ',';
    *p++ = '[';
    for (int64_t number : {e->id, e->previous_event_id, e->timestamp_ns}) {
      p = std::to_chars(p, p + 24, number).ptr;
      *p++ = ',';
    }
    out->append(head, p);
    AppendQuoted(e->type, out);
    out->push_back(',');
    if (e->has_details()) {
      e->AppendDetails(out);
    } else {
      *out += "null";
    }
    out->push_back(']');
  }
  out->push_back(']');
  return static_cast<size_t>(e - begin);
}

Status DecodeHistoryChunk(std::string_view chunk, int64_t after_event_id, size_t limit, const std::string& where,
                          std::vector<HistoryEventRecord>* out) {
  Reader r(chunk);
  auto corrupt = [&] { return Status::Corruption("malformed history chunk of " + where); };
  if (!r.Expect('[')) return corrupt();
  if (r.Expect(']')) return r.AtEnd() ? Status::OK() : corrupt();
  HistoryEventRecord e;
  std::string type;
  do {
    if (!r.Expect('[') || !r.Int(&e.id) || !r.Expect(',') || !r.Int(&e.previous_event_id) || !r.Expect(',') ||
        !r.Int(&e.timestamp_ns) || !r.Expect(',') || !r.String(&type) || !r.Expect(',') ||
        !r.RawValue(&e.details_json) || !r.Expect(']')) {
      return corrupt();
    }
    std::optional<std::string_view> interned = InternEventType(type);
    if (!interned) {
      return Status::Corruption("event " + std::to_string(e.id) + " of " + where + " has type \"" + type +
                                "\", past the 4,096 distinct event types a process keeps");
    }
    e.type = *interned;
    if (e.id > after_event_id) {
      if (out->size() >= limit) return Status::OK();
      out->push_back(e);
    }
  } while (r.Expect(','));
  if (!r.Expect(']') || !r.AtEnd()) return corrupt();
  return Status::OK();
}

}  // namespace stepflow::storage

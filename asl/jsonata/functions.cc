// The JSONata built-in function library (jsonata-js src/functions.js), plus the
// functions AWS Step Functions adds ($partition, $range, $hash, $random with a
// seed, $uuid, $parse) in a separate table.

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "jsonata/eval.h"
#include "stepflow/asl/json.h"

namespace stepflow::asl::jsonata::internal {

std::vector<uint32_t> ToCodePoints(const std::string& s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    int len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c >> 3) == 30) {
      cp = c & 0x07;
      len = 4;
    } else {
      cp = c;
      len = 1;
    }
    for (int k = 1; k < len && i + k < s.size(); k++) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string FromCodePoints(const std::vector<uint32_t>& cps, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < cps.size(); i++) AppendUtf8(&out, cps[i]);
  return out;
}

namespace {

using Fn = std::function<Val(Call&)>;

void Reg(BuiltinTable* t, const std::string& name, const char* sig, int arity, Fn fn) {
  Builtin b;
  b.name = name;
  b.fn = std::move(fn);
  b.sig = ParseSignature(sig);
  b.arity = arity;
  t->emplace(name, std::move(b));
}

Val Str(std::string s) { return Val::Str(std::move(s)); }
Val Num(double d) { return Val::Num(d); }

const std::vector<Val>& Items(const Val& v) {
  static const std::vector<Val> kEmpty;
  return v.is_arr() ? v.arr()->items : kEmpty;
}

// JS ToIntegerOrInfinity for slice-like arguments.
double ToInteger(double d) {
  if (std::isnan(d)) return 0;
  return std::trunc(d);
}

std::string Slice(const std::vector<uint32_t>& cps, double start, double end) {
  double len = static_cast<double>(cps.size());
  start = ToInteger(start);
  end = ToInteger(end);
  if (start < 0) start = std::max(0.0, len + start);
  if (end < 0) end = std::max(0.0, len + end);
  start = std::min(start, len);
  end = std::min(end, len);
  if (start >= end) return "";
  return FromCodePoints(cps, static_cast<size_t>(start), static_cast<size_t>(end));
}

// Longest string a function may build from a count it is given.
constexpr double kMaxStringLength = 1 << 28;

double JsRound(double arg) { return std::floor(arg + 0.5); }

double RoundHalfEven(double arg, double precision) {
  if (precision != 0) {
    std::string s = NumberToJs(arg);
    size_t e = s.find('e');
    std::string mant = e == std::string::npos ? s : s.substr(0, e);
    double ex = e == std::string::npos ? 0 : std::atof(s.c_str() + e + 1);
    arg = std::strtod((mant + "e" + NumberToJs(ex + precision)).c_str(), nullptr);
  }
  double result = JsRound(arg);
  double diff = result - arg;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (precision != 0) {
    std::string s = NumberToJs(result);
    size_t e = s.find('e');
    std::string mant = e == std::string::npos ? s : s.substr(0, e);
    double ex = e == std::string::npos ? 0 : std::atof(s.c_str() + e + 1);
    result = std::strtod((mant + "e" + NumberToJs(ex - precision)).c_str(), nullptr);
  }
  if (result == 0) result = 0;  // no -0
  return result;
}

// All matches of a regex the way jsonata-js iterates them with next().
std::vector<RegexMatch> AllMatches(const RegexData& re, const std::string& str, double limit) {
  std::vector<RegexMatch> out;
  RegexMatch m;
  if (!RegexFind(re, str, 0, &m)) return out;
  while (limit < 0 || static_cast<double>(out.size()) < limit) {
    out.push_back(m);
    size_t last = m.byte_end;
    if (last >= str.size()) break;
    RegexMatch next;
    if (!RegexFind(re, str, last, &next)) break;
    if (next.match.empty()) Fail("D1004", "Regular expression matches zero length string");
    m = next;
  }
  return out;
}

Val MatchObject(const RegexMatch& m, bool with_next_fields) {
  Val o = NewObj();
  o.obj()->Set("match", Str(m.match));
  if (with_next_fields) {
    o.obj()->Set("start", Num(static_cast<double>(m.start)));
    o.obj()->Set("end", Num(static_cast<double>(m.end)));
  } else {
    o.obj()->Set("index", Num(static_cast<double>(m.start)));
  }
  Val groups = NewArr();
  for (auto& g : m.groups) groups.arr()->items.push_back(g ? Str(*g) : Val());
  o.obj()->Set("groups", groups);
  return o;
}

const RegexData* RegexOf(const Val& v) {
  if (v.is_func() && v.func()->type == FuncData::Type::kRegex) return v.func()->regex.get();
  return nullptr;
}

size_t ByteOffset(const std::string& s, double code_points) {
  size_t i = 0;
  double n = 0;
  while (i < s.size() && n < code_points) {
    i++;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) i++;
    n++;
  }
  return i;
}

// Matches of a regex, or of a user-defined matcher function returning
// {match, start, end, groups, next} objects.
std::vector<RegexMatch> Matches(Call& c, const Val& pattern, const std::string& str, double limit) {
  if (const RegexData* re = RegexOf(pattern)) return AllMatches(*re, str, limit);
  std::vector<RegexMatch> out;
  Val m = c.ev->Apply(pattern, {Val::Str(str)}, Val(), c.env);
  while (!m.undef() && (limit < 0 || static_cast<double>(out.size()) < limit)) {
    const Val* match = m.is_obj() ? m.obj()->Find("match") : nullptr;
    const Val* start = m.is_obj() ? m.obj()->Find("start") : nullptr;
    const Val* end = m.is_obj() ? m.obj()->Find("end") : nullptr;
    if (!match || !start || !end || !match->is_str() || !start->is_num() || !end->is_num()) {
      Fail("T1010",
           "The matcher function argument passed to function does not return the correct object "
           "structure");
    }
    RegexMatch r;
    r.match = match->str();
    r.start = static_cast<size_t>(start->num());
    r.end = static_cast<size_t>(end->num());
    r.byte_start = ByteOffset(str, start->num());
    r.byte_end = ByteOffset(str, end->num());
    if (const Val* groups = m.obj()->Find("groups"); groups && groups->is_arr()) {
      for (auto& g : groups->arr()->items) {
        if (g.is_str())
          r.groups.emplace_back(g.str());
        else
          r.groups.emplace_back(std::nullopt);
      }
    }
    out.push_back(r);
    const Val* next = m.obj()->Find("next");
    if (!next || !next->is_func()) break;
    m = c.ev->Apply(*next, {}, Val(), c.env);
  }
  return out;
}

std::string Base64Encode(const std::string& in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += tbl[(n >> 18) & 63];
    out += tbl[(n >> 12) & 63];
    out += tbl[(n >> 6) & 63];
    out += tbl[n & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    out += tbl[(n >> 18) & 63];
    out += tbl[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += tbl[(n >> 18) & 63];
    out += tbl[(n >> 12) & 63];
    out += tbl[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string Base64Decode(const std::string& in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      continue;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

bool HasLoneSurrogate(const std::string& s) {
  for (size_t i = 0; i + 2 < s.size() + 0 && i < s.size(); i++) {
    if (static_cast<unsigned char>(s[i]) == 0xED && i + 1 < s.size() &&
        (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0) {
      return true;
    }
  }
  return false;
}

std::string EncodeUri(const std::string& s, const char* keep) {
  if (HasLoneSurrogate(s)) Fail("D3140", "Malformed URL passed to ${function}()");
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || (c < 0x80 && std::strchr(keep, c) && c != 0)) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string DecodeUri(const std::string& s, const char* reserved) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      Fail("D3140", "Malformed URL passed to ${function}(): " + s);
    }
    int v = std::stoi(s.substr(i + 1, 2), nullptr, 16);
    if (v < 0x80 && std::strchr(reserved, v) && v != 0) {
      out += s.substr(i, 3);
    } else {
      out.push_back(static_cast<char>(v));
    }
    i += 2;
  }
  // validate UTF-8
  size_t i = 0;
  while (i < out.size()) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > out.size())
      Fail("D3140", "Malformed URL passed to ${function}(): " + s);
    for (int k = 1; k < len; k++) {
      if ((static_cast<unsigned char>(out[i + k]) & 0xC0) != 0x80) {
        Fail("D3140", "Malformed URL passed to ${function}(): " + s);
      }
    }
    i += len;
  }
  return out;
}

std::string CaseMap(const std::string& s, bool upper) {
  std::vector<uint32_t> cps = ToCodePoints(s);
  for (auto& c : cps) {
    if (upper) {
      if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
        c -= 32;
      else if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        c -= 32;
      else if (c >= 0x430 && c <= 0x44F)
        c -= 32;
    } else {
      if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
        c += 32;
      else if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        c += 32;
      else if (c >= 0x410 && c <= 0x42F)
        c += 32;
    }
  }
  return FromCodePoints(cps, 0, cps.size());
}

Val SortValues(Call& c, const Val& arr, const Val& comparator) {
  if (arr.undef()) return Val();
  if (!arr.is_arr() || arr.arr()->items.size() <= 1) return arr;
  std::vector<Val> items = arr.arr()->items;
  std::function<bool(const Val&, const Val&)> swap;  // true: a goes after b
  if (comparator.undef()) {
    if (!IsArrayOfNumbers(arr) && !IsArrayOfStrings(arr)) {
      Fail("D3070",
           "The single argument form of the sort function can only be applied to an array of "
           "strings or an array of numbers.  Use the second argument to specify a comparison "
           "function");
    }
    swap = [](const Val& a, const Val& b) {
      return a.is_num() ? a.num() > b.num() : a.str() > b.str();
    };
  } else {
    swap = [&](const Val& a, const Val& b) {
      Val r = c.ev->Apply(comparator, {a, b}, Val(), c.env);
      return Boolean(r).value_or(false);
    };
  }
  // stable merge sort; takes from the right run only when swap(left, right)
  std::vector<Val> tmp(items.size());
  for (size_t width = 1; width < items.size(); width *= 2) {
    for (size_t lo = 0; lo < items.size(); lo += 2 * width) {
      size_t mid = std::min(lo + width, items.size());
      size_t hi = std::min(lo + 2 * width, items.size());
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (swap(items[i], items[j]))
          tmp[k++] = items[j++];
        else
          tmp[k++] = items[i++];
      }
      while (i < mid) tmp[k++] = items[i++];
      while (j < hi) tmp[k++] = items[j++];
    }
    items.swap(tmp);
  }
  return ValueOfItems(std::move(items), false);
}

Val ParseJsonText(const std::string& text) {
  asl::Value v;
  asl::JsonError e;
  if (!asl::ParseJson(text, &v, &e)) Fail("D3150", "Unable to parse JSON: " + e.message);
  return internal::FromJson(v);
}


BuiltinTable MakeStandard() {
  BuiltinTable t;
  // ---- aggregation
  Reg(&t, "sum", "<a<n>:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    double s = 0;
    for (auto& x : Items(c.Arg(0))) s += x.num();
    return Num(s);
  });
  Reg(&t, "count", "<a:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Num(0);
    return Num(static_cast<double>(Items(c.Arg(0)).size()));
  });
  auto minmax = [](bool max) {
    return [max](Call& c) -> Val {
      auto& items = Items(c.Arg(0));
      if (c.Arg(0).undef() || items.empty()) return Val();
      double r = items[0].num();
      for (auto& x : items) r = max ? std::max(r, x.num()) : std::min(r, x.num());
      return Num(r);
    };
  };
  Reg(&t, "max", "<a<n>:n>", 1, minmax(true));
  Reg(&t, "min", "<a<n>:n>", 1, minmax(false));
  Reg(&t, "average", "<a<n>:n>", 1, [](Call& c) -> Val {
    auto& items = Items(c.Arg(0));
    if (c.Arg(0).undef() || items.empty()) return Val();
    double s = 0;
    for (auto& x : items) s += x.num();
    return Num(s / static_cast<double>(items.size()));
  });
  // ---- strings
  Reg(&t, "string", "<x-b?:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    bool pretty = c.Arg(1).is_bool() && c.Arg(1).b();
    return Str(StringOf(c.Arg(0), pretty));
  });
  Reg(&t, "substring", "<s-nn?:s>", 3, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    auto cps = ToCodePoints(c.Arg(0).str());
    double len = static_cast<double>(cps.size());
    double start = c.Arg(1).num();
    if (len + start < 0) start = 0;
    if (!c.Arg(2).undef()) {
      double length = c.Arg(2).num();
      if (length <= 0) return Str("");
      double end = start >= 0 ? start + length : len + start + length;
      return Str(Slice(cps, start, end));
    }
    return Str(Slice(cps, start, len));
  });
  Reg(&t, "substringBefore", "<s-s:s>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    const std::string& s = c.Arg(0).str();
    if (c.Arg(1).undef()) return c.Arg(0);
    size_t i = s.find(c.Arg(1).str());
    return i == std::string::npos ? c.Arg(0) : Str(s.substr(0, i));
  });
  Reg(&t, "substringAfter", "<s-s:s>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    const std::string& s = c.Arg(0).str();
    if (c.Arg(1).undef()) return c.Arg(0);
    size_t i = s.find(c.Arg(1).str());
    return i == std::string::npos ? c.Arg(0) : Str(s.substr(i + c.Arg(1).str().size()));
  });
  Reg(&t, "lowercase", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(CaseMap(c.Arg(0).str(), false));
  });
  Reg(&t, "uppercase", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(CaseMap(c.Arg(0).str(), true));
  });
  Reg(&t, "length", "<s-:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Num(static_cast<double>(ToCodePoints(c.Arg(0).str()).size()));
  });
  Reg(&t, "trim", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    std::string out;
    bool ws = false;
    for (char ch : c.Arg(0).str()) {
      if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
        if (!ws) out += ' ';
        ws = true;
      } else {
        out += ch;
        ws = false;
      }
    }
    if (!out.empty() && out[0] == ' ') out.erase(0, 1);
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return Str(out);
  });
  Reg(&t, "pad", "<s-ns?:s>", 3, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    std::string ch = c.Arg(2).undef() || c.Arg(2).str().empty() ? " " : c.Arg(2).str();
    double width = c.Arg(1).num();
    auto cps = ToCodePoints(c.Arg(0).str());
    double pad_len = std::fabs(ToInteger(width)) - static_cast<double>(cps.size());
    if (pad_len <= 0) return c.Arg(0);
    if (pad_len > kMaxStringLength) Fail("U1001", "The result of $pad is too long");
    auto chs = ToCodePoints(ch);
    std::string padding;
    for (size_t i = 0; i < static_cast<size_t>(pad_len); i++)
      AppendUtf8(&padding, chs[i % chs.size()]);
    return Str(width > 0 ? c.Arg(0).str() + padding : padding + c.Arg(0).str());
  });
  Reg(&t, "contains", "<s-(sf):b>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    const std::string& s = c.Arg(0).str();
    if (c.Arg(1).is_str()) return Val::Bool(s.find(c.Arg(1).str()) != std::string::npos);
    return Val::Bool(!Matches(c, c.Arg(1), s, 1).empty());
  });
  Reg(&t, "split", "<s-(sf)n?:a<s>>", 3, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    const std::string& s = c.Arg(0).str();
    double limit = -1;
    if (!c.Arg(2).undef()) {
      limit = c.Arg(2).num();
      if (limit < 0)
        Fail("D3020", "Third argument of split function must evaluate to a positive number");
      limit = std::floor(limit);
    }
    Val out = NewArr();
    auto& items = out.arr()->items;
    if (limit == 0) return out;
    if (c.Arg(1).is_str()) {
      const std::string& sep = c.Arg(1).str();
      if (sep.empty()) {
        auto cps = ToCodePoints(s);
        for (size_t i = 0; i < cps.size(); i++) items.push_back(Str(FromCodePoints(cps, i, i + 1)));
      } else {
        size_t pos = 0;
        while (true) {
          size_t i = s.find(sep, pos);
          if (i == std::string::npos) {
            items.push_back(Str(s.substr(pos)));
            break;
          }
          items.push_back(Str(s.substr(pos, i - pos)));
          pos = i + sep.size();
        }
      }
      if (limit >= 0 && static_cast<double>(items.size()) > limit)
        items.resize(static_cast<size_t>(limit));
      return out;
    }
    auto ms = Matches(c, c.Arg(1), s, limit);
    if (ms.empty()) {
      items.push_back(c.Arg(0));
      return out;
    }
    size_t start = 0;
    for (auto& m : ms) {
      items.push_back(Str(s.substr(start, m.byte_start - start)));
      start = m.byte_end;
    }
    if (limit < 0 || static_cast<double>(ms.size()) < limit) items.push_back(Str(s.substr(start)));
    return out;
  });
  Reg(&t, "join", "<a<s>s?:s>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    std::string sep = c.Arg(1).undef() ? "" : c.Arg(1).str();
    std::string out;
    bool first = true;
    for (auto& x : Items(c.Arg(0))) {
      if (!first) out += sep;
      first = false;
      out += x.str();
    }
    return Str(out);
  });
  Reg(&t, "match", "<s-f<s:o>n?:a<o>>", 3, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    double limit = -1;
    if (!c.Arg(2).undef()) {
      limit = c.Arg(2).num();
      if (limit < 0)
        Fail("D3040", "Third argument of match function must evaluate to a positive number");
    }
    Val out = NewSeq();
    if (limit == 0) return out;
    for (auto& m : Matches(c, c.Arg(1), c.Arg(0).str(), limit)) {
      out.arr()->items.push_back(MatchObject(m, false));
    }
    return out;
  });
  Reg(&t, "replace", "<s-(sf)(sf)n?:s>", 4, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    const std::string& s = c.Arg(0).str();
    if (c.Arg(1).is_str() && c.Arg(1).str().empty()) {
      Fail("D3010", "Second argument of replace function cannot be an empty string");
    }
    double limit = -1;
    if (!c.Arg(3).undef()) {
      limit = c.Arg(3).num();
      if (limit < 0)
        Fail("D3011", "Fourth argument of replace function must evaluate to a positive number");
    }
    const Val& replacement = c.Arg(2);
    if (limit == 0) return c.Arg(0);
    auto substitute = [&](const RegexMatch& m) -> std::string {
      if (!replacement.is_str()) {
        Val r = c.ev->Apply(replacement, {MatchObject(m, true)}, Val(), c.env);
        if (!r.is_str())
          Fail("D3012", "Attempted to replace a matched string with a non-string value");
        return r.str();
      }
      const std::string& rep = replacement.str();
      std::string out;
      size_t position = 0;
      size_t index = rep.find('$', position);
      while (index != std::string::npos && position < rep.size()) {
        out += rep.substr(position, index - position);
        position = index + 1;
        char d = position < rep.size() ? rep[position] : 0;
        if (d == '$') {
          out += '$';
          position++;
        } else if (d == '0') {
          out += m.match;
          position++;
        } else {
          size_t ngroups = m.groups.size();
          size_t max_digits =
              ngroups == 0
                  ? 1
                  : static_cast<size_t>(std::floor(std::log10(static_cast<double>(ngroups)))) + 1;
          auto parse = [&](size_t digits) -> long {
            std::string sub = rep.substr(position, digits);
            size_t k = 0;
            while (k < sub.size() && std::isdigit(static_cast<unsigned char>(sub[k]))) k++;
            if (k == 0) return -1;
            return std::stol(sub.substr(0, k));
          };
          long idx = parse(max_digits);
          if (max_digits > 1 && idx > static_cast<long>(ngroups)) idx = parse(max_digits - 1);
          if (idx >= 0) {
            if (ngroups > 0 && idx >= 1 && static_cast<size_t>(idx) <= ngroups) {
              const auto& g = m.groups[static_cast<size_t>(idx) - 1];
              if (g) out += *g;
            }
            position += std::to_string(idx).size();
          } else {
            out += '$';
          }
        }
        index = rep.find('$', position);
      }
      if (position < rep.size()) out += rep.substr(position);
      return out;
    };
    std::string result;
    if (c.Arg(1).is_str()) {
      if (!replacement.is_str())
        Fail("D3012", "Attempted to replace a matched string with a non-string value");
      const std::string& pat = c.Arg(1).str();
      size_t position = 0;
      double count = 0;
      size_t index = s.find(pat, position);
      while (index != std::string::npos && (limit < 0 || count < limit)) {
        result += s.substr(position, index - position);
        result += replacement.str();
        position = index + pat.size();
        count++;
        index = s.find(pat, position);
      }
      result += s.substr(position);
      return Str(result);
    }
    auto ms = Matches(c, c.Arg(1), s, limit);
    if (ms.empty()) return c.Arg(0);
    size_t position = 0;
    for (auto& m : ms) {
      result += s.substr(position, m.byte_start - position);
      result += substitute(m);
      position = m.byte_end;
    }
    result += s.substr(position);
    return Str(result);
  });
  Reg(&t, "base64encode", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(Base64Encode(c.Arg(0).str()));
  });
  Reg(&t, "base64decode", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(Base64Decode(c.Arg(0).str()));
  });
  Reg(&t, "encodeUrlComponent", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(EncodeUri(c.Arg(0).str(), "-_.!~*'()"));
  });
  Reg(&t, "encodeUrl", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(EncodeUri(c.Arg(0).str(), "-_.!~*'();/?:@&=+$,#"));
  });
  Reg(&t, "decodeUrlComponent", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(DecodeUri(c.Arg(0).str(), ""));
  });
  Reg(&t, "decodeUrl", "<s-:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(DecodeUri(c.Arg(0).str(), ";/?:@&=+$,#"));
  });
  Reg(&t, "formatNumber", "<n-so?:s>", 3, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(FormatNumberPicture(c.Arg(0).num(), c.Arg(1).str(), c.Arg(2)));
  });
  Reg(&t, "formatBase", "<n-n?:s>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    double radix = c.Arg(1).undef() ? 10 : c.Arg(1).num();
    if (radix < 2 || radix > 36)
      Fail("D3100", "The radix of the formatBase function must be between 2 and 36");
    return Str(FormatBase(RoundHalfEven(c.Arg(0).num(), 0), static_cast<int>(radix)));
  });
  Reg(&t, "formatInteger", "<n-s:s>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(FormatInteger(c.Arg(0).num(), c.Arg(1).str()));
  });
  Reg(&t, "parseInteger", "<s-s:n>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    auto r = ParseInteger(c.Arg(0).str(), c.Arg(1).str());
    return r ? Num(*r) : Val();
  });
  // ---- numbers
  Reg(&t, "number", "<(nsb)-:n>", 1, [](Call& c) -> Val {
    const Val& a = c.Arg(0);
    if (a.undef()) return Val();
    if (a.is_num()) return a;
    if (a.is_bool()) return Num(a.b() ? 1 : 0);
    if (a.is_str()) {
      const std::string& s = a.str();
      // /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/
      size_t i = 0;
      bool ok = true;
      if (i < s.size() && s[i] == '-') i++;
      size_t d0 = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) i++;
      if (i == d0) ok = false;
      if (ok && i < s.size() && s[i] == '.') {
        i++;
        size_t d1 = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) i++;
        if (i == d1) ok = false;
      }
      if (ok && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) i++;
        size_t d2 = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) i++;
        if (i == d2) ok = false;
      }
      if (ok && i == s.size()) {
        double d = std::strtod(s.c_str(), nullptr);
        if (std::isfinite(d)) return Num(d);
      }
      if (s.size() > 2 && s[0] == '0') {
        int base = 0;
        char p = s[1];
        if (p == 'x' || p == 'X')
          base = 16;
        else if (p == 'o' || p == 'O')
          base = 8;
        else if (p == 'b' || p == 'B')
          base = 2;
        if (base) {
          bool good = true;
          double v = 0;
          for (size_t k = 2; k < s.size(); k++) {
            int dv = std::isdigit(static_cast<unsigned char>(s[k])) ? s[k] - '0'
                     : std::isxdigit(static_cast<unsigned char>(s[k]))
                         ? std::tolower(s[k]) - 'a' + 10
                         : 99;
            if (dv >= base) good = false;
            v = v * base + dv;
          }
          if (good) return Num(v);
        }
      }
    }
    Fail("D3030", "Unable to cast value to a number: " + StringOf(a));
  });
  Reg(&t, "abs", "<n-:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Num(std::fabs(c.Arg(0).num()));
  });
  Reg(&t, "floor", "<n-:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Num(std::floor(c.Arg(0).num()));
  });
  Reg(&t, "ceil", "<n-:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Num(std::ceil(c.Arg(0).num()));
  });
  Reg(&t, "round", "<n-n?:n>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    double precision = c.Arg(1).undef() ? 0 : c.Arg(1).num();
    return Num(RoundHalfEven(c.Arg(0).num(), precision));
  });
  Reg(&t, "sqrt", "<n-:n>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    if (c.Arg(0).num() < 0)
      Fail("D3060", "The sqrt function cannot be applied to a negative number");
    return Num(std::sqrt(c.Arg(0).num()));
  });
  Reg(&t, "power", "<n-n:n>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    double r = std::pow(c.Arg(0).num(), c.Arg(1).num());
    if (!std::isfinite(r))
      Fail(
          "D3061",
          "The power function has resulted in a value that cannot be represented as a JSON number");
    return Num(r);
  });
  Reg(&t, "random", "<:n>", 0, [](Call& c) -> Val {
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    return Num(dist(c.ev->rng()));
  });
  // ---- booleans
  Reg(&t, "boolean", "<x-:b>", 1, [](Call& c) -> Val {
    auto b = Boolean(c.Arg(0));
    return b ? Val::Bool(*b) : Val();
  });
  Reg(&t, "not", "<x-:b>", 1, [](Call& c) -> Val {
    auto b = Boolean(c.Arg(0));
    return b ? Val::Bool(!*b) : Val();
  });
  Reg(&t, "exists", "<x:b>", 1, [](Call& c) -> Val { return Val::Bool(!c.Arg(0).undef()); });
  // ---- arrays
  Reg(&t, "append", "<xx:a>", 2, [](Call& c) -> Val { return Append(c.Arg(0), c.Arg(1)); });
  Reg(&t, "reverse", "<a:a>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    if (Items(c.Arg(0)).size() <= 1) return c.Arg(0);
    std::vector<Val> items = Items(c.Arg(0));
    std::reverse(items.begin(), items.end());
    return ValueOfItems(std::move(items), false);
  });
  Reg(&t, "shuffle", "<a:a>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    if (Items(c.Arg(0)).size() <= 1) return c.Arg(0);
    std::vector<Val> items = Items(c.Arg(0));
    std::shuffle(items.begin(), items.end(), c.ev->rng());
    return ValueOfItems(std::move(items), false);
  });
  Reg(&t, "distinct", "<x:x>", 1, [](Call& c) -> Val {
    const Val& a = c.Arg(0);
    if (a.undef()) return Val();
    if (!a.is_arr() || a.arr()->items.size() <= 1) return a;
    std::vector<Val> out;
    for (auto& v : a.arr()->items) {
      bool found = false;
      for (auto& o : out) {
        if (DeepEqual(v, o)) {
          found = true;
          break;
        }
      }
      if (!found) out.push_back(v);
    }
    return ValueOfItems(std::move(out), a.arr()->sequence);
  });
  Reg(&t, "zip", "<a+>", 2, [](Call& c) -> Val {
    Val out = NewArr();
    if (c.args.empty()) return out;
    size_t len = SIZE_MAX;
    for (auto& a : c.args) len = std::min(len, Items(a).size());
    for (size_t i = 0; i < len; i++) {
      Val tuple = NewArr();
      for (auto& a : c.args) tuple.arr()->items.push_back(Items(a)[i]);
      out.arr()->items.push_back(tuple);
    }
    return out;
  });
  Reg(&t, "sort", "<af?:a>", 2, [](Call& c) -> Val { return SortValues(c, c.Arg(0), c.Arg(1)); });
  // ---- objects
  Reg(&t, "keys", "<x-:a<s>>", 1, [](Call& c) -> Val {
    Val out = NewSeq();
    const Val& a = c.Arg(0);
    if (a.is_arr()) {
      std::vector<std::string> seen;
      for (auto& item : a.arr()->items) {
        if (!item.is_obj()) continue;
        for (auto& m : item.obj()->members()) {
          if (std::find(seen.begin(), seen.end(), m.first) == seen.end()) seen.push_back(m.first);
        }
      }
      for (auto& k : seen) out.arr()->items.push_back(Str(k));
    } else if (a.is_obj()) {
      for (auto& m : a.obj()->members()) out.arr()->items.push_back(Str(m.first));
    }
    return out;
  });
  Reg(&t, "lookup", "<x-s:x>", 2,
      [](Call& c) -> Val { return LookupField(c.Arg(0), c.Arg(1).str()); });
  Reg(&t, "spread", "<x-:a<o>>", 1, [](Call& c) -> Val {
    std::function<Val(const Val&)> spread = [&](const Val& a) -> Val {
      if (a.is_arr()) {
        Val result = NewSeq();
        for (auto& item : a.arr()->items) result = Append(result, spread(item));
        return result;
      }
      if (a.is_obj()) {
        Val result = NewSeq();
        for (auto& m : a.obj()->members()) {
          Val o = NewObj();
          o.obj()->Set(m.first, m.second);
          result.arr()->items.push_back(o);
        }
        return result;
      }
      return a;
    };
    return spread(c.Arg(0));
  });
  Reg(&t, "merge", "<a<o>:o>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    Val out = NewObj();
    for (auto& o : Items(c.Arg(0))) {
      for (auto& m : o.obj()->members()) out.obj()->Set(m.first, m.second);
    }
    return out;
  });
  Reg(&t, "each", "<o-f:a>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    Val out = NewSeq();
    for (auto& m : c.Arg(0).obj()->members()) {
      Val r = c.ev->ApplyHof(c.Arg(1), m.second, Str(m.first), c.Arg(0), c.env);
      if (!r.undef()) out.arr()->items.push_back(r);
    }
    return out;
  });
  Reg(&t, "sift", "<o-f?:o>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    Val out = NewObj();
    for (auto& m : c.Arg(0).obj()->members()) {
      Val r = c.ev->ApplyHof(c.Arg(1), m.second, Str(m.first), c.Arg(0), c.env);
      if (Boolean(r).value_or(false)) out.obj()->Set(m.first, m.second);
    }
    if (out.obj()->members().empty()) return Val();
    return out;
  });
  Reg(&t, "error", "<s?:x>", 1, [](Call& c) -> Val {
    Fail("D3137", c.Arg(0).is_str() ? c.Arg(0).str() : "$error() function evaluated");
  });
  Reg(&t, "assert", "<bs?:x>", 2, [](Call& c) -> Val {
    if (!c.Arg(0).b()) {
      Fail("D3141", c.Arg(1).is_str() ? c.Arg(1).str() : "$assert() statement failed");
    }
    return Val();
  });
  Reg(&t, "type", "<x:s>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(TypeOfName(c.Arg(0)));
  });
  Reg(&t, "clone", "<(oa)-:o>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return ParseJsonText(StringOf(c.Arg(0)));
  });
  // ---- higher order
  Reg(&t, "map", "<af>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    Val out = NewSeq();
    auto& items = Items(c.Arg(0));
    for (size_t i = 0; i < items.size(); i++) {
      Val r = c.ev->ApplyHof(c.Arg(1), items[i], Num(static_cast<double>(i)), c.Arg(0), c.env);
      if (!r.undef()) out.arr()->items.push_back(r);
    }
    return out;
  });
  Reg(&t, "filter", "<af>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    Val out = NewSeq();
    auto& items = Items(c.Arg(0));
    for (size_t i = 0; i < items.size(); i++) {
      Val r = c.ev->ApplyHof(c.Arg(1), items[i], Num(static_cast<double>(i)), c.Arg(0), c.env);
      if (Boolean(r).value_or(false)) out.arr()->items.push_back(items[i]);
    }
    return out;
  });
  Reg(&t, "single", "<af?>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    auto& items = Items(c.Arg(0));
    bool found = false;
    Val result;
    for (size_t i = 0; i < items.size(); i++) {
      bool positive = true;
      if (!c.Arg(1).undef()) {
        Val r = c.ev->ApplyHof(c.Arg(1), items[i], Num(static_cast<double>(i)), c.Arg(0), c.env);
        positive = Boolean(r).value_or(false);
      }
      if (positive) {
        if (found)
          Fail("D3138",
               "The $single() function expected exactly 1 matching result.  Instead it matched "
               "more.");
        result = items[i];
        found = true;
      }
    }
    if (!found)
      Fail("D3139",
           "The $single() function expected exactly 1 matching result.  Instead it matched 0.");
    return result;
  });
  Reg(&t, "reduce", "<afj?:j>", 3, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    int arity = c.ev->Arity(c.Arg(1));
    if (arity < 2)
      Fail("D3050",
           "The second argument of reduce function must be a function with at least two arguments");
    auto& items = Items(c.Arg(0));
    Val result;
    size_t index;
    if (c.Arg(2).undef() && !items.empty()) {
      result = items[0];
      index = 1;
    } else {
      result = c.Arg(2);
      index = 0;
    }
    for (; index < items.size(); index++) {
      std::vector<Val> args{result, items[index]};
      if (arity >= 3) args.push_back(Num(static_cast<double>(index)));
      if (arity >= 4) args.push_back(c.Arg(0));
      result = c.ev->Apply(c.Arg(1), std::move(args), Val(), c.env);
    }
    return result;
  });
  // ---- date/time
  auto opt = [](const Val& v) -> std::optional<std::string> {
    if (v.undef()) return std::nullopt;
    return v.str();
  };
  Reg(&t, "now", "<s?s?:s>", 2, [opt](Call& c) -> Val {
    return Str(FormatDateTime(c.ev->now_ms(), opt(c.Arg(0)), opt(c.Arg(1))));
  });
  Reg(&t, "millis", "<:n>", 0, [](Call& c) -> Val { return Num(c.ev->now_ms()); });
  Reg(&t, "fromMillis", "<n-s?s?:s>", 3, [opt](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(FormatDateTime(c.Arg(0).num(), opt(c.Arg(1)), opt(c.Arg(2))));
  });
  Reg(&t, "toMillis", "<s-s?:n>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    if (c.Arg(1).undef()) {
      auto r = ParseIso8601(c.Arg(0).str());
      if (!r) Fail("D3110", "The timestamp cannot be parsed: " + c.Arg(0).str());
      return Num(*r);
    }
    auto r = ParseDateTime(c.Arg(0).str(), c.Arg(1).str(), c.ev->now_ms());
    return r ? Num(*r) : Val();
  });
  Reg(&t, "eval", "<sx?:x>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    Val input = c.args.size() > 1 && !c.Arg(1).undef() ? c.Arg(1) : c.input;
    if (c.args.size() > 1 && c.Arg(1).undef()) input = c.input;
    return c.ev->EvalText(c.Arg(0).str(), input, c.env);
  });
  return t;
}

}  // namespace

const BuiltinTable& StandardLibrary() {
  static const BuiltinTable table = MakeStandard();
  return table;
}

namespace {

std::string HashHex(const std::string& data, const std::string& algorithm) {
  const EVP_MD* md = nullptr;
  if (algorithm == "MD5")
    md = EVP_md5();
  else if (algorithm == "SHA-1")
    md = EVP_sha1();
  else if (algorithm == "SHA-256")
    md = EVP_sha256();
  else if (algorithm == "SHA-384")
    md = EVP_sha384();
  else if (algorithm == "SHA-512")
    md = EVP_sha512();
  if (!md) Fail("D3137", "Unsupported hash algorithm: " + algorithm);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; i++) {
    std::snprintf(buf, sizeof(buf), "%02x", out[i]);
    hex += buf;
  }
  return hex;
}

BuiltinTable MakeAws() {
  BuiltinTable t;
  Reg(&t, "partition", "<an:a>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    double size = c.Arg(1).num();
    if (size < 1 || std::floor(size) != size)
      Fail("D3137", "The chunk size must be a positive integer");
    Val out = NewArr();
    auto& items = Items(c.Arg(0));
    for (size_t i = 0; i < items.size(); i += static_cast<size_t>(size)) {
      Val chunk = NewArr();
      for (size_t k = i; k < items.size() && k < i + static_cast<size_t>(size); k++) {
        chunk.arr()->items.push_back(items[k]);
      }
      out.arr()->items.push_back(chunk);
    }
    return out;
  });
  Reg(&t, "range", "<nnn:a>", 3, [](Call& c) -> Val {
    double start = c.Arg(0).num(), end = c.Arg(1).num(), step = c.Arg(2).num();
    if (step == 0) Fail("D3137", "The step of $range must not be zero");
    Val out = NewArr();
    for (double x = start; step > 0 ? x <= end : x >= end; x += step) {
      if (out.arr()->items.size() >= 1000000) Fail("D3137", "$range produces too many items");
      out.arr()->items.push_back(Num(x));
    }
    return out;
  });
  Reg(&t, "hash", "<ss?:s>", 2, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return Str(HashHex(c.Arg(0).str(), c.Arg(1).undef() ? "SHA-256" : c.Arg(1).str()));
  });
  Reg(&t, "random", "<n?:n>", 1, [](Call& c) -> Val {
    if (!c.Arg(0).undef()) {
      std::mt19937_64 seeded(static_cast<uint64_t>(c.Arg(0).num()));
      return Num(std::uniform_real_distribution<double>(0.0, 1.0)(seeded));
    }
    return Num(std::uniform_real_distribution<double>(0.0, 1.0)(c.ev->rng()));
  });
  Reg(&t, "uuid", "<:s>", 0, [](Call& c) -> Val {
    unsigned char b[16];
    for (auto& x : b) x = static_cast<unsigned char>(c.ev->rng()() & 0xFF);
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    char buf[40];
    std::snprintf(buf, sizeof(buf),
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return Str(buf);
  });
  Reg(&t, "parse", "<s:j>", 1, [](Call& c) -> Val {
    if (c.Arg(0).undef()) return Val();
    return ParseJsonText(c.Arg(0).str());
  });
  return t;
}

}  // namespace

const BuiltinTable& AwsLibrary() {
  static const BuiltinTable table = MakeAws();
  return table;
}

}  // namespace stepflow::asl::jsonata::internal

// Date/time support for JSONata ($now, $fromMillis, $toMillis): ISO 8601 and
// XPath F&O 9.8 picture strings, formatted and parsed in UTC with an optional
// +hhmm offset, following jsonata-js src/datetime.js.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cmath>
#include <cstring>
#include <map>

#include "jsonata/format.h"

namespace stepflow::asl::jsonata::internal {

namespace {

const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                         "July",    "August",   "September", "October", "November", "December"};
const char* kDays[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr double kDay = 86400000.0;

// days since 1970-01-01 of a civil date (proleptic Gregorian)
double DaysFromCivil(double y, double m, double d) {
  y -= m <= 2;
  double era = std::floor(y / 400);
  double yoe = y - era * 400;
  double doy = std::floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  double doe = yoe * 365 + std::floor(yoe / 4) - std::floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  double year, month, day;  // month 1-12
};

Civil CivilFromDays(double z) {
  z += 719468;
  double era = std::floor(z / 146097);
  double doe = z - era * 146097;
  double yoe = std::floor((doe - std::floor(doe / 1460) + std::floor(doe / 36524) - std::floor(doe / 146096)) / 365);
  double y = yoe + era * 400;
  double doy = doe - (365 * yoe + std::floor(yoe / 4) - std::floor(yoe / 100));
  double mp = std::floor((5 * doy + 2) / 153);
  double d = doy - std::floor((153 * mp + 2) / 5) + 1;
  double m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

// Date.UTC with month 0-based and overflow normalisation.
double DateUtc(double y, double mon0, double d = 1, double h = 0, double mi = 0, double s = 0, double ms = 0) {
  y += std::floor(mon0 / 12);
  mon0 = std::fmod(mon0, 12);
  if (mon0 < 0) mon0 += 12;
  double days = DaysFromCivil(y, mon0 + 1, 1) + d - 1;
  return days * kDay + h * 3600000 + mi * 60000 + s * 1000 + ms;
}

struct DateParts {
  double millis;
  double year, month0, day, hours, minutes, seconds, ms, weekday;  // weekday 0=Sunday
};

DateParts Split(double millis) {
  DateParts p;
  p.millis = millis;
  double days = std::floor(millis / kDay);
  double rem = millis - days * kDay;
  Civil c = CivilFromDays(days);
  p.year = c.year;
  p.month0 = c.month - 1;
  p.day = c.day;
  p.hours = std::floor(rem / 3600000);
  p.minutes = std::floor(std::fmod(rem, 3600000) / 60000);
  p.seconds = std::floor(std::fmod(rem, 60000) / 1000);
  p.ms = std::fmod(rem, 1000);
  double wd = std::fmod(days + 4, 7);
  if (wd < 0) wd += 7;
  p.weekday = wd;
  return p;
}

double StartOfFirstWeek(double year, double month0) {
  double jan1 = DateUtc(year, month0);
  double day = Split(jan1).weekday;
  if (day == 0) day = 7;
  return day > 4 ? jan1 + (8 - day) * kDay : jan1 - (day - 1) * kDay;
}

double DeltaWeeks(double start, double end) { return (end - start) / (kDay * 7) + 1; }

struct YearMonth {
  double year, month;
  YearMonth Next() const { return month == 11 ? YearMonth{year + 1, 0} : YearMonth{year, month + 1}; }
  YearMonth Prev() const { return month == 0 ? YearMonth{year - 1, 11} : YearMonth{year, month - 1}; }
};

struct Width {
  std::optional<int> min, max;
};

struct Part {
  bool literal = false;
  std::string value;  // literal text
  char component = 0;
  std::string presentation1, presentation2;
  bool ordinal = false;
  std::optional<TCase> names;
  std::optional<IntegerFormat> integer_format;
  std::optional<Width> width;
  int n = -1;
};

const std::map<char, std::string>& DefaultPresentation() {
  static const std::map<char, std::string> m = {
      {'Y', "1"}, {'M', "1"}, {'D', "1"}, {'d', "1"}, {'F', "n"}, {'W', "1"}, {'w', "1"},
      {'X', "1"}, {'x', "1"}, {'H', "1"}, {'h', "1"}, {'P', "n"}, {'m', "01"}, {'s', "01"},
      {'f', "1"}, {'Z', "01:01"}, {'z', "01:01"}, {'C', "n"}, {'E', "n"}};
  return m;
}

std::vector<Part> AnalyseDateTimePicture(const std::string& picture) {
  std::vector<Part> spec;
  auto add_literal = [&](size_t start, size_t end) {
    if (end > start) {
      std::string lit = picture.substr(start, end - start);
      std::string out;
      for (size_t i = 0; i < lit.size(); i++) {
        if (lit[i] == ']' && i + 1 < lit.size() && lit[i + 1] == ']') i++;
        out += lit[i];
      }
      Part p;
      p.literal = true;
      p.value = out;
      spec.push_back(p);
    }
  };
  size_t start = 0, pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == '[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == '[') {
        add_literal(start, pos);
        Part p;
        p.literal = true;
        p.value = "[";
        spec.push_back(p);
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(start, pos);
      start = pos;
      pos = picture.find(']', start);
      if (pos == std::string::npos) Fail("D3135", "No matching closing bracket ']' in date/time picture string");
      std::string raw = picture.substr(start + 1, pos - start - 1);
      std::string marker;
      for (char c : raw) {
        if (!std::isspace(static_cast<unsigned char>(c))) marker += c;
      }
      Part def;
      def.component = marker.empty() ? 0 : marker[0];
      size_t comma = marker.rfind(',');
      std::string pres;
      if (comma != std::string::npos) {
        std::string wm = marker.substr(comma + 1);
        size_t dash = wm.find('-');
        std::string min_s, max_s;
        bool has_max = false;
        if (dash == std::string::npos) {
          min_s = wm;
        } else {
          min_s = wm.substr(0, dash);
          max_s = wm.substr(dash + 1);
          has_max = true;
        }
        auto parse_width = [](const std::string& w, bool present) -> std::optional<int> {
          if (!present || w == "*") return std::nullopt;
          size_t k = 0;
          while (k < w.size() && std::isdigit(static_cast<unsigned char>(w[k]))) k++;
          if (k == 0) return std::nullopt;
          return std::atoi(w.c_str());
        };
        def.width = Width{parse_width(min_s, true), parse_width(max_s, has_max)};
        pres = marker.substr(1, comma - 1);
      } else {
        pres = marker.size() > 1 ? marker.substr(1) : "";
      }
      if (ToCodePoints(pres).size() == 1) {
        def.presentation1 = pres;
      } else if (pres.size() > 1) {
        char last = pres.back();
        if (std::strchr("atco", last)) {
          def.presentation2 = std::string(1, last);
          if (last == 'o') def.ordinal = true;
          def.presentation1 = pres.substr(0, pres.size() - 1);
        } else {
          def.presentation1 = pres;
        }
      } else {
        auto it = DefaultPresentation().find(def.component);
        if (it == DefaultPresentation().end()) {
          Fail("D3132", std::string("Unknown component specifier ") + def.component + " in date/time picture string");
        }
        def.presentation1 = it->second;
      }
      if (def.presentation1[0] == 'n') {
        def.names = TCase::kLower;
      } else if (def.presentation1[0] == 'N') {
        def.names = def.presentation1.size() > 1 && def.presentation1[1] == 'n' ? TCase::kTitle : TCase::kUpper;
      } else if (def.component && std::strchr("YMDdFWwXxHhmsf", def.component)) {
        std::string pattern = def.presentation1;
        if (!def.presentation2.empty()) pattern += ";" + def.presentation2;
        def.integer_format = AnalyseIntegerPicture(pattern);
        if (def.width && def.width->min && def.integer_format->mandatory_digits < *def.width->min) {
          def.integer_format->mandatory_digits = *def.width->min;
        }
        if (def.component == 'Y') {
          def.n = -1;
          if (def.width && def.width->max) {
            def.n = *def.width->max;
            def.integer_format->mandatory_digits = def.n;
          } else {
            int w = def.integer_format->mandatory_digits + def.integer_format->optional_digits;
            if (w >= 2) def.n = w;
          }
        }
      }
      if (def.component == 'Z' || def.component == 'z') def.integer_format = AnalyseIntegerPicture(def.presentation1);
      spec.push_back(def);
      start = pos + 1;
    }
    pos++;
  }
  add_literal(start, pos);
  return spec;
}

// getDateTimeFragment: a number, or a string for P/C/E.
struct Fragment {
  double num = 0;
  std::string str;
};

Fragment DateTimeFragment(const DateParts& d, char component) {
  Fragment f;
  switch (component) {
    case 'Y': f.num = d.year; break;
    case 'M': f.num = d.month0 + 1; break;
    case 'D': f.num = d.day; break;
    case 'd': {
      double first = DateUtc(d.year, 0);
      f.num = std::floor((d.millis - first) / kDay) + 1;
      break;
    }
    case 'F': f.num = d.weekday == 0 ? 7 : d.weekday; break;
    case 'W': {
      YearMonth ym{d.year, 0};
      double start1 = StartOfFirstWeek(ym.year, ym.month);
      double today = DateUtc(d.year, d.month0, d.day);
      double week = DeltaWeeks(start1, today);
      if (week > 52) {
        YearMonth next{d.year + 1, 0};
        if (today >= StartOfFirstWeek(next.year, next.month)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(d.year - 1, 0), today);
      }
      f.num = std::floor(week);
      break;
    }
    case 'w': {
      YearMonth ym{d.year, d.month0};
      double start1 = StartOfFirstWeek(ym.year, ym.month);
      double today = DateUtc(ym.year, ym.month, d.day);
      double week = DeltaWeeks(start1, today);
      if (week > 4) {
        YearMonth next = ym.Next();
        if (today >= StartOfFirstWeek(next.year, next.month)) week = 1;
      } else if (week < 1) {
        YearMonth prev = ym.Prev();
        week = DeltaWeeks(StartOfFirstWeek(prev.year, prev.month), today);
      }
      f.num = std::floor(week);
      break;
    }
    case 'X': {
      double start = StartOfFirstWeek(d.year, 0);
      double end = StartOfFirstWeek(d.year + 1, 0);
      if (d.millis < start) f.num = d.year - 1;
      else if (d.millis >= end) f.num = d.year + 1;
      else f.num = d.year;
      break;
    }
    case 'x': {
      YearMonth ym{d.year, d.month0};
      double start = StartOfFirstWeek(ym.year, ym.month);
      YearMonth next = ym.Next();
      double end = StartOfFirstWeek(next.year, next.month);
      if (d.millis < start) f.num = ym.Prev().month + 1;
      else if (d.millis >= end) f.num = next.month + 1;
      else f.num = ym.month + 1;
      break;
    }
    case 'H': f.num = d.hours; break;
    case 'h': {
      double h = std::fmod(d.hours, 12);
      f.num = h == 0 ? 12 : h;
      break;
    }
    case 'P': f.str = d.hours >= 12 ? "pm" : "am"; break;
    case 'm': f.num = d.minutes; break;
    case 's': f.num = d.seconds; break;
    case 'f': f.num = d.ms; break;
    case 'C': f.str = "ISO"; break;
    case 'E': f.str = "ISO"; break;
    default: break;
  }
  return f;
}

std::string CaseOf(std::string s, TCase c) {
  if (c == TCase::kUpper) {
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  } else if (c == TCase::kLower) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return s;
}

}  // namespace

std::string FormatDateTime(double millis, const std::optional<std::string>& picture,
                           const std::optional<std::string>& timezone) {
  double offset_hours = 0, offset_minutes = 0;
  if (timezone) {
    // parseInt semantics: leading sign and digits
    const std::string& tz = *timezone;
    size_t i = 0;
    while (i < tz.size() && std::isspace(static_cast<unsigned char>(tz[i]))) i++;
    size_t start = i;
    if (i < tz.size() && (tz[i] == '+' || tz[i] == '-')) i++;
    size_t digits = i;
    while (i < tz.size() && std::isdigit(static_cast<unsigned char>(tz[i]))) i++;
    if (i > digits) {
      double offset = std::strtod(tz.substr(start, i - start).c_str(), nullptr);
      offset_hours = std::floor(offset / 100);
      offset_minutes = std::fmod(offset, 100);
    }
  }
  static const std::vector<Part> kIso = AnalyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
  std::vector<Part> spec = picture ? AnalyseDateTimePicture(*picture) : kIso;
  double offset = (offset_hours * 60 + offset_minutes) * 60 * 1000;
  DateParts date = Split(millis + offset);
  std::string result;
  for (const Part& part : spec) {
    if (part.literal) {
      result += part.value;
      continue;
    }
    Fragment frag = DateTimeFragment(date, part.component);
    std::string value;
    char c = part.component;
    if (c && std::strchr("YMDdFWwXxHhms", c)) {
      double v = frag.num;
      if (c == 'Y' && part.n != -1) v = std::fmod(v, std::pow(10, part.n));
      if (part.names) {
        if (c == 'M' || c == 'x') {
          value = kMonths[static_cast<int>(v) - 1];
        } else if (c == 'F') {
          value = kDays[static_cast<int>(v)];
        } else {
          Fail("D3133", std::string("The 'name' modifier can only be applied to months and days in the date/time picture string, not ") + c);
        }
        value = CaseOf(value, *part.names);
        if (part.width && part.width->max && static_cast<int>(value.size()) > *part.width->max) {
          value = value.substr(0, static_cast<size_t>(*part.width->max));
        }
      } else {
        value = FormatIntegerWith(v, *part.integer_format);
      }
    } else if (c == 'f') {
      value = FormatIntegerWith(frag.num, *part.integer_format);
    } else if (c == 'Z' || c == 'z') {
      double off = offset_hours * 100 + offset_minutes;
      const IntegerFormat& fmt = *part.integer_format;
      if (fmt.regular) {
        value = FormatIntegerWith(off, fmt);
      } else {
        int digits = fmt.mandatory_digits;
        if (digits == 1 || digits == 2) {
          value = FormatIntegerWith(offset_hours, fmt);
          if (offset_minutes != 0) value += ":" + FormatInteger(offset_minutes, "00");
        } else if (digits == 3 || digits == 4) {
          value = FormatIntegerWith(off, fmt);
        } else {
          Fail("D3134", "The timezone integer format specifier cannot have more than four digits");
        }
      }
      if (off >= 0) value = "+" + value;
      if (c == 'z') value = "GMT" + value;
      if (off == 0 && part.presentation2 == "t") value = "Z";
    } else if (c == 'P') {
      value = frag.str;
      if (part.names && *part.names == TCase::kUpper) value = CaseOf(value, TCase::kUpper);
    } else {
      value = frag.str;
    }
    result += value;
  }
  return result;
}

// ---------------------------------------------------------------- parsing

namespace {

std::string EscapeRegex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::strchr(".*+?^${}()|[]\\", c) && c != 0) out += '\\';
    out += c;
  }
  return out;
}

struct MatchPart {
  std::string regex;
  char component = 0;
  std::function<std::optional<double>(const std::string&)> parse;
};

}  // namespace

std::optional<double> ParseDateTime(const std::string& timestamp, const std::string& picture, double now_ms) {
  std::vector<Part> spec = AnalyseDateTimePicture(picture);
  std::vector<MatchPart> parts;
  for (const Part& part : spec) {
    MatchPart res;
    if (part.literal) {
      res.regex = EscapeRegex(part.value);
    } else if (part.component == 'Z' || part.component == 'z') {
      bool separator = false;
      const IntegerFormat& fmt = *part.integer_format;
      if (!fmt.regular && !fmt.separators.empty()) separator = true;
      if (fmt.regular && !fmt.separators.empty()) separator = true;
      res.regex = std::string(part.component == 'z' ? "GMT" : "") + "[-+][0-9]+" + (separator ? ":[0-9]+" : "");
      bool is_z = part.component == 'z';
      res.parse = [is_z, separator](const std::string& raw) -> std::optional<double> {
        std::string value = is_z ? raw.substr(3) : raw;
        double hours = 0, minutes = 0;
        if (separator) {
          size_t c = value.find(':');
          hours = std::strtod(value.substr(0, c).c_str(), nullptr);
          minutes = std::strtod(value.substr(c + 1).c_str(), nullptr);
        } else {
          size_t digits = value.size() - 1;
          if (digits <= 2) {
            hours = std::strtod(value.c_str(), nullptr);
          } else {
            hours = std::strtod(value.substr(0, 3).c_str(), nullptr);
            minutes = std::strtod(value.substr(3).c_str(), nullptr);
          }
        }
        return hours * 60 + minutes;
      };
    } else if (part.integer_format) {
      IntegerMatcher m = IntegerMatcherFor(*part.integer_format);
      res.regex = m.regex;
      res.parse = m.parse;
    } else {
      res.regex = "[a-zA-Z]+";
      std::map<std::string, double> lookup;
      int max = part.width && part.width->max ? *part.width->max : -1;
      if (part.component == 'M' || part.component == 'x') {
        for (int i = 0; i < 12; i++) {
          std::string name = kMonths[i];
          lookup[max > 0 ? name.substr(0, static_cast<size_t>(max)) : name] = i + 1;
        }
      } else if (part.component == 'F') {
        for (int i = 1; i <= 7; i++) {
          std::string name = kDays[i];
          lookup[max > 0 ? name.substr(0, static_cast<size_t>(max)) : name] = i;
        }
      } else if (part.component == 'P') {
        lookup = {{"am", 0}, {"AM", 0}, {"pm", 1}, {"PM", 1}};
      } else {
        Fail("D3133", std::string("The 'name' modifier can only be applied to months and days in the date/time picture string, not ") + part.component);
      }
      res.parse = [lookup](const std::string& v) -> std::optional<double> {
        auto it = lookup.find(v);
        if (it == lookup.end()) return std::nullopt;
        return it->second;
      };
    }
    res.component = part.component;
    parts.push_back(res);
  }
  std::string full = "^";
  for (auto& p : parts) full += "(" + p.regex + ")";
  full += "$";
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(full.data()), full.size(), PCRE2_CASELESS | PCRE2_UTF,
                                   &errcode, &erroff, nullptr);
  if (!code) return std::nullopt;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(timestamp.data()), timestamp.size(), 0, 0, md, nullptr);
  std::vector<std::string> groups;
  if (rc >= 0) {
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    for (size_t i = 1; i <= parts.size(); i++) {
      if (static_cast<int>(i) < rc && ov[2 * i] != PCRE2_UNSET) {
        groups.push_back(timestamp.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
      } else {
        groups.push_back("");
      }
    }
  }
  pcre2_match_data_free(md);
  pcre2_code_free(code);
  if (rc < 0) return std::nullopt;

  std::map<char, std::optional<double>> comps;
  for (size_t i = 0; i < parts.size(); i++) {
    if (parts[i].parse) comps[parts[i].component] = parts[i].parse(groups[i]);
  }
  if (comps.empty()) return std::nullopt;
  auto has = [&](char c) {
    auto it = comps.find(c);
    return it != comps.end() && it->second.has_value() && !std::isnan(*it->second);
  };
  auto get = [&](char c) { return *comps[c]; };
  if (has('X') || has('x') || has('W') || has('w')) {
    Fail("D3136", "The date/time picture string is missing specified components");
  }
  // time: 12h clock to 24h
  if (has('h')) {
    double h = get('h') == 12 ? 0 : get('h');
    if (has('P') && get('P') == 1) h += 12;
    comps['H'] = h;
  }
  DateParts now = Split(now_ms);
  // line up Y M D H m s f (or Y d H m s f); gaps are errors, the left side
  // defaults to now, the right side to the start of the period
  bool day_of_year = has('d');
  std::vector<char> order = day_of_year ? std::vector<char>{'Y', 'd', 'H', 'm', 's', 'f'}
                                        : std::vector<char>{'Y', 'M', 'D', 'H', 'm', 's', 'f'};
  int first = -1, last = -1;
  for (size_t i = 0; i < order.size(); i++) {
    if (has(order[i])) {
      if (first < 0) first = static_cast<int>(i);
      last = static_cast<int>(i);
    }
  }
  if (first < 0) return std::nullopt;
  for (int i = first; i <= last; i++) {
    if (!has(order[static_cast<size_t>(i)])) {
      Fail("D3136", "The date/time picture string is missing specified components");
    }
  }
  std::map<char, double> v;
  for (size_t i = 0; i < order.size(); i++) {
    char c = order[i];
    if (has(c)) {
      v[c] = get(c);
    } else if (static_cast<int>(i) < first) {
      switch (c) {
        case 'Y': v[c] = now.year; break;
        case 'M': v[c] = now.month0 + 1; break;
        case 'D': v[c] = now.day; break;
        case 'd': v[c] = 1; break;
        case 'H': v[c] = now.hours; break;
        case 'm': v[c] = now.minutes; break;
        case 's': v[c] = now.seconds; break;
        default: v[c] = 0;
      }
    } else {
      v[c] = (c == 'M' || c == 'D' || c == 'd') ? 1 : 0;
    }
  }
  double millis;
  if (day_of_year) {
    millis = DateUtc(v['Y'], 0) + (v['d'] - 1) * kDay + v['H'] * 3600000 + v['m'] * 60000 + v['s'] * 1000 + v['f'];
  } else {
    millis = DateUtc(v['Y'], v['M'] - 1, v['D'], v['H'], v['m'], v['s'], v['f']);
  }
  if (has('Z')) millis -= get('Z') * 60 * 1000;
  else if (has('z')) millis -= get('z') * 60 * 1000;
  return millis;
}

std::optional<double> ParseIso8601(const std::string& ts) {
  // /^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$/
  size_t i = 0;
  auto digits = [&](size_t n, double* out) {
    if (i + n > ts.size()) return false;
    double v = 0;
    for (size_t k = 0; k < n; k++) {
      if (!std::isdigit(static_cast<unsigned char>(ts[i + k]))) return false;
      v = v * 10 + (ts[i + k] - '0');
    }
    *out = v;
    i += n;
    return true;
  };
  double y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0, off = 0;
  if (!digits(4, &y)) return std::nullopt;
  if (i < ts.size() && ts[i] == '-') {
    i++;
    if (!digits(2, &mo)) return std::nullopt;
    if (i < ts.size() && ts[i] == '-') {
      i++;
      if (!digits(2, &d)) return std::nullopt;
    }
  }
  if (i < ts.size() && ts[i] == 'T') {
    i++;
    if (!digits(2, &h) || i >= ts.size() || ts[i++] != ':' || !digits(2, &mi) || i >= ts.size() ||
        ts[i++] != ':' || !digits(2, &s)) {
      return std::nullopt;
    }
  }
  if (i < ts.size() && ts[i] == '.') {
    i++;
    size_t start = i;
    while (i < ts.size() && std::isdigit(static_cast<unsigned char>(ts[i]))) i++;
    if (i == start) return std::nullopt;
    std::string frac = ts.substr(start, i - start);
    ms = std::floor(std::strtod(("0." + frac).c_str(), nullptr) * 1000 + 1e-9);
  }
  if (i < ts.size()) {
    if (ts[i] == 'Z') {
      i++;
    } else if (ts[i] == '+' || ts[i] == '-') {
      int sign = ts[i] == '-' ? -1 : 1;
      i++;
      double oh = 0, om = 0;
      if (!digits(2, &oh)) return std::nullopt;
      if (i < ts.size() && ts[i] == ':') i++;
      if (!digits(2, &om)) return std::nullopt;
      off = sign * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (i != ts.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 59) return std::nullopt;
  return DateUtc(y, mo - 1, d, h, mi, s, ms) - off * 60000;
}

}  // namespace stepflow::asl::jsonata::internal

// Regular expressions for JSONata regex literals and signature validation, on
// PCRE2 with options chosen to approximate ECMAScript semantics, and with match
// and depth limits so a hostile pattern cannot run away.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <unordered_map>

#include "jsonata/eval.h"

namespace stepflow::asl::jsonata::internal {

struct RegexData {
  std::shared_ptr<pcre2_code> code;
  std::string pattern;
  std::string flags;
};

namespace {

std::shared_ptr<pcre2_code> Compile(const std::string& pattern, uint32_t options, int position) {
  int errcode = 0;
  PCRE2_SIZE erroffset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &errcode, &erroffset, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(errcode, buf, sizeof(buf));
    Fail("S0303", std::string("Invalid regular expression: ") + reinterpret_cast<char*>(buf), position,
         pattern);
  }
  return std::shared_ptr<pcre2_code>(code, pcre2_code_free);
}

size_t CodePointIndex(const std::string& s, size_t byte_offset) {
  size_t n = 0;
  for (size_t i = 0; i < byte_offset && i < s.size(); i++) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) n++;
  }
  return n;
}

}  // namespace

std::shared_ptr<RegexData> CompileRegex(const std::string& pattern, const std::string& flags,
                                        int position) {
  auto re = std::make_shared<RegexData>();
  re->pattern = pattern;
  re->flags = flags;
  uint32_t options = PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
  if (flags.find('i') != std::string::npos) options |= PCRE2_CASELESS;
  if (flags.find('m') != std::string::npos) options |= PCRE2_MULTILINE;
  re->code = Compile(pattern, options, position);
  return re;
}

bool RegexFind(const RegexData& re, const std::string& subject, size_t from, RegexMatch* out) {
  if (from > subject.size()) return false;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re.code.get(), nullptr);
  pcre2_match_context* mc = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(mc, 10000000);
  pcre2_set_depth_limit(mc, 100000);
  int rc = pcre2_match(re.code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), from,
                       0, md, mc);
  pcre2_match_context_free(mc);
  if (rc < 0) {
    pcre2_match_data_free(md);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
      Fail("U1001", "Regular expression match exceeded its limits");
    }
    return false;
  }
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  out->byte_start = ov[0];
  out->byte_end = ov[1];
  out->match = subject.substr(ov[0], ov[1] - ov[0]);
  out->start = CodePointIndex(subject, ov[0]);
  out->end = out->start + CodePointIndex(out->match, out->match.size());
  out->groups.clear();
  uint32_t count = pcre2_get_ovector_count(md);
  uint32_t captures = 0;
  pcre2_pattern_info(re.code.get(), PCRE2_INFO_CAPTURECOUNT, &captures);
  for (uint32_t i = 1; i <= captures; i++) {
    if (i < count && static_cast<int>(i) < rc && ov[2 * i] != PCRE2_UNSET) {
      out->groups.emplace_back(subject.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
    } else {
      out->groups.emplace_back(std::nullopt);
    }
  }
  pcre2_match_data_free(md);
  return true;
}

// ---------------------------------------------------------------- signatures

namespace {

struct SigMatch {
  bool ok = false;
  std::vector<std::string> groups;
};

SigMatch MatchSig(const std::string& regex, const std::string& subject) {
  SigMatch r;
  // Signatures are few; compile each pattern once per thread.
  thread_local std::unordered_map<std::string, std::shared_ptr<pcre2_code>> cache;
  auto it = cache.find(regex);
  if (it == cache.end()) it = cache.emplace(regex, Compile(regex, 0, 0)).first;
  const auto& code = it->second;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code.get(), nullptr);
  int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                       md, nullptr);
  if (rc >= 0) {
    r.ok = true;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    uint32_t captures = 0;
    pcre2_pattern_info(code.get(), PCRE2_INFO_CAPTURECOUNT, &captures);
    for (uint32_t i = 0; i <= captures; i++) {
      if (static_cast<int>(i) < rc && ov[2 * i] != PCRE2_UNSET) {
        r.groups.push_back(subject.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
      } else {
        r.groups.push_back("");
      }
    }
  }
  pcre2_match_data_free(md);
  return r;
}

}  // namespace

void CompileSignature(Signature* sig) {
  sig->compiled = std::static_pointer_cast<const void>(Compile(sig->regex, 0, 0));
}

std::vector<Val> ValidateArgs(const Signature& sig, const std::vector<Val>& args, const Val& context) {
  std::string supplied;
  supplied.reserve(args.size());
  for (auto& a : args) supplied += TypeLetter(a)[0];
  SigMatch m;
  if (sig.compiled) {
    auto* code = static_cast<pcre2_code*>(const_cast<void*>(sig.compiled.get()));
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(supplied.data()), supplied.size(), 0, 0, md, nullptr);
    if (rc >= 0) {
      m.ok = true;
      PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
      for (size_t i = 0; i <= sig.params.size(); i++) {
        if (static_cast<int>(i) < rc && ov[2 * i] != PCRE2_UNSET) {
          m.groups.push_back(supplied.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
        } else {
          m.groups.push_back("");
        }
      }
    }
    pcre2_match_data_free(md);
  } else {
    m = MatchSig(sig.regex, supplied);
  }
  if (!m.ok) {
    std::string partial = "^";
    size_t good_to = 0;
    for (auto& p : sig.params) {
      partial += p.regex;
      SigMatch pm = MatchSig(partial, supplied);
      if (!pm.ok) {
        Fail("T0410", "Argument " + std::to_string(good_to + 1) + " of function does not match function signature");
      }
      good_to = pm.groups[0].size();
    }
    Fail("T0410", "Argument " + std::to_string(good_to + 1) + " of function does not match function signature");
  }
  std::vector<Val> validated;
  size_t arg_index = 0;
  for (size_t index = 0; index < sig.params.size(); index++) {
    const auto& param = sig.params[index];
    const std::string& match = m.groups[index + 1];
    if (match.empty()) {
      if (param.context && !param.context_regex.empty()) {
        std::string ctype = TypeLetter(context);
        SigMatch cm = MatchSig("^" + param.context_regex + "$", ctype);
        if (cm.ok) {
          validated.push_back(context);
        } else {
          Fail("T0411", "Context value is not a compatible type with argument " + std::to_string(arg_index + 1));
        }
      } else {
        validated.push_back(arg_index < args.size() ? args[arg_index] : Val());
        arg_index++;
      }
    } else {
      for (char single : match) {
        Val arg = arg_index < args.size() ? args[arg_index] : Val();
        if (param.type == 'a') {
          if (single == 'm') {
            arg = Val();
          } else {
            bool ok = true;
            if (!param.subtype.empty()) {
              if (single != 'a' && match != param.subtype) {
                ok = false;
              } else if (single == 'a') {
                auto& items = arg.arr()->items;
                if (!items.empty()) {
                  std::string item_type = TypeLetter(items[0]);
                  if (item_type[0] != param.subtype[0]) {
                    ok = false;
                  } else {
                    for (auto& it : items) {
                      if (TypeLetter(it) != item_type) ok = false;
                    }
                  }
                }
              }
            }
            if (!ok) {
              Fail("T0412", "Argument " + std::to_string(arg_index + 1) +
                                " of function must be an array of the required type");
            }
            if (single != 'a') {
              Val wrapped = NewArr();
              wrapped.arr()->items.push_back(arg);
              arg = wrapped;
            }
          }
        }
        validated.push_back(arg);
        arg_index++;
      }
    }
  }
  return validated;
}

}  // namespace stepflow::asl::jsonata::internal

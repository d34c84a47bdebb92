#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/asl/eval.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// A JSONPath as AWS Step Functions evaluates it (Jayway JsonPath semantics), parsed
// once at load. Root is `$` (state input), `$$` (context object) or `$name`
// (a variable). A path is *definite* when it has only member names and single
// indexes: it names at most one value (a reference path). Wildcards, slices, unions,
// `..` and filters make it indefinite: it yields a list of every match.
class Path {
 public:
  enum class Root { kInput, kContext, kVariable };

  Path();
  ~Path();
  Path(const Path&);
  Path& operator=(const Path&);
  Path(Path&&) noexcept;
  Path& operator=(Path&&) noexcept;

  // Parses `text`. Returns false and sets `error` to a message saying what is
  // wrong and where, e.g. "unexpected ']' at offset 4".
  static bool Parse(std::string_view text, Path* out, std::string* error);

  const std::string& text() const;
  Root root() const;
  const std::string& variable_name() const;  // when root() == kVariable
  bool is_definite() const;
  // True for `$` alone (or `$$` / `$name` alone).
  bool is_root_only() const;

  // Evaluates against `root` (the value `$`, `$$` or `$name` stands for).
  // Evaluate and Assign are const: one Path may serve many threads at once.
  // Definite path: the value it names, or false with `error` in Jayway's words:
  //   "No results for path: $['a']['b']" when the last step is missing,
  //   "Missing property in path $['a']" when an intermediate step is missing.
  // Indefinite path: always true; `out` is an array of every match (maybe empty).
  // As in Jayway, a path whose only indefinite step is a final name union
  // (`$.a['x','y']`) yields one object holding the named members that exist,
  // and fails like a definite path when a step before the union misses.
  bool Evaluate(const Value& root, Value* out, std::string* error) const;

  // For ResultPath: returns `root` with `value` placed where this definite path
  // points, creating missing objects on the way. `$` alone replaces the root.
  // False with `error` when a step meets a non-object (or an index out of range).
  bool Assign(const Value& root, const Value& value, Value* out, std::string* error) const;

  // The path in Jayway's bracket notation, as AWS error texts print it:
  // `$.a.b[0]` -> "$['a']['b'][0]" (a variable keeps its name: "$v['a']").
  std::string BracketNotation() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // shared by every Path of the same text
};

// Evaluates `path` against its root: `input` for `$`, env's context object for
// `$$`, the named variable for `$name`. False with Jayway's message when nothing
// matches or the root (context, variable) is missing.
bool ResolvePath(const Path& path, const Value& input, const EvalEnv& env, Value* out, std::string* error);

}  // namespace stepflow::asl

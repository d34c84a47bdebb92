#pragma once

#include <string>

#include "stepflow/asl/eval.h"
#include "stepflow/asl/path.h"

namespace stepflow::asl {

// Evaluates `path` against its root: `input` for `$`, the context object for `$$`,
// the named variable for `$name`. False with Jayway's message when nothing matches
// or the root (context, variable) is missing.
bool ResolvePath(const Path& path, const Value& input, const EvalEnv& env, Value* out, std::string* error);

}  // namespace stepflow::asl

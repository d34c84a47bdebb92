#include "stepflow/asl/path.h"

namespace stepflow::asl {

bool ResolvePath(const Path& path, const Value& input, const EvalEnv& env, Value* out, std::string* error) {
  switch (path.root()) {
    case Path::Root::kInput:
      return path.Evaluate(input, out, error);
    case Path::Root::kContext: {
      static const Value kEmpty = Value::MakeObject({});
      return path.Evaluate(env.context != nullptr ? *env.context : kEmpty, out, error);
    }
    case Path::Root::kVariable: {
      const Value* variable = env.variables != nullptr ? env.variables->Find(path.variable_name()) : nullptr;
      if (variable == nullptr) {
        *error = "Undefined variable '$" + path.variable_name() + "'";
        return false;
      }
      return path.Evaluate(*variable, out, error);
    }
  }
  return false;
}

}  // namespace stepflow::asl

#include "intrinsic_ast.h"
#include "stepflow/asl/errors.h"

namespace stepflow::asl::intrinsic {

bool Apply(const Call& call, const std::vector<Value>& args, const EvalEnv& env, Value* out,
           Failure* failure) {
  (void)args; (void)env; (void)out;
  *failure = {errors::kIntrinsicFailure, std::string(call.spec->name) + " is not implemented yet"};
  return false;
}

}  // namespace stepflow::asl::intrinsic

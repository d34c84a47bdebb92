#include "stepflow/engine/engine.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <random>

#include "dispatch/http_client.h"
#include "dispatch/lambda.h"
#include "execution.h"
#include "stepflow/asl/json.h"

namespace stepflow::engine {
namespace {

// The system clock; timers run on the engine's io_context.
class SystemClock : public Clock {
 public:
  explicit SystemClock(boost::asio::io_context& io) : io_(io) {}
  Instant Now() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void ScheduleAt(Instant at, std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_);
    timer->expires_after(std::chrono::nanoseconds(std::max<Instant>(0, at - Now())));
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  }

 private:
  boost::asio::io_context& io_;
};

std::string NewUuid(std::mt19937_64& rng) {
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

class EngineImpl : public Engine {
 public:
  explicit EngineImpl(EngineOptions options) : options_(std::move(options)) {
    if (options_.clock == nullptr) {
      system_clock_ = std::make_unique<SystemClock>(io_);
      options_.clock = system_clock_.get();
    } else {
      manual_clock_ = dynamic_cast<ManualClock*>(options_.clock);
    }
    if (options_.store == nullptr) {
      owned_store_ = storage::NewMemStore();
      options_.store = owned_store_.get();
    }
    random_.seed(options_.random_seed != 0 ? options_.random_seed : std::random_device()());
    http_ = std::make_unique<HttpClient>(io_, options_.limits.max_payload_bytes);
    lambda_ = std::make_unique<LambdaInvoker>(http_.get(), options_.lambda_endpoint, options_.function_endpoints,
                                              options_.limits.max_payload_bytes);
  }

  StatusOr<std::string> StartExecution(std::shared_ptr<const asl::StateMachine> machine,
                                       const std::string& state_machine_name, const std::string& name,
                                       const asl::Value& input) override {
    if (!machine) return Status::InvalidArgument("no state machine given");
    std::string execution_name = name.empty() ? NewUuid(random_) : name;
    std::string prefix = "arn:aws:states:" + options_.region + ":" + options_.account_id + ":";
    storage::ExecutionRecord record;
    record.state_machine_arn = prefix + "stateMachine:" + state_machine_name;
    record.arn = prefix + "execution:" + state_machine_name + ":" + execution_name;
    record.name = execution_name;
    record.input = asl::ToJson(input);
    record.start_time_ns = options_.clock->Now();
    Status created = options_.store->CreateExecution(record);
    if (!created.ok()) return created;
    ExecutionHost host;
    host.clock = options_.clock;
    host.store = options_.store;
    host.options = &options_;
    host.random = &random_;
    host.post = [this](std::function<void()> fn) { ready_.push_back(std::move(fn)); };
    host.schedule = [this](Instant at, std::function<void()> fn) {
      options_.clock->ScheduleAt(at, [this, fn = std::move(fn)]() mutable { ready_.push_back(std::move(fn)); });
    };
    host.dispatch = [this](const TaskInvocation& invocation, std::function<void(TaskOutcome)> done) {
      return Dispatch(invocation, std::move(done));
    };
    auto execution = std::make_unique<Execution>(std::move(host), std::move(machine), record, input,
                                                 state_machine_name);
    execution->Start();
    Execution* raw = execution.get();
    executions_[record.arn] = std::move(execution);
    Status flushed = raw->Flush();
    if (!flushed.ok()) return flushed;
    return record.arn;
  }

  StatusOr<ExecutionResult> AwaitExecution(const std::string& execution_arn) override {
    auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return Status::NotFound("execution", execution_arn);
    Execution& execution = *it->second;
    while (!execution.finished()) {
      if (!ready_.empty()) {
        Status s = RunReady();
        if (!s.ok()) return s;
        continue;
      }
      if (manual_clock_ != nullptr && in_flight_ == 0) {
        if (!manual_clock_->AdvanceToNextTimer()) {
          return Status::Internal("execution " + execution_arn + " is waiting with nothing scheduled");
        }
        continue;
      }
      io_.restart();
      if (io_.run_one() == 0) {
        return Status::Internal("execution " + execution_arn + " is waiting with nothing scheduled");
      }
    }
    Status s = RunReady();
    if (!s.ok()) return s;
    ExecutionResult result;
    result.status = execution.record().status;
    result.output = execution.output();
    result.error = execution.record().error;
    result.cause = execution.record().cause;
    return result;
  }

  Status StopExecution(const std::string& execution_arn, const std::string& error,
                       const std::string& cause) override {
    auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return Status::NotFound("execution", execution_arn);
    it->second->Stop(error, cause);
    return it->second->Flush();
  }

  storage::Store& store() override { return *options_.store; }

 private:
  bool Dispatch(const TaskInvocation& invocation, std::function<void(TaskOutcome)> done) {
    for (const auto& [resource, handler] : options_.task_handlers) {
      if (resource != invocation.resource) continue;
      try {
        handler(invocation, done);
      } catch (const std::exception& e) {
        // A handler that throws fails the task, as a Lambda function error would.
        done(TaskOutcome{false, asl::Value(), asl::Failure{"Exception", e.what()}});
      }
      return true;
    }
    LambdaStyle style = ClassifyLambdaResource(invocation.resource);
    if (style == LambdaStyle::kNone) return false;
    ++in_flight_;
    lambda_->Invoke(style, invocation.resource, invocation.parameters, invocation.idempotency_key,
                    [this, done = std::move(done)](TaskOutcome outcome) {
                      --in_flight_;
                      done(std::move(outcome));
                    });
    return true;
  }

  // Runs queued work until none is left, then writes every execution's new events.
  Status RunReady() {
    while (!ready_.empty()) {
      std::function<void()> fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
    for (auto& [arn, execution] : executions_) {
      Status s = execution->Flush();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  EngineOptions options_;
  boost::asio::io_context io_;
  std::unique_ptr<SystemClock> system_clock_;
  ManualClock* manual_clock_ = nullptr;
  std::unique_ptr<storage::Store> owned_store_;
  std::mt19937_64 random_;
  std::deque<std::function<void()>> ready_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<LambdaInvoker> lambda_;
  size_t in_flight_ = 0;  // outbound requests not yet answered
  std::map<std::string, std::unique_ptr<Execution>> executions_;
};

}  // namespace

StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  return std::unique_ptr<Engine>(std::make_unique<EngineImpl>(std::move(options)));
}

}  // namespace stepflow::engine

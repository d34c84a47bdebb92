// One suite, run against every Store: what the engine and the API may rely on
// whichever store is configured.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stepflow/storage/sqlite_store.h"
#include "stepflow/storage/store.h"
#include "storage_test_util.h"

namespace stepflow::storage {
namespace {

using testing::ExecutionArn;
using testing::MachineArn;
using testing::MakeEvents;
using testing::MakeExecution;
using testing::TempDir;

struct MemKind {
  static std::unique_ptr<Store> Make(const TempDir&) { return NewMemStore(); }
};
struct SqliteMemoryKind {
  static std::unique_ptr<Store> Make(const TempDir&) {
    SqliteOptions options;
    options.path = ":memory:";
    auto store = OpenSqliteStore(options);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    return std::move(store).value();
  }
};
struct SqliteFileKind {
  static std::unique_ptr<Store> Make(const TempDir& dir) {
    SqliteOptions options;
    options.path = dir.File("contract.db");
    auto store = OpenSqliteStore(options);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    return std::move(store).value();
  }
};

#define STORE_KINDS MemKind, SqliteMemoryKind, SqliteFileKind

std::vector<int64_t> Ids(const std::vector<HistoryEventRecord>& events) {
  std::vector<int64_t> ids;
  for (const auto& e : events) ids.push_back(e.id);
  return ids;
}

std::vector<std::string> Names(const std::vector<ExecutionRecord>& records) {
  std::vector<std::string> names;
  for (const auto& r : records) names.push_back(r.name);
  return names;
}

TEST_CASE_TEMPLATE("a created execution reads back field by field; a second create with its ARN is AlreadyExists", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1", 42, R"({"a":[1,2]})");
  r.state_machine_revision = 3;
  REQUIRE(store->CreateExecution(r).ok());

  auto got = store->GetExecution(r.arn);
  REQUIRE(got.ok());
  CHECK(got->arn == r.arn);
  CHECK(got->name == "e1");
  CHECK(got->state_machine_arn == MachineArn("M"));
  CHECK(got->state_machine_revision == 3);
  CHECK(got->status == ExecutionStatus::kRunning);
  CHECK(got->input == R"({"a":[1,2]})");
  CHECK_FALSE(got->output.has_value());
  CHECK_FALSE(got->error.has_value());
  CHECK_FALSE(got->cause.has_value());
  CHECK(got->start_time_ns == 42);
  CHECK_FALSE(got->stop_time_ns.has_value());

  Status again = store->CreateExecution(r);
  CHECK(again.IsAlreadyExists());
  CHECK(store->GetExecution(ExecutionArn("M", "nope")).status().IsNotFound());
}

TEST_CASE_TEMPLATE("appended events read back in id order, paged by after_event_id and limit", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());

  auto empty = store->GetHistory(r.arn, 0, 100);
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  REQUIRE(store->AppendEvents(r.arn, 0, MakeEvents(1, 3), nullptr).ok());
  REQUIRE(store->AppendEvents(r.arn, 3, MakeEvents(4, 4), nullptr).ok());
  REQUIRE(store->AppendEvents(r.arn, 7, {}, nullptr).ok());  // nothing to add is fine

  auto all = store->GetHistory(r.arn, 0, SIZE_MAX);
  REQUIRE(all.ok());
  CHECK(Ids(*all) == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7});
  const HistoryEventRecord& fifth = (*all)[4];
  CHECK(fifth.previous_event_id == 4);
  CHECK(fifth.timestamp_ns == 5005);
  CHECK(fifth.type == "PassStateEntered");
  CHECK(fifth.details_json == R"({"name":"S5","input":"{}"})");

  auto page = store->GetHistory(r.arn, 2, 3);
  REQUIRE(page.ok());
  CHECK(Ids(*page) == std::vector<int64_t>{3, 4, 5});
  auto tail = store->GetHistory(r.arn, 5, 100);
  REQUIRE(tail.ok());
  CHECK(Ids(*tail) == std::vector<int64_t>{6, 7});
  auto past_end = store->GetHistory(r.arn, 7, 100);
  REQUIRE(past_end.ok());
  CHECK(past_end->empty());
  auto none = store->GetHistory(r.arn, 0, 0);
  REQUIRE(none.ok());
  CHECK(none->empty());

  CHECK(store->GetHistory(ExecutionArn("M", "nope"), 0, 10).status().IsNotFound());
}

TEST_CASE_TEMPLATE("an event with an empty details text reads back empty", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  auto events = MakeEvents(1, 1);
  events[0].details_json.clear();
  REQUIRE(store->AppendEvents(r.arn, 0, events, nullptr).ok());
  auto got = store->GetHistory(r.arn, 0, 10);
  REQUIRE(got.ok());
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].details_json.empty());
}

TEST_CASE_TEMPLATE("events read back byte for byte, in pages across many appends of many events", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  // Details and types that a careless encoding would break: quotes, escapes,
  // brackets inside strings, nesting, non-ASCII, control characters.
  const std::vector<std::string> details = {
      R"({"input":"{\"a\":[1,{\"b\":\"]}\"}]}","x":{"y":[[],{}]}})",
      R"({"cause":"line\nbreak \"quoted\" back\\slash \u0001 é 😀"})",
      R"({"name":"}]\\","output":"[","n":-1.5e3,"t":true,"f":null})",
  };
  std::vector<HistoryEventRecord> all;
  int64_t last = 0;
  for (int append : {1, 150, 3, 64, 65, 200}) {  // across any chunk size up to 200
    std::vector<HistoryEventRecord> events = MakeEvents(last + 1, append);
    for (HistoryEventRecord& e : events) {
      e.details_json = e.id % 7 == 0 ? "" : details[static_cast<size_t>(e.id) % details.size()];
      if (e.id % 11 == 0) e.type = "Odd\"Type\\\t";
    }
    REQUIRE(store->AppendEvents(r.arn, last, events, nullptr).ok());
    last += append;
    all.insert(all.end(), events.begin(), events.end());
  }
  auto same = [](const HistoryEventRecord& a, const HistoryEventRecord& b) {
    return a.id == b.id && a.previous_event_id == b.previous_event_id && a.timestamp_ns == b.timestamp_ns &&
           a.type == b.type && a.details_json == b.details_json;
  };
  for (int64_t after : {0, 1, 63, 64, 65, 150, 151, 152, 200, 283, 419, 482}) {
    for (size_t limit : {size_t{1}, size_t{7}, size_t{100}, SIZE_MAX}) {
      auto page = store->GetHistory(r.arn, after, limit);
      REQUIRE(page.ok());
      size_t want = std::min<size_t>(limit, all.size() - static_cast<size_t>(std::min<int64_t>(after, last)));
      REQUIRE_MESSAGE(page->size() == want, "after " << after << " limit " << limit);
      for (size_t i = 0; i < page->size(); ++i) {
        CHECK_MESSAGE(same((*page)[i], all[static_cast<size_t>(after) + i]), "event " << after + 1 + i);
      }
    }
  }
}

TEST_CASE("an interned event type outlives the text it was made from, one copy per name") {
  std::string_view first;
  {
    std::string built = std::string("Interned") + "TestEvent";
    auto interned = InternEventType(built);
    REQUIRE(interned.has_value());
    first = *interned;
  }
  CHECK(first == "InternedTestEvent");
  auto again = InternEventType("InternedTestEvent");
  REQUIRE(again.has_value());
  CHECK(again->data() == first.data());
  CHECK(InternEventType("OtherTestEvent")->data() != first.data());
}

// JSON the store writes only when it needs the text, as the engine hands it over.
class CountingJson final : public DeferredJson {
 public:
  explicit CountingJson(std::string text) : text_(std::move(text)) {}
  void AppendTo(std::string* out) const override {
    ++writes_;
    *out += text_;
  }
  int writes() const { return writes_.load(); }

 private:
  std::string text_;
  mutable std::atomic<int> writes_{0};
};

TEST_CASE_TEMPLATE("deferred event details read back as the text they write, mixed with text details", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  // 150 events of ~1 KB: the SQLite store cuts them into chunks by size.
  std::vector<HistoryEventRecord> events = MakeEvents(1, 150);
  std::vector<std::string> texts;
  std::vector<std::shared_ptr<const CountingJson>> deferred;
  for (HistoryEventRecord& e : events) {
    texts.push_back(R"({"stateEnteredEventDetails":{"name":"S)" + std::to_string(e.id) + R"(","input":")" +
                    std::string(1000, 'x') + R"("}})");
    if (e.id % 3 == 0) {
      e.details_json = texts.back();
    } else {
      e.details_json.clear();
      deferred.push_back(std::make_shared<const CountingJson>(texts.back()));
      e.deferred_details = deferred.back();
    }
  }
  REQUIRE(store->AppendEvents(r.arn, 0, events, nullptr).ok());
  auto got = store->GetHistory(r.arn, 0, SIZE_MAX);
  REQUIRE(got.ok());
  REQUIRE(got->size() == events.size());
  for (size_t i = 0; i < got->size(); ++i) {
    CHECK((*got)[i].details_json == texts[i]);
    CHECK((*got)[i].deferred_details == nullptr);
  }
  for (const auto& d : deferred) CHECK(d->writes() >= 1);

  std::vector<HistoryEventRecord> both = MakeEvents(151, 1);
  both[0].deferred_details = std::make_shared<const CountingJson>("{}");
  CHECK(store->AppendEvents(r.arn, 150, both, nullptr).IsInvalidArgument());
}

TEST_CASE_TEMPLATE("a checkpoint, given as text or deferred, replaces the last one; an empty one clears it", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  int64_t last = 0;
  auto append = [&](std::optional<std::string> text, std::shared_ptr<const DeferredJson> deferred) {
    AppendRequest a;
    a.execution_arn = r.arn;
    a.expected_last_event_id = last;
    a.events = MakeEvents(last + 1, 1);
    a.checkpoint = std::move(text);
    a.deferred_checkpoint = std::move(deferred);
    Status s = store->Append(a);
    if (s.ok()) ++last;
    return s;
  };
  auto deferred = std::make_shared<const CountingJson>(R"({"v":2,"root":{"s":1}})");
  REQUIRE(append(std::nullopt, deferred).ok());
  CHECK(*store->GetCheckpoint(r.arn) == R"({"v":2,"root":{"s":1}})");
  CHECK(deferred->writes() == 1);
  REQUIRE(append(std::nullopt, nullptr).ok());  // none given: the last one stays
  CHECK(*store->GetCheckpoint(r.arn) == R"({"v":2,"root":{"s":1}})");
  REQUIRE(append(std::string(R"({"v":2,"root":{"s":2}})"), nullptr).ok());
  CHECK(*store->GetCheckpoint(r.arn) == R"({"v":2,"root":{"s":2}})");
  REQUIRE(append(std::nullopt, std::make_shared<const CountingJson>(R"({"v":2,"root":{"s":3}})")).ok());
  CHECK(*store->GetCheckpoint(r.arn) == R"({"v":2,"root":{"s":3}})");
  REQUIRE(append(std::string(), nullptr).ok());
  CHECK(store->GetCheckpoint(r.arn)->empty());
  CHECK(append(std::string("{}"), std::make_shared<const CountingJson>("{}")).IsInvalidArgument());
}

TEST_CASE_TEMPLATE("event details that are not a JSON object are refused", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  auto events = MakeEvents(1, 2);
  events[1].details_json = "[1]";
  CHECK(store->AppendEvents(r.arn, 0, events, nullptr).IsInvalidArgument());
  auto got = store->GetHistory(r.arn, 0, 10);
  REQUIRE(got.ok());
  CHECK(got->empty());
}

TEST_CASE_TEMPLATE("an append whose expected last id is stale is a Conflict and writes nothing", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  REQUIRE(store->AppendEvents(r.arn, 0, MakeEvents(1, 2), nullptr).ok());

  ExecutionRecord done = r;
  done.status = ExecutionStatus::kSucceeded;
  done.output = "{}";
  Status stale = store->AppendEvents(r.arn, 1, MakeEvents(2, 1), &done);
  CHECK(stale.IsConflict());
  Status ahead = store->AppendEvents(r.arn, 5, MakeEvents(6, 1), &done);
  CHECK(ahead.IsConflict());

  auto history = store->GetHistory(r.arn, 0, 100);
  REQUIRE(history.ok());
  CHECK(Ids(*history) == std::vector<int64_t>{1, 2});
  auto row = store->GetExecution(r.arn);
  REQUIRE(row.ok());
  CHECK(row->status == ExecutionStatus::kRunning);
}

TEST_CASE_TEMPLATE("a step (events and a checkpoint, no row change) with a stale expected id is a Conflict", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  auto step = [&](int64_t expected, int64_t first, std::string checkpoint) {
    AppendRequest a;
    a.execution_arn = r.arn;
    a.expected_last_event_id = expected;
    a.events = MakeEvents(first, 1);
    a.checkpoint = std::move(checkpoint);
    return store->Append(a);
  };
  // Two steps that commit, so that a store may know the execution by now.
  REQUIRE(step(0, 1, "c1").ok());
  REQUIRE(step(1, 2, "c2").ok());
  CHECK(step(1, 2, "stale").IsConflict());
  CHECK(step(5, 6, "ahead").IsConflict());
  CHECK(step(2, 3, "c3").ok());

  auto history = store->GetHistory(r.arn, 0, 100);
  REQUIRE(history.ok());
  CHECK(Ids(*history) == std::vector<int64_t>{1, 2, 3});
  auto checkpoint = store->GetCheckpoint(r.arn);
  REQUIRE(checkpoint.ok());
  CHECK(*checkpoint == "c3");
}

TEST_CASE_TEMPLATE("an append with non-contiguous ids, a foreign row or to an unknown execution is refused", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());

  CHECK(store->AppendEvents(r.arn, 0, MakeEvents(2, 2), nullptr).IsInvalidArgument());
  auto gap = MakeEvents(1, 3);
  gap[2].id = 5;
  CHECK(store->AppendEvents(r.arn, 0, gap, nullptr).IsInvalidArgument());
  ExecutionRecord other = MakeExecution("M", "e2");
  CHECK(store->AppendEvents(r.arn, 0, MakeEvents(1, 1), &other).IsInvalidArgument());
  CHECK(store->AppendEvents(ExecutionArn("M", "nope"), 0, MakeEvents(1, 1), nullptr).IsNotFound());

  auto history = store->GetHistory(r.arn, 0, 100);
  REQUIRE(history.ok());
  CHECK(history->empty());
}

TEST_CASE_TEMPLATE("an append with a row update replaces the execution row in the same step", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(store->CreateExecution(r).ok());
  ExecutionRecord failed = r;
  failed.status = ExecutionStatus::kFailed;
  failed.error = "States.TaskFailed";
  failed.cause = "boom";
  failed.stop_time_ns = 9000;
  REQUIRE(store->AppendEvents(r.arn, 0, MakeEvents(1, 2), &failed).ok());
  auto row = store->GetExecution(r.arn);
  REQUIRE(row.ok());
  CHECK(row->status == ExecutionStatus::kFailed);
  CHECK(row->error == "States.TaskFailed");
  CHECK(row->cause == "boom");
  CHECK(row->stop_time_ns == 9000);
  CHECK_FALSE(row->output.has_value());

  // A row-only update (no events) keeps the history where it was.
  ExecutionRecord succeeded = r;
  succeeded.status = ExecutionStatus::kSucceeded;
  succeeded.output = R"({"ok":true})";
  REQUIRE(store->AppendEvents(r.arn, 2, {}, &succeeded).ok());
  row = store->GetExecution(r.arn);
  REQUIRE(row.ok());
  CHECK(row->status == ExecutionStatus::kSucceeded);
  CHECK(row->output == R"({"ok":true})");
  CHECK_FALSE(row->error.has_value());
  CHECK(store->AppendEvents(r.arn, 2, MakeEvents(3, 1), nullptr).ok());
}

TEST_CASE_TEMPLATE("Append writes timers and task tokens with the events; DueTimers returns the earliest first", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord a = MakeExecution("M", "a");
  ExecutionRecord b = MakeExecution("M", "b");
  REQUIRE(store->CreateExecution(a).ok());
  REQUIRE(store->CreateExecution(b).ok());

  AppendRequest ra;
  ra.execution_arn = a.arn;
  ra.events = MakeEvents(1, 2);
  ra.put_timers = {{a.arn, "wait:2", 300, "p-a2"}, {a.arn, "retry:1", 100, "p-a1"}};
  ra.put_task_tokens = {{"tok-1", a.arn, "Approve", 2, TaskTokenStatus::kPending, 50}};
  REQUIRE(store->Append(ra).ok());
  AppendRequest rb;
  rb.execution_arn = b.arn;
  rb.events = MakeEvents(1, 1);
  rb.put_timers = {{b.arn, "wait:1", 100, "p-b1"}};
  REQUIRE(store->Append(rb).ok());

  auto due = store->DueTimers(100, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);  // both due at 100: a before b by ARN
  CHECK((*due)[0].execution_arn == a.arn);
  CHECK((*due)[0].timer_id == "retry:1");
  CHECK((*due)[0].payload == "p-a1");
  CHECK((*due)[1].execution_arn == b.arn);
  CHECK(store->DueTimers(99, 10)->empty());
  auto limited = store->DueTimers(1000, 1);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 1);
  CHECK((*limited)[0].timer_id == "retry:1");
  CHECK(store->DueTimers(INT64_MAX, 10)->size() == 3);

  auto timers_a = store->ListTimers(a.arn);
  REQUIRE(timers_a.ok());
  REQUIRE(timers_a->size() == 2);
  CHECK((*timers_a)[0].timer_id == "retry:1");
  CHECK((*timers_a)[1].timer_id == "wait:2");
  CHECK((*timers_a)[1].due_time_ns == 300);
  CHECK(store->ListTimers(ExecutionArn("M", "nope"))->empty());

  auto token = store->GetTaskToken("tok-1");
  REQUIRE(token.ok());
  CHECK(token->execution_arn == a.arn);
  CHECK(token->state_name == "Approve");
  CHECK(token->scheduled_event_id == 2);
  CHECK(token->status == TaskTokenStatus::kPending);
  CHECK(token->updated_time_ns == 50);
  CHECK(store->GetTaskToken("tok-none").status().IsNotFound());

  // The timer fires: the step deletes it, re-schedules the other, settles the token.
  AppendRequest fire;
  fire.execution_arn = a.arn;
  fire.expected_last_event_id = 2;
  fire.events = MakeEvents(3, 1);
  fire.delete_timer_ids = {"retry:1", "never-existed"};
  fire.put_timers = {{a.arn, "wait:2", 500, "p-a2-later"}};
  fire.put_task_tokens = {{"tok-1", a.arn, "Approve", 2, TaskTokenStatus::kSucceeded, 60}};
  REQUIRE(store->Append(fire).ok());
  timers_a = store->ListTimers(a.arn);
  REQUIRE(timers_a.ok());
  REQUIRE(timers_a->size() == 1);
  CHECK((*timers_a)[0].timer_id == "wait:2");
  CHECK((*timers_a)[0].due_time_ns == 500);
  CHECK((*timers_a)[0].payload == "p-a2-later");
  CHECK(store->DueTimers(400, 10)->size() == 1);  // only b's
  CHECK(store->GetTaskToken("tok-1")->status == TaskTokenStatus::kSucceeded);
}

TEST_CASE_TEMPLATE("an Append that conflicts writes none of its timers or task tokens", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord a = MakeExecution("M", "a");
  REQUIRE(store->CreateExecution(a).ok());
  AppendRequest r;
  r.execution_arn = a.arn;
  r.expected_last_event_id = 4;
  r.events = MakeEvents(5, 1);
  r.put_timers = {{a.arn, "t", 1, ""}};
  r.put_task_tokens = {{"tok", a.arn, "S", 5, TaskTokenStatus::kPending, 1}};
  CHECK(store->Append(r).IsConflict());
  CHECK(store->ListTimers(a.arn)->empty());
  CHECK(store->GetTaskToken("tok").status().IsNotFound());

  AppendRequest foreign;
  foreign.execution_arn = a.arn;
  foreign.put_timers = {{ExecutionArn("M", "b"), "t", 1, ""}};
  CHECK(store->Append(foreign).IsInvalidArgument());
}

TEST_CASE_TEMPLATE("AppendAsync reports each request's own outcome after it is readable", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord a = MakeExecution("M", "a");
  REQUIRE(store->CreateExecution(a).ok());
  std::promise<Status> first, second;
  AppendRequest ok_request;
  ok_request.execution_arn = a.arn;
  ok_request.events = MakeEvents(1, 2);
  store->AppendAsync(ok_request, [&](Status s) { first.set_value(s); });
  store->AppendAsync(ok_request, [&](Status s) { second.set_value(s); });  // same expected id: now stale
  CHECK(first.get_future().get().ok());
  CHECK(second.get_future().get().IsConflict());
  CHECK(store->GetHistory(a.arn, 0, 10)->size() == 2);
}

TEST_CASE_TEMPLATE("AppendBatchAsync reports every request's own outcome, once, in order", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  ExecutionRecord a = MakeExecution("M", "a"), b = MakeExecution("M", "b");
  REQUIRE(store->CreateExecution(a).ok());
  REQUIRE(store->CreateExecution(b).ok());
  std::vector<AppendRequest> requests(5);
  requests[0].execution_arn = a.arn;
  requests[0].events = MakeEvents(1, 2);
  requests[1] = requests[0];  // same expected id: stale once the first commits
  requests[2].execution_arn = b.arn;
  requests[2].events = MakeEvents(2, 3);  // does not continue b's empty history
  requests[3].execution_arn = ExecutionArn("M", "nobody");
  requests[3].events = MakeEvents(1, 1);
  requests[4].execution_arn = a.arn;
  requests[4].expected_last_event_id = 2;  // follows the first, in the same batch
  requests[4].events = MakeEvents(3, 1);
  std::promise<std::vector<Status>> answered;
  int calls = 0;
  store->AppendBatchAsync(std::move(requests), [&](std::vector<Status> statuses) {
    ++calls;
    answered.set_value(std::move(statuses));
  });
  std::vector<Status> statuses = answered.get_future().get();
  CHECK(calls == 1);
  REQUIRE(statuses.size() == 5);
  CHECK(statuses[0].ok());
  CHECK(statuses[1].IsConflict());
  CHECK(statuses[2].IsInvalidArgument());
  CHECK(statuses[3].IsNotFound());
  CHECK(statuses[4].ok());
  CHECK(Ids(*store->GetHistory(a.arn, 0, 10)) == std::vector<int64_t>{1, 2, 3});
  CHECK(store->GetHistory(b.arn, 0, 10)->empty());

  std::promise<std::vector<Status>> none;
  store->AppendBatchAsync({}, [&](std::vector<Status> s) { none.set_value(std::move(s)); });
  CHECK(none.get_future().get().empty());
}

TEST_CASE_TEMPLATE("ListExecutions pages newest first, by machine and by status", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  // Seven executions of M at times 10..70 (two share time 40), two of N.
  for (auto [name, t] : std::vector<std::pair<std::string, int64_t>>{
           {"e1", 10}, {"e2", 20}, {"e3", 30}, {"e4a", 40}, {"e4b", 40}, {"e6", 60}, {"e7", 70}}) {
    REQUIRE(store->CreateExecution(MakeExecution("M", name, t)).ok());
  }
  REQUIRE(store->CreateExecution(MakeExecution("N", "n1", 15)).ok());
  REQUIRE(store->CreateExecution(MakeExecution("N", "n2", 65)).ok());
  // e2 and e4a succeed.
  for (const char* name : {"e2", "e4a"}) {
    ExecutionRecord done = *store->GetExecution(ExecutionArn("M", name));
    done.status = ExecutionStatus::kSucceeded;
    REQUIRE(store->AppendEvents(done.arn, 0, MakeEvents(1, 1), &done).ok());
  }

  ListExecutionsQuery q;
  q.state_machine_arn = MachineArn("M");
  q.limit = 3;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    auto page = store->ListExecutions(q);
    REQUIRE(page.ok());
    ++pages;
    CHECK(page->items.size() <= 3);
    for (const auto& n : Names(page->items)) seen.push_back(n);
    if (page->next_page_token.empty()) break;
    q.page_token = page->next_page_token;
  }
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{"e7", "e6", "e4b", "e4a", "e3", "e2", "e1"});

  ListExecutionsQuery exact;
  exact.state_machine_arn = MachineArn("M");
  exact.limit = 7;
  auto one_page = store->ListExecutions(exact);
  REQUIRE(one_page.ok());
  CHECK(one_page->items.size() == 7);
  CHECK(one_page->next_page_token.empty());  // no empty trailing page

  ListExecutionsQuery succeeded;
  succeeded.state_machine_arn = MachineArn("M");
  succeeded.status = ExecutionStatus::kSucceeded;
  auto s = store->ListExecutions(succeeded);
  REQUIRE(s.ok());
  CHECK(Names(s->items) == std::vector<std::string>{"e4a", "e2"});
  CHECK(s->items[0].status == ExecutionStatus::kSucceeded);

  ListExecutionsQuery running_n;
  running_n.state_machine_arn = MachineArn("N");
  running_n.status = ExecutionStatus::kRunning;
  CHECK(Names(store->ListExecutions(running_n)->items) == std::vector<std::string>{"n2", "n1"});

  ListExecutionsQuery every;
  auto all = store->ListExecutions(every);
  REQUIRE(all.ok());
  CHECK(Names(all->items) == std::vector<std::string>{"e7", "n2", "e6", "e4b", "e4a", "e3", "e2", "n1", "e1"});

  ListExecutionsQuery unknown;
  unknown.state_machine_arn = MachineArn("Nobody");
  CHECK(store->ListExecutions(unknown)->items.empty());

  ListExecutionsQuery bad;
  bad.page_token = "garbage";
  CHECK(store->ListExecutions(bad).status().IsInvalidArgument());
  bad.page_token = "m1:" + MachineArn("M");  // a state machine listing's token
  CHECK(store->ListExecutions(bad).status().IsInvalidArgument());
}

TEST_CASE_TEMPLATE("ListRunningExecutions returns exactly the RUNNING ones, oldest first", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  REQUIRE(store->CreateExecution(MakeExecution("M", "late", 30)).ok());
  REQUIRE(store->CreateExecution(MakeExecution("N", "early", 10)).ok());
  REQUIRE(store->CreateExecution(MakeExecution("M", "done", 20)).ok());
  ExecutionRecord done = MakeExecution("M", "done", 20);
  done.status = ExecutionStatus::kAborted;
  REQUIRE(store->AppendEvents(done.arn, 0, MakeEvents(1, 1), &done).ok());
  auto running = store->ListRunningExecutions();
  REQUIRE(running.ok());
  CHECK(Names(*running) == std::vector<std::string>{"early", "late"});
  CHECK((*running)[0].input == R"({"x":1})");
}

TEST_CASE_TEMPLATE("state machines keep every revision; updates make the next, delete removes them all", Kind,
                   STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  StateMachineRecord m;
  m.arn = MachineArn("M");
  m.name = "M";
  m.type = "STANDARD";
  m.definition = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";
  m.role_arn = "arn:aws:iam::123456789012:role/r1";
  m.revision = 77;  // ignored
  m.creation_time_ns = 100;
  REQUIRE(store->CreateStateMachine(m).ok());
  CHECK(store->CreateStateMachine(m).IsAlreadyExists());

  auto got = store->GetStateMachine(m.arn);
  REQUIRE(got.ok());
  CHECK(got->name == "M");
  CHECK(got->type == "STANDARD");
  CHECK(got->definition == m.definition);
  CHECK(got->role_arn == m.role_arn);
  CHECK(got->revision == 1);
  CHECK(got->creation_time_ns == 100);
  CHECK(got->revision_time_ns == 100);

  StateMachineRecord update;
  update.arn = m.arn;
  update.definition = R"({"StartAt":"B","States":{"B":{"Type":"Succeed"}}})";
  update.role_arn = "arn:aws:iam::123456789012:role/r2";
  update.revision_time_ns = 200;
  auto rev = store->UpdateStateMachine(update);
  REQUIRE(rev.ok());
  CHECK(*rev == 2);
  got = store->GetStateMachine(m.arn);
  REQUIRE(got.ok());
  CHECK(got->revision == 2);
  CHECK(got->definition == update.definition);
  CHECK(got->role_arn == update.role_arn);
  CHECK(got->name == "M");
  CHECK(got->creation_time_ns == 100);
  CHECK(got->revision_time_ns == 200);
  auto head = store->GetStateMachineHead(m.arn);
  REQUIRE(head.ok());
  CHECK(head->latest_revision == 2);
  CHECK(head->creation_time_ns == 100);
  CHECK(!head->deleting);

  auto first = store->GetStateMachineRevision(m.arn, 1);
  REQUIRE(first.ok());
  CHECK(first->definition == m.definition);
  CHECK(first->revision == 1);
  CHECK(store->GetStateMachineRevision(m.arn, 3).status().IsNotFound());
  CHECK(store->GetStateMachineRevision(m.arn, 0).status().IsNotFound());

  StateMachineRecord missing = update;
  missing.arn = MachineArn("Nobody");
  CHECK(store->UpdateStateMachine(missing).status().IsNotFound());
  CHECK(store->GetStateMachine(missing.arn).status().IsNotFound());
  CHECK(store->GetStateMachineHead(missing.arn).status().IsNotFound());

  REQUIRE(store->DeleteStateMachine(m.arn).ok());
  CHECK(store->GetStateMachine(m.arn).status().IsNotFound());
  CHECK(store->GetStateMachineRevision(m.arn, 1).status().IsNotFound());
  CHECK(store->DeleteStateMachine(m.arn).IsNotFound());
  // The name is free again, starting from revision 1.
  REQUIRE(store->CreateStateMachine(m).ok());
  CHECK(store->GetStateMachine(m.arn)->revision == 1);
}

TEST_CASE_TEMPLATE("ListStateMachines pages by ARN and shows the latest revision", Kind, STORE_KINDS) {
  TempDir dir;
  auto store = Kind::Make(dir);
  for (const char* name : {"delta", "alpha", "echo", "charlie", "bravo"}) {
    StateMachineRecord m;
    m.arn = MachineArn(name);
    m.name = name;
    m.definition = "{}";
    REQUIRE(store->CreateStateMachine(m).ok());
  }
  StateMachineRecord update;
  update.arn = MachineArn("charlie");
  update.definition = R"({"v":2})";
  REQUIRE(store->UpdateStateMachine(update).ok());

  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = store->ListStateMachines(token, 2);
    REQUIRE(page.ok());
    ++pages;
    for (const auto& m : page->items) {
      names.push_back(m.name);
      if (m.name == "charlie") {
        CHECK(m.revision == 2);
        CHECK(m.definition == R"({"v":2})");
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
  CHECK(pages == 3);
  CHECK(names == std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo"});
  CHECK(store->ListStateMachines("e1:5:x", 2).status().IsInvalidArgument());
}

}  // namespace
}  // namespace stepflow::storage

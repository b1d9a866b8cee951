// MemoryStore: every table a std::map under one mutex. Commit applies the batch and calls
// `done` before returning. Used by tests and for EXPRESS executions, which AWS never persists.
#include <algorithm>
#include <deque>
#include <set>
#include <utility>

#include "store/execution_cursor.h"
#include "store/mutex.h"
#include "store/store.h"

namespace stepway::store {
namespace {

// Newest first: the order ListExecutions returns.
struct NewestFirst {
  bool operator()(const ExecutionPosition& a, const ExecutionPosition& b) const {
    if (a.start_millis != b.start_millis) return a.start_millis > b.start_millis;
    return a.seq > b.seq;
  }
};

struct StoredExecution {
  ExecutionRecord record;
  std::int64_t seq = 0;
  std::map<std::int64_t, std::string> history;  // event id -> json
  std::map<std::int64_t, ExecutionInput> inputs;  // sequence -> input
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::size_t max_finished) : max_finished_(max_finished) {}

  Status PutStateMachine(const StateMachineRecord& record) override {
    MutexLock lock(mu_);
    state_machines_[record.arn] = record;
    return {};
  }
  Result<StateMachineRecord> GetStateMachine(std::string_view arn) override {
    MutexLock lock(mu_);
    const auto it = state_machines_.find(arn);
    if (it == state_machines_.end()) return Fail(ErrorCode::kNotFound, "no such state machine");
    return it->second;
  }
  std::vector<StateMachineRecord> ListStateMachines() override {
    std::vector<StateMachineRecord> out;
    {
      MutexLock lock(mu_);
      for (const auto& [arn, record] : state_machines_) out.push_back(record);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }
  Status DeleteStateMachine(std::string_view arn) override {
    MutexLock lock(mu_);
    if (const auto it = state_machines_.find(arn); it != state_machines_.end()) {
      state_machines_.erase(it);
    }
    EraseTags(arn);
    return {};
  }

  Status PutActivity(const ActivityRecord& record) override {
    MutexLock lock(mu_);
    activities_[record.arn] = record;
    return {};
  }
  Result<ActivityRecord> GetActivity(std::string_view arn) override {
    MutexLock lock(mu_);
    const auto it = activities_.find(arn);
    if (it == activities_.end()) return Fail(ErrorCode::kNotFound, "no such activity");
    return it->second;
  }
  std::vector<ActivityRecord> ListActivities() override {
    std::vector<ActivityRecord> out;
    {
      MutexLock lock(mu_);
      for (const auto& [arn, record] : activities_) out.push_back(record);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }
  Status DeleteActivity(std::string_view arn) override {
    MutexLock lock(mu_);
    if (const auto it = activities_.find(arn); it != activities_.end()) activities_.erase(it);
    EraseTags(arn);
    return {};
  }

  Status PutDocument(const Document& document) override {
    MutexLock lock(mu_);
    documents_[{document.kind, document.id}] = document.body;
    return {};
  }
  Result<Document> GetDocument(std::string_view kind, std::string_view id) override {
    MutexLock lock(mu_);
    const auto it = documents_.find({std::string(kind), std::string(id)});
    if (it == documents_.end()) return Fail(ErrorCode::kNotFound, "no such " + std::string(kind));
    return Document{std::string(kind), std::string(id), it->second};
  }
  std::vector<Document> ListDocuments(std::string_view kind, std::string_view id_prefix) override {
    std::vector<Document> out;
    MutexLock lock(mu_);
    for (auto it = documents_.lower_bound({std::string(kind), std::string(id_prefix)});
         it != documents_.end() && it->first.first == kind && it->first.second.starts_with(id_prefix);
         ++it) {
      out.push_back({it->first.first, it->first.second, it->second});
    }
    return out;
  }
  Status DeleteDocument(std::string_view kind, std::string_view id) override {
    MutexLock lock(mu_);
    documents_.erase({std::string(kind), std::string(id)});
    return {};
  }

  Status TagResource(std::string_view arn, const Tags& tags) override {
    MutexLock lock(mu_);
    auto& existing = tags_[std::string(arn)];
    for (const auto& [key, value] : tags) existing[key] = value;
    return {};
  }
  Status UntagResource(std::string_view arn, const std::vector<std::string>& keys) override {
    MutexLock lock(mu_);
    const auto it = tags_.find(arn);
    if (it == tags_.end()) return {};
    for (const auto& key : keys) it->second.erase(key);
    if (it->second.empty()) tags_.erase(it);
    return {};
  }
  Tags ListTags(std::string_view arn) override {
    MutexLock lock(mu_);
    const auto it = tags_.find(arn);
    return it == tags_.end() ? Tags{} : it->second;
  }

  void Commit(WriteBatch batch, std::function<void(Status)> done) override {
    Status status;
    {
      MutexLock lock(mu_);
      status = Apply(std::move(batch));
      ++stats_.batches;
      if (status) ++stats_.transactions;
    }
    done(std::move(status));
  }

  Result<ExecutionRecord> GetExecution(std::string_view arn) override {
    MutexLock lock(mu_);
    const auto it = executions_.find(arn);
    if (it == executions_.end()) return Fail(ErrorCode::kNotFound, "no such execution");
    return it->second.record;
  }

  ExecutionPage ListExecutions(const ExecutionFilter& filter) override {
    ExecutionPage page;
    MutexLock lock(mu_);
    auto it = order_.begin();
    if (!filter.after.empty()) {
      const auto after = DecodeExecutionCursor(filter.after);
      if (!after) return page;
      it = order_.upper_bound(*after);
    }
    ExecutionPosition last;
    for (; it != order_.end(); ++it) {
      const ExecutionRecord& record = executions_.find(it->second)->second.record;
      if (!filter.state_machine_arn.empty() &&
          record.state_machine_arn != filter.state_machine_arn) {
        continue;
      }
      if (filter.status && record.status != *filter.status) continue;
      if (filter.limit != 0 && page.executions.size() == filter.limit) {
        page.next = EncodeExecutionCursor(last);
        return page;
      }
      page.executions.push_back(record);
      last = it->first;
    }
    return page;
  }

  std::vector<ExecutionRecord> ListExecutionsToResume() override {
    MutexLock lock(mu_);
    std::vector<const StoredExecution*> running;
    for (const auto& [arn, stored] : executions_) {
      if (stored.record.status == "RUNNING" && !stored.record.idle) running.push_back(&stored);
    }
    std::sort(running.begin(), running.end(),
              [](const auto* a, const auto* b) { return a->seq < b->seq; });
    std::vector<ExecutionRecord> out;
    out.reserve(running.size());
    for (const auto* stored : running) out.push_back(stored->record);
    return out;
  }

  std::vector<HistoryRecord> GetHistory(std::string_view execution_arn, std::int64_t first_id,
                                        std::size_t limit, bool reverse) override {
    std::vector<HistoryRecord> out;
    MutexLock lock(mu_);
    const auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return out;
    const auto& history = it->second.history;
    const auto full = [&] { return limit != 0 && out.size() >= limit; };
    if (reverse) {
      for (auto e = std::make_reverse_iterator(history.upper_bound(first_id));
           e != history.rend() && !full(); ++e) {
        out.push_back({e->first, e->second});
      }
    } else {
      for (auto e = history.lower_bound(first_id); e != history.end() && !full(); ++e) {
        out.push_back({e->first, e->second});
      }
    }
    return out;
  }

  std::int64_t CountHistory(std::string_view execution_arn) override {
    MutexLock lock(mu_);
    const auto it = executions_.find(execution_arn);
    return it == executions_.end() ? 0 : static_cast<std::int64_t>(it->second.history.size());
  }

  std::vector<ExecutionInput> GetInputs(std::string_view execution_arn) override {
    std::vector<ExecutionInput> out;
    MutexLock lock(mu_);
    const auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return out;
    for (const auto& [sequence, input] : it->second.inputs) out.push_back(input);
    return out;
  }

  CommitStats GetCommitStats() override {
    MutexLock lock(mu_);
    return stats_;
  }

 private:
  // Checks the whole batch, then applies it: nothing is changed when it fails.
  Status Apply(WriteBatch batch) REQUIRES(mu_) {
    // Ids a batch appends, per execution, to catch duplicates within the batch itself.
    std::map<std::string, std::pair<std::set<std::int64_t>, std::set<std::int64_t>>, std::less<>>
        added;
    for (const auto& append : batch.appends) {
      const auto existing = executions_.find(append.execution_arn);
      const bool in_batch =
          std::any_of(batch.executions.begin(), batch.executions.end(),
                      [&](const auto& e) { return e.arn == append.execution_arn; });
      if (existing == executions_.end() && !in_batch) {
        return Fail(ErrorCode::kNotFound, "append to unknown execution " + append.execution_arn);
      }
      auto& [event_ids, sequences] = added[append.execution_arn];
      for (const auto& event : append.events) {
        const bool stored = existing != executions_.end() &&
                            existing->second.history.contains(event.id);
        if (stored || !event_ids.insert(event.id).second) {
          return Fail(ErrorCode::kAlreadyExists, "duplicate history event " +
                                                     std::to_string(event.id) + " of " +
                                                     append.execution_arn);
        }
      }
      for (const auto& input : append.inputs) {
        const bool stored = existing != executions_.end() &&
                            existing->second.inputs.contains(input.sequence);
        if (stored || !sequences.insert(input.sequence).second) {
          return Fail(ErrorCode::kAlreadyExists, "duplicate input " +
                                                     std::to_string(input.sequence) + " of " +
                                                     append.execution_arn);
        }
      }
    }
    std::vector<std::string> finished_now;
    for (auto& record : batch.executions) {
      auto it = executions_.find(record.arn);
      if (it == executions_.end()) {
        it = executions_.emplace(record.arn, StoredExecution{}).first;
        it->second.seq = ++next_seq_;
        order_.emplace(ExecutionPosition{record.start_millis, it->second.seq}, record.arn);
        if (max_finished_ != 0 && record.status != "RUNNING") finished_now.push_back(record.arn);
        it->second.record = std::move(record);
        continue;
      }
      // Only what changes after the first write (WriteBatch::executions).
      ExecutionRecord& stored = it->second.record;
      if (max_finished_ != 0 && stored.status == "RUNNING" && record.status != "RUNNING") {
        finished_now.push_back(record.arn);
      }
      stored.status = std::move(record.status);
      stored.output = std::move(record.output);
      stored.error = std::move(record.error);
      stored.cause = std::move(record.cause);
      stored.stop_millis = record.stop_millis;
      stored.redrive_count = record.redrive_count;
      stored.idle = record.idle;
    }
    for (auto& append : batch.appends) {
      StoredExecution& stored = executions_.find(append.execution_arn)->second;
      for (auto& event : append.events) stored.history.emplace(event.id, std::move(event.json));
      for (auto& input : append.inputs) stored.inputs.emplace(input.sequence, std::move(input));
    }
    for (const auto& mark : batch.idle_marks) {
      if (const auto it = executions_.find(mark.execution_arn); it != executions_.end()) {
        it->second.record.idle = mark.idle;
      }
    }
    // Keep only the newest max_finished_ finished executions.
    for (std::string& arn : finished_now) finished_.push_back(std::move(arn));
    while (finished_.size() > max_finished_ && max_finished_ != 0) {
      if (const auto it = executions_.find(finished_.front()); it != executions_.end()) {
        order_.erase({it->second.record.start_millis, it->second.seq});
        executions_.erase(it);
      }
      finished_.pop_front();
    }
    return {};
  }

  void EraseTags(std::string_view arn) REQUIRES(mu_) {
    if (const auto it = tags_.find(arn); it != tags_.end()) tags_.erase(it);
  }

  Mutex mu_;
  std::map<std::string, StateMachineRecord, std::less<>> state_machines_ GUARDED_BY(mu_);
  std::map<std::string, ActivityRecord, std::less<>> activities_ GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::string> documents_ GUARDED_BY(mu_);
  std::map<std::string, Tags, std::less<>> tags_ GUARDED_BY(mu_);
  std::map<std::string, StoredExecution, std::less<>> executions_ GUARDED_BY(mu_);
  std::map<ExecutionPosition, std::string, NewestFirst> order_ GUARDED_BY(mu_);
  std::int64_t next_seq_ GUARDED_BY(mu_) = 0;
  const std::size_t max_finished_;  // 0: keep every execution
  std::deque<std::string> finished_ GUARDED_BY(mu_);  // arns, oldest finished first
  CommitStats stats_ GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(std::size_t max_finished_executions) {
  return std::make_unique<MemoryStore>(max_finished_executions);
}

}  // namespace stepway::store

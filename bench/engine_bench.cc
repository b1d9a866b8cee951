// Engine throughput on the workloads of bench/workloads/: one core, executions back to back,
// in-process (no HTTP, no store), as the npm peers are measured by bench/peer_npm.mjs.
//
// Usage: engine_bench [--workload NAME] [--n N] [--runs R] [--json]
// Per workload prints exec_per_s_median, transitions_per_s_median, latency_ms_p50,
// latency_ms_p99 and max_rss_mb. Task states are answered in-process: choice-loop-task's Inc
// increments $.i; the callback workloads complete their task with {"status": "ok"} at once.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/local_runner.h"

namespace fs = std::filesystem;
using namespace stepway;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5));
  return v[i];
}

double MaxRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

std::optional<cli::TaskOutcome> BenchTasks(engine::TaskCommand& task, std::int64_t) {
  cli::TaskOutcome out;
  if (task.input.is_object() && task.input.get_object().contains("i")) {
    json::Object o = std::move(task.input.get_object());
    std::int64_t i = 0;
    json::AsInt64(o["i"], i);
    o["i"] = i + 1;
    out.output = std::move(o);
  } else {
    out.output = json::Object{{"status", "ok"}};
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  int n = 0, runs = 5;
  bool json_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--workload" && i + 1 < argc) only = argv[++i];
    else if (a == "--n" && i + 1 < argc) n = std::stoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
    else if (a == "--json") json_only = true;
  }
  const fs::path dir = fs::path(STEPWAY_SOURCE_DIR) / "bench" / "workloads";
  auto manifest = json::Parse(ReadFile(dir / "manifest.json"));
  if (!manifest) {
    std::cerr << "cannot read " << (dir / "manifest.json") << "\n";
    return 2;
  }
  if (!json_only) {
    std::printf("%-18s %10s %14s %10s %10s %8s\n", "workload", "exec/s", "transitions/s",
                "p50 ms", "p99 ms", "rss MB");
  }
  for (const auto& kv : manifest->get_object()) {
    const std::string name(kv.key());
    if (!only.empty() && name != only) continue;
    auto parsed = asl::ParseDefinition(ReadFile(dir / (name + ".asl.json")));
    if (!parsed.definition) {
      std::cerr << name << ": " << asl::FormatInvalidDefinition(parsed.diagnostics) << "\n";
      return 1;
    }
    auto input = json::Parse(ReadFile(dir / (name + ".input.json")));
    std::int64_t expected_transitions = 0;
    json::AsInt64(kv.value().at("transitions"), expected_transitions);

    cli::LocalRunOptions options;
    options.fast_waits = true;
    options.keep_history = false;
    options.seed = 42;
    options.tasks = BenchTasks;

    // Size N so that a run takes roughly 0.3 s. The first execution is checked, not timed: it
    // pays the process's one-time costs (intrinsics: OpenSSL loading its digests, some
    // milliseconds), which made N a few dozen executions of a millisecond in all and the
    // rate a matter of luck on a busy machine. N comes from the executions after it, timed
    // for at least 20 ms (the peer's script likewise warms up before it times).
    int per_run = n;
    if (per_run == 0) {
      auto r = cli::RunLocally(parsed.definition, *input, options);
      if (r.status != engine::ExecutionStatus::kSucceeded) {
        std::cerr << name << ": execution " << engine::ExecutionStatusName(r.status) << " "
                  << r.error.value_or("") << " " << r.cause.value_or("") << "\n";
        return 1;
      }
      if (r.transitions != expected_transitions) {
        std::cerr << name << ": " << r.transitions << " transitions, manifest says "
                  << expected_transitions << "\n";
        return 1;
      }
      int timed = 0;
      const auto t0 = std::chrono::steady_clock::now();
      double elapsed = 0;
      while (elapsed < 0.02) {
        cli::RunLocally(parsed.definition, *input, options);
        ++timed;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      const double one = elapsed / timed;
      per_run = std::max(5, int(0.3 / std::max(one, 1e-6)));
    }
    std::vector<double> rates, latencies;
    for (int run = 0; run < runs; ++run) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < per_run; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = cli::RunLocally(parsed.definition, *input, options);
        auto t1 = std::chrono::steady_clock::now();
        if (r.status != engine::ExecutionStatus::kSucceeded) return 1;
        latencies.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rates.push_back(per_run / seconds);
    }
    const double exec_per_s = Percentile(rates, 0.5);
    json::Object row{{"workload", name},
                     {"executions_per_run", per_run},
                     {"exec_per_s_median", exec_per_s},
                     {"transitions_per_s_median", exec_per_s * double(expected_transitions)},
                     {"latency_ms_p50", Percentile(latencies, 0.5)},
                     {"latency_ms_p99", Percentile(latencies, 0.99)},
                     {"max_rss_mb", MaxRssMb()}};
    if (json_only) {
      std::cout << json::Serialize(row) << std::endl;
    } else {
      std::printf("%-18s %10.0f %14.0f %10.4f %10.4f %8.1f\n", name.c_str(), exec_per_s,
                  exec_per_s * double(expected_transitions), Percentile(latencies, 0.5),
                  Percentile(latencies, 0.99), MaxRssMb());
    }
  }
  return 0;
}

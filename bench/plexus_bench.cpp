// plexus_bench: end-to-end benchmarks of a plexus cluster, driven through the public client API.
//
//   plexus up -n 1 --config bench/bench.yaml -- build-bench/bench/plexus_bench throughput
//   plexus_bench throughput [--tasks 100000]   no-op tasks submitted at once, waited for: tasks/s
//   plexus_bench latency    [--tasks 2000]     one no-op task at a time: p50/p99/mean round trip
//   plexus_bench payload    [--tasks 10000 --size 1024]   bench.echo with 1 KB in, 1 KB out
//   plexus_bench bigobject  [--size 100000000]  put() one object, bench.echo it (the worker
//                           fetches it, its result is the same bytes), get the result: GB/s
//   plexus_bench memory     --plexus P --config F [--tasks 1000000]
//                           starts `plexus scheduler` alone, queues N no-op tasks (no worker),
//                           reports the scheduler's bytes per queued task
//   common: --repeat R (default 3), --label TEXT (e.g. "1 worker"), --address tcp://...,
//           --config FILE (the client's endpoint: transport, codec and their options)
//
// The scheduler address comes from --address or $PLEXUS_SCHEDULER_ADDRESS (set by `plexus up`).
// The transport and codec come from the `client:` section of --config when it has one (the file
// `plexus up` was given, so the client uses the same endpoint settings as the workers), else
// tcp + capnp.
// Every measurement prints one JSON line (starting with '{') and one human line (starting with
// '#'); after the repeats, a JSON line with "summary":true holds median, min and max.
//
// Under `plexus up` the scheduler and the workers are this process's siblings (children of the
// same `plexus up`): their CPU time during each measurement is read from /proc and reported, to
// show which process (and which thread) is the bottleneck.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <plexus/client.h>
#include <plexus/codec.h>
#include <plexus/plugin_registry.h>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// ---- options ------------------------------------------------------------------------------

struct Options {
    std::string command;
    std::string address;
    std::string label;
    std::optional<std::size_t> tasks;
    std::optional<std::size_t> size;
    int repeat = 3;
    std::size_t warmup = 200;
    std::string plexusBinary;
    std::string config;
};

[[noreturn]] void usage(const char* why) {
    std::cerr
        << "plexus_bench: " << why << "\n"
        << "usage: plexus_bench throughput|latency|payload|bigobject|memory [--tasks N]\n"
           "       [--size BYTES] [--repeat R] [--warmup N] [--label TEXT] [--address tcp://H:P]\n"
           "       [--config FILE]   (its `client:` section: transport, codec)\n"
           "       [--plexus PATH]   (memory: the scheduler to start, from --config)\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    if (argc < 2) usage("no command");
    o.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + flag).c_str());
            return argv[++i];
        };
        if (flag == "--tasks")
            o.tasks = std::stoull(value());
        else if (flag == "--size")
            o.size = std::stoull(value());
        else if (flag == "--repeat")
            o.repeat = std::max(1, std::stoi(value()));
        else if (flag == "--warmup")
            o.warmup = std::stoull(value());
        else if (flag == "--label")
            o.label = value();
        else if (flag == "--address")
            o.address = value();
        else if (flag == "--plexus")
            o.plexusBinary = value();
        else if (flag == "--config")
            o.config = value();
        else
            usage(("unknown flag " + flag).c_str());
    }
    if (o.address.empty()) {
        if (const char* env = std::getenv("PLEXUS_SCHEDULER_ADDRESS")) o.address = env;
    }
    return o;
}

// ---- /proc helpers ------------------------------------------------------------------------

double load1() {
    std::ifstream in("/proc/loadavg");
    double value = 0;
    in >> value;
    return value;
}

const double kTicks = static_cast<double>(::sysconf(_SC_CLK_TCK));

struct StatLine {
    int ppid = 0;
    double cpuSeconds = 0;  // utime + stime
    double sysSeconds = 0;  // stime: the kernel's part (system calls, wake-ups)
    std::string comm;
};

std::optional<StatLine> readStat(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) return std::nullopt;
    StatLine stat;
    stat.comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> fields;  // fields[0] is field 3 (state)
    std::string field;
    while (rest >> field) fields.push_back(field);
    if (fields.size() < 13) return std::nullopt;
    stat.ppid = std::stoi(fields[1]);
    stat.cpuSeconds = (std::stod(fields[11]) + std::stod(fields[12])) / kTicks;
    stat.sysSeconds = std::stod(fields[12]) / kTicks;
    return stat;
}

std::string cmdlineRole(int pid) {
    std::ifstream in(fmt::format("/proc/{}/cmdline", pid));
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    std::string arg;
    for (char c : all) {
        if (c == '\0') {
            args.push_back(arg);
            arg.clear();
        } else {
            arg += c;
        }
    }
    if (args.size() >= 2 && (args[1] == "scheduler" || args[1] == "worker")) return args[1];
    return args.empty() ? "?" : fs::path(args[0]).filename().string();
}

/// CPU seconds of the processes taking part: this client and, under `plexus up`, its siblings
/// (the scheduler and the workers); per thread too.
struct CpuSnapshot {
    struct Process {
        std::string role;
        double seconds = 0;
        double sysSeconds = 0;
        std::map<int, double> threads;  // tid -> seconds
    };
    std::map<int, Process> processes;
    Clock::time_point at;
};

void addProcess(CpuSnapshot& snapshot, int pid, const std::string& role) {
    auto stat = readStat(fmt::format("/proc/{}/stat", pid));
    if (!stat) return;
    auto& process = snapshot.processes[pid];
    process.role = role;
    process.seconds = stat->cpuSeconds;
    process.sysSeconds = stat->sysSeconds;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
        if (auto t = readStat(task.path() / "stat")) {
            process.threads[std::stoi(task.path().filename().string())] = t->cpuSeconds;
        }
    }
}

CpuSnapshot snapshotCpu(const std::vector<int>& extraPids = {}) {
    CpuSnapshot snapshot;
    snapshot.at = Clock::now();
    const int self = ::getpid();
    const int parent = ::getppid();
    addProcess(snapshot, self, "client");
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const int pid = std::stoi(name);
        if (pid == self) continue;
        const bool extra = std::find(extraPids.begin(), extraPids.end(), pid) != extraPids.end();
        auto stat = readStat(entry.path() / "stat");
        if (!stat || (!extra && stat->ppid != parent)) continue;
        const std::string role = cmdlineRole(pid);
        if (role != "scheduler" && role != "worker") continue;
        addProcess(snapshot, pid, role);
    }
    return snapshot;
}

/// JSON object and human text for the CPU used between two snapshots.
std::pair<std::string, std::string> cpuDelta(const CpuSnapshot& a, const CpuSnapshot& b) {
    const double wall = std::chrono::duration<double>(b.at - a.at).count();
    std::string json = "{";
    std::string human;
    int workerIndex = 0;
    bool first = true;
    for (const auto& [pid, after] : b.processes) {
        auto before = a.processes.find(pid);
        if (before == a.processes.end()) continue;
        std::string name = after.role;
        if (name == "worker") name += std::to_string(++workerIndex);
        const double used = after.seconds - before->second.seconds;
        const double sys = after.sysSeconds - before->second.sysSeconds;
        std::vector<std::pair<double, int>> threads;
        for (const auto& [tid, seconds] : after.threads) {
            auto t = before->second.threads.find(tid);
            const double delta = seconds - (t == before->second.threads.end() ? 0.0 : t->second);
            if (delta > 0) threads.emplace_back(delta, tid);
        }
        std::sort(threads.rbegin(), threads.rend());
        json += fmt::format(
            "{}\"{}\":{{\"pid\":{},\"cpu_s\":{:.3f},\"sys_s\":{:.3f},\"cpu_pct\":{:.1f},\"threads_"
            "pct\":[",
            first ? "" : ",", name, pid, used, sys, wall > 0 ? 100.0 * used / wall : 0.0);
        human +=
            fmt::format(" {} {:.0f}% ({:.0f}% sys)", name, wall > 0 ? 100.0 * used / wall : 0.0,
                        wall > 0 ? 100.0 * sys / wall : 0.0);
        for (std::size_t i = 0; i < threads.size() && i < 6; ++i) {
            // tid - pid: 0 is the process's main thread; others in creation order.
            json += fmt::format("{}[{},{:.1f}]", i ? "," : "", threads[i].second - pid,
                                wall > 0 ? 100.0 * threads[i].first / wall : 0.0);
        }
        json += "]}";
        first = false;
    }
    json += "}";
    return {json, human};
}

// ---- statistics ---------------------------------------------------------------------------

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
    const auto low = static_cast<std::size_t>(rank);
    const auto high = std::min(low + 1, values.size() - 1);
    return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
}

double median(std::vector<double> values) {
    return percentile(std::move(values), 50);
}

struct Summary {
    std::map<std::string, std::vector<double>> metrics;
    std::vector<double> loads;
};

void printSummary(const Options& o, const std::string& bench, const Summary& summary) {
    std::string json =
        fmt::format("{{\"bench\":\"{}\",\"label\":\"{}\",\"summary\":true,\"runs\":{}", bench,
                    o.label, summary.loads.size());
    std::string human =
        fmt::format("# {} [{}] median [min-max] of {}:", bench, o.label, summary.loads.size());
    for (const auto& [name, values] : summary.metrics) {
        const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
        json += fmt::format(",\"{}\":{{\"median\":{:.6g},\"min\":{:.6g},\"max\":{:.6g}}}", name,
                            median(values), *lo, *hi);
        const auto num = [](double v) {
            if (std::abs(v) >= 1000) return fmt::format("{:.0f}", v);
            return std::abs(v) >= 1 ? fmt::format("{:.1f}", v) : fmt::format("{:.3g}", v);
        };
        human += fmt::format(" {} {} [{}-{}];", name, num(median(values)), num(*lo), num(*hi));
    }
    json += ",\"load1\":[";
    for (std::size_t i = 0; i < summary.loads.size(); ++i)
        json += fmt::format("{}{:.2f}", i ? "," : "", summary.loads[i]);
    json += "]}";
    std::cout << json << "\n" << human << std::endl;
}

// ---- the client ---------------------------------------------------------------------------

/// The client's endpoint: the `client:` section of --config if it has one, else tcp + capnp; the
/// address is always --address / $PLEXUS_SCHEDULER_ADDRESS (or `address`, for the memory run).
plexus::ClientOptions clientOptions(const Options& o, const std::string& address) {
    plexus::ClientOptions options;
    if (!o.config.empty()) {
        try {
            const plexus::ConfigNode root = plexus::loadConfigFile(o.config);
            if (root.has("client")) options = plexus::ClientOptions::fromConfig(root);
        } catch (const std::exception& e) {
            std::cerr << "plexus_bench: " << e.what() << "\n";
            std::exit(2);
        }
    }
    if (address.empty()) usage("no scheduler address (set PLEXUS_SCHEDULER_ADDRESS or --address)");
    options.address = address;
    // At least 10 minutes: a million queued tasks, or a 100 MB object on a loaded machine, must
    // not trip the client's timeout (it also bounds get()).
    options.timeout =
        std::max<std::chrono::milliseconds>(options.timeout, std::chrono::minutes(10));
    return options;
}

std::unique_ptr<plexus::Client> connect(const Options& o, const std::string& address) {
    const plexus::ClientOptions options = clientOptions(o, address);
    auto client = plexus::Client::connect(options);
    if (!client) {
        std::cerr << "plexus_bench: cannot connect to " << address << " (" << options.transport
                  << "/" << options.codec << "): " << client.error().describe() << "\n";
        std::exit(1);
    }
    return std::move(*client);
}

/// Waits for every future; returns how many failed (the first error is printed).
std::size_t waitAll(std::vector<plexus::Future>& futures, std::size_t expectedSize = SIZE_MAX) {
    std::size_t failed = 0;
    for (auto& future : futures) {
        try {
            const std::string bytes = future.get();
            if (expectedSize != SIZE_MAX && bytes.size() != expectedSize) {
                if (failed++ == 0)
                    std::cerr << "plexus_bench: result of " << bytes.size() << " bytes, expected "
                              << expectedSize << "\n";
            }
        } catch (const std::exception& e) {
            if (failed++ == 0) std::cerr << "plexus_bench: a task failed: " << e.what() << "\n";
        }
    }
    return failed;
}

/// Runs a few tasks so that connections, workers and allocators are warm.
void warmUp(plexus::Client& client, std::size_t count) {
    std::vector<plexus::Future> futures;
    for (std::size_t i = 0; i < count; ++i) futures.push_back(client.submitArgs("bench.noop", {}));
    if (waitAll(futures) != 0) std::exit(1);
}

int runThroughput(const Options& o) {
    const std::size_t n = o.tasks.value_or(100'000);
    auto client = connect(o, o.address);
    warmUp(*client, o.warmup);
    Summary summary;
    for (int run = 1; run <= o.repeat; ++run) {
        const double load = load1();
        const auto cpu0 = snapshotCpu();
        const auto start = Clock::now();
        std::vector<plexus::Future> futures;
        futures.reserve(n);
        for (std::size_t i = 0; i < n; ++i) futures.push_back(client->submitArgs("bench.noop", {}));
        const auto submitted = Clock::now();
        const std::size_t failed = waitAll(futures);
        const auto end = Clock::now();
        const auto cpu1 = snapshotCpu();
        if (failed != 0) return 1;
        const double seconds = std::chrono::duration<double>(end - start).count();
        const double submitSeconds = std::chrono::duration<double>(submitted - start).count();
        const auto [cpuJson, cpuHuman] = cpuDelta(cpu0, cpu1);
        std::cout
            << fmt::format(
                   "{{\"bench\":\"throughput\",\"label\":\"{}\",\"run\":{},\"tasks\":{},"
                   "\"seconds\":{:.4f},"
                   "\"submit_seconds\":{:.4f},\"tasks_per_s\":{:.1f},\"load1\":{:.2f},\"cpu\":{}}}",
                   o.label, run, n, seconds, submitSeconds, n / seconds, load, cpuJson)
            << "\n"
            << fmt::format(
                   "# throughput [{}] run {}: {} no-op tasks in {:.3f} s = {:.0f} tasks/s (submit "
                   "{:.3f} s); "
                   "load {:.2f}; cpu:{}",
                   o.label, run, n, seconds, n / seconds, submitSeconds, load, cpuHuman)
            << std::endl;
        summary.metrics["tasks_per_s"].push_back(n / seconds);
        summary.loads.push_back(load);
    }
    printSummary(o, "throughput", summary);
    client->disconnect();
    return 0;
}

int runLatency(const Options& o) {
    const std::size_t n = o.tasks.value_or(2'000);
    auto client = connect(o, o.address);
    warmUp(*client, o.warmup);
    for (std::size_t i = 0; i < 50; ++i)
        client->submitArgs("bench.noop", {}).get();  // sequential warm-up
    Summary summary;
    for (int run = 1; run <= o.repeat; ++run) {
        const double load = load1();
        const auto cpu0 = snapshotCpu();
        std::vector<double> micros;
        micros.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto start = Clock::now();
            try {
                client->submitArgs("bench.noop", {}).get();
            } catch (const std::exception& e) {
                std::cerr << "plexus_bench: a task failed: " << e.what() << "\n";
                return 1;
            }
            micros.push_back(
                std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
        const auto cpu1 = snapshotCpu();
        double sum = 0;
        for (double m : micros) sum += m;
        const double mean = sum / static_cast<double>(n);
        const double p50 = percentile(micros, 50);
        const double p99 = percentile(micros, 99);
        const auto [cpuJson, cpuHuman] = cpuDelta(cpu0, cpu1);
        std::cout << fmt::format(
                         "{{\"bench\":\"latency\",\"label\":\"{}\",\"run\":{},\"tasks\":{},\"p50_"
                         "us\":{:.1f},"
                         "\"p99_us\":{:.1f},\"mean_us\":{:.1f},\"max_us\":{:.1f},\"load1\":{:.2f},"
                         "\"cpu\":{}}}",
                         o.label, run, n, p50, p99, mean,
                         *std::max_element(micros.begin(), micros.end()), load, cpuJson)
                  << "\n"
                  << fmt::format(
                         "# latency [{}] run {}: {} sequential no-op tasks: p50 {:.1f} us, p99 "
                         "{:.1f} us, "
                         "mean {:.1f} us; load {:.2f}; cpu:{}",
                         o.label, run, n, p50, p99, mean, load, cpuHuman)
                  << std::endl;
        summary.metrics["p50_us"].push_back(p50);
        summary.metrics["p99_us"].push_back(p99);
        summary.metrics["mean_us"].push_back(mean);
        summary.loads.push_back(load);
    }
    printSummary(o, "latency", summary);
    client->disconnect();
    return 0;
}

int runPayload(const Options& o) {
    const std::size_t n = o.tasks.value_or(10'000);
    auto client = connect(o, o.address);
    warmUp(*client, o.warmup);
    std::string payload(o.size.value_or(1024), '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
    Summary summary;
    for (int run = 1; run <= o.repeat; ++run) {
        const double load = load1();
        const auto cpu0 = snapshotCpu();
        const auto start = Clock::now();
        std::vector<plexus::Future> futures;
        futures.reserve(n);
        for (std::size_t i = 0; i < n; ++i)
            futures.push_back(client->submit("bench.echo", payload));
        const std::size_t failed = waitAll(futures, payload.size());
        const auto end = Clock::now();
        const auto cpu1 = snapshotCpu();
        if (failed != 0) return 1;
        const double seconds = std::chrono::duration<double>(end - start).count();
        // Payload moved: each argument in and each result out (client <-> worker, via the
        // scheduler).
        const double mbps = 2.0 * static_cast<double>(n * payload.size()) / seconds / 1e6;
        const auto [cpuJson, cpuHuman] = cpuDelta(cpu0, cpu1);
        std::cout
            << fmt::format(
                   "{{\"bench\":\"payload\",\"label\":\"{}\",\"run\":{},\"tasks\":{},\"bytes\":{},"
                   "\"seconds\":{:.4f},"
                   "\"tasks_per_s\":{:.1f},\"mb_per_s\":{:.2f},\"load1\":{:.2f},\"cpu\":{}}}",
                   o.label, run, n, payload.size(), seconds, n / seconds, mbps, load, cpuJson)
            << "\n"
            << fmt::format(
                   "# payload [{}] run {}: {} echo tasks of {} B in {:.3f} s = {:.0f} tasks/s, "
                   "{:.2f} MB/s (arguments + results); load {:.2f}; cpu:{}",
                   o.label, run, n, payload.size(), seconds, n / seconds, mbps, load, cpuHuman)
            << std::endl;
        summary.metrics["tasks_per_s"].push_back(n / seconds);
        summary.metrics["mb_per_s"].push_back(mbps);
        summary.loads.push_back(load);
    }
    printSummary(o, "payload", summary);
    client->disconnect();
    return 0;
}

// ---- bigobject: one large object through the whole path ----------------------------------

int runBigObject(const Options& o) {
    const std::size_t size = o.size.value_or(100'000'000);
    auto client = connect(o, o.address);
    warmUp(*client, o.warmup);
    std::string object(size, '\0');
    for (std::size_t i = 0; i < object.size(); i += 4096) object[i] = static_cast<char>(i >> 12);
    Summary summary;
    for (int run = 1; run <= o.repeat; ++run) {
        const double load = load1();
        const auto cpu0 = snapshotCpu();
        // put: client -> scheduler. The task: the worker fetches the object from the scheduler
        // and returns the same bytes as its result object (worker -> scheduler). get: the client
        // fetches the result (scheduler -> client). Every byte crosses 4 sockets.
        const auto start = Clock::now();
        const plexus::ObjectRef ref = client->put(object);
        std::string result;
        try {
            result = client->submit("bench.echo", ref).get();
        } catch (const std::exception& e) {
            std::cerr << "plexus_bench: the task failed: " << e.what() << "\n";
            return 1;
        }
        const auto end = Clock::now();
        const auto cpu1 = snapshotCpu();
        client->free(ref);
        if (result != object) {
            std::cerr << "plexus_bench: the result differs from the object (" << result.size()
                      << " bytes, expected " << object.size() << ")\n";
            return 1;
        }
        const double seconds = std::chrono::duration<double>(end - start).count();
        // What the user moved: the object in and the result out.
        const double gbps = 2.0 * static_cast<double>(size) / seconds / 1e9;
        const auto [cpuJson, cpuHuman] = cpuDelta(cpu0, cpu1);
        std::cout << fmt::format(
                         "{{\"bench\":\"bigobject\",\"label\":\"{}\",\"run\":{},\"bytes\":{},"
                         "\"seconds\":{:.4f},\"gb_per_s\":{:.3f},\"load1\":{:.2f},\"cpu\":{}}}",
                         o.label, run, size, seconds, gbps, load, cpuJson)
                  << "\n"
                  << fmt::format(
                         "# bigobject [{}] run {}: put {:.0f} MB, echo task, get the result in "
                         "{:.3f} s = {:.2f} GB/s (object + result); load {:.2f}; cpu:{}",
                         o.label, run, size / 1e6, seconds, gbps, load, cpuHuman)
                  << std::endl;
        summary.metrics["gb_per_s"].push_back(gbps);
        summary.metrics["seconds"].push_back(seconds);
        summary.loads.push_back(load);
    }
    printSummary(o, "bigobject", summary);
    client->disconnect();
    return 0;
}

// ---- memory: the scheduler alone with N queued tasks --------------------------------------

struct ProcMemory {
    std::uint64_t rss = 0;  // bytes
    std::uint64_t hwm = 0;
};

ProcMemory readMemory(int pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    ProcMemory memory;
    std::string key;
    std::uint64_t kb = 0;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        fields >> key >> kb;
        if (key == "VmRSS:") memory.rss = kb * 1024;
        if (key == "VmHWM:") memory.hwm = kb * 1024;
    }
    return memory;
}

/// The size of the Task frame the client sends for a no-op task (what the scheduler keeps to
/// forward unchanged), encoded with the client's codec plugin exactly as the client builds it.
std::size_t taskFrameBytes(const plexus::Identity& source, const plexus::ClientOptions& options) {
    plexus::PluginRegistry registry(plexus::pluginSearchPath(options.pluginDir));
    auto factory = registry.codec(options.codec);
    if (!factory) return 0;
    auto codec = (*factory)->create(plexus::CodecContext{});
    if (!codec) return 0;
    plexus::Task task;
    task.taskId = std::string(16, '\x5a');
    task.source = source;
    task.metadata = std::string(5, '\0');  // TaskFlags: profiling (1) + priority (4)
    task.funcObjectId = "plexus:fn:bench.noop";
    auto frame = (*codec)->encode(plexus::Message(std::move(task)));
    return frame ? frame->size() : 0;
}

struct Scheduler {
    pid_t pid = -1;
    std::string address;
};

Scheduler startScheduler(const Options& o, const fs::path& addressFile) {
    if (o.plexusBinary.empty() || o.config.empty()) usage("memory needs --plexus and --config");
    std::vector<std::string> args{o.plexusBinary,   "scheduler",          "--config",    o.config,
                                  "--address-file", addressFile.string(), "--log-level", "warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Scheduler scheduler;
    if (::posix_spawn(&scheduler.pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        std::cerr << "plexus_bench: cannot start " << o.plexusBinary << "\n";
        std::exit(1);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
        std::ifstream in(addressFile);
        if (std::getline(in, scheduler.address) && !scheduler.address.empty()) return scheduler;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::cerr << "plexus_bench: the scheduler did not write " << addressFile << " within 10 s\n";
    ::kill(scheduler.pid, SIGKILL);
    std::exit(1);
}

void stopScheduler(Scheduler& scheduler) {
    ::kill(scheduler.pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {
        if (::waitpid(scheduler.pid, &status, WNOHANG) == scheduler.pid) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(scheduler.pid, SIGKILL);
    ::waitpid(scheduler.pid, &status, 0);
}

/// Returns once the scheduler has processed everything this client sent before: put() goes out
/// after the earlier tasks on the same link, and the scheduler answers the get() in order.
void barrier(plexus::Client& client) {
    const plexus::ObjectRef marker = client.put(std::string("barrier"));
    (void)client.get(marker);
    client.free(marker);
}

int runMemory(const Options& o) {
    const std::size_t n = o.tasks.value_or(1'000'000);
    const fs::path dir = fs::temp_directory_path() / fmt::format("plexus-bench-{}", ::getpid());
    fs::create_directories(dir);
    Summary summary;
    for (int run = 1; run <= o.repeat; ++run) {
        const double load = load1();
        const fs::path addressFile = dir / fmt::format("address-{}", run);
        Scheduler scheduler = startScheduler(o, addressFile);
        const ProcMemory idle = readMemory(scheduler.pid);
        auto client = connect(o, scheduler.address);
        barrier(*client);  // registered, links and buffers set up
        const ProcMemory baseline = readMemory(scheduler.pid);
        const auto cpu0 = snapshotCpu({scheduler.pid});
        const auto start = Clock::now();
        std::vector<plexus::Future> futures;
        futures.reserve(n);
        for (std::size_t i = 0; i < n; ++i) futures.push_back(client->submitArgs("bench.noop", {}));
        barrier(*client);
        const double queueSeconds = std::chrono::duration<double>(Clock::now() - start).count();
        const auto cpu1 = snapshotCpu({scheduler.pid});
        // Let the last frees settle, then read the resident set and the high-water mark.
        ProcMemory queued = readMemory(scheduler.pid);
        for (int i = 0; i < 20; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            const ProcMemory now = readMemory(scheduler.pid);
            const bool stable = now.rss == queued.rss;
            queued = now;
            if (stable) break;
        }
        const std::size_t frame =
            taskFrameBytes(client->identity(), clientOptions(o, scheduler.address));
        const auto cancelStart = Clock::now();
        client->disconnect();  // leaves: the scheduler cancels every pending task
        futures.clear();
        // The scheduler drops the client's tasks once it has processed the cancels and the
        // disconnect; wait until its resident set stops shrinking.
        ProcMemory after = readMemory(scheduler.pid);
        for (int i = 0; i < 40; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            const ProcMemory now = readMemory(scheduler.pid);
            const bool stable = now.rss == after.rss;
            after = now;
            if (stable && i > 3) break;
        }
        const double cancelSeconds =
            std::chrono::duration<double>(Clock::now() - cancelStart).count();
        client.reset();
        stopScheduler(scheduler);

        const double perTaskPeak =
            (static_cast<double>(queued.hwm) - static_cast<double>(baseline.rss)) / n;
        const double perTaskRetained =
            (static_cast<double>(queued.rss) - static_cast<double>(baseline.rss)) / n;
        const auto [cpuJson, cpuHuman] = cpuDelta(cpu0, cpu1);
        std::cout
            << fmt::format(
                   "{{\"bench\":\"memory\",\"label\":\"{}\",\"run\":{},\"tasks\":{},\"idle_rss\":{}"
                   ","
                   "\"baseline_rss\":{},\"queued_rss\":{},\"peak_hwm\":{},\"after_cancel_rss\":{},"
                   "\"bytes_per_task_peak\":{:.1f},\"bytes_per_task_retained\":{:.1f},\"task_frame_"
                   "bytes\":{},"
                   "\"beyond_frame_peak\":{:.1f},\"queue_seconds\":{:.3f},\"queue_tasks_per_s\":{:."
                   "0f},"
                   "\"cancel_seconds\":{:.3f},\"load1\":{:.2f},\"cpu\":{}}}",
                   o.label, run, n, idle.rss, baseline.rss, queued.rss, queued.hwm, after.rss,
                   perTaskPeak, perTaskRetained, frame, perTaskPeak - static_cast<double>(frame),
                   queueSeconds, n / queueSeconds, cancelSeconds, load, cpuJson)
            << "\n"
            << fmt::format(
                   "# memory run {}: scheduler RSS {:.1f} MB idle, {:.1f} MB with the client, "
                   "{:.1f} MB "
                   "with {} tasks queued (peak {:.1f} MB), {:.1f} MB after cancel: {:.0f} B/task "
                   "at peak "
                   "({:.0f} retained), of which the kept {}-byte Task frame; queued at {:.0f} "
                   "tasks/s; "
                   "load {:.2f}; cpu:{}",
                   run, idle.rss / 1e6, baseline.rss / 1e6, queued.rss / 1e6, n, queued.hwm / 1e6,
                   after.rss / 1e6, perTaskPeak, perTaskRetained, frame, n / queueSeconds, load,
                   cpuHuman)
            << std::endl;
        summary.metrics["bytes_per_task_peak"].push_back(perTaskPeak);
        summary.metrics["bytes_per_task_retained"].push_back(perTaskRetained);
        summary.metrics["task_frame_bytes"].push_back(static_cast<double>(frame));
        summary.metrics["queue_tasks_per_s"].push_back(n / queueSeconds);
        summary.loads.push_back(load);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    printSummary(o, "memory", summary);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    try {
        if (options.command == "throughput") return runThroughput(options);
        if (options.command == "latency") return runLatency(options);
        if (options.command == "payload") return runPayload(options);
        if (options.command == "bigobject") return runBigObject(options);
        if (options.command == "memory") return runMemory(options);
    } catch (const std::exception& e) {
        std::cerr << "plexus_bench: " << e.what() << "\n";
        return 1;
    }
    usage(("unknown command " + options.command).c_str());
}

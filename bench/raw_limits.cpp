// raw_limits: what this machine does without plexus, measured in the same run as plexus itself
// (see docs/benchmarks.md and shared/reference/perf-anchors.md).
//
//   raw_limits pingpong [--messages 20000] [--size 64] [--repeat 3]
//       two processes over loopback TCP (TCP_NODELAY, blocking reads and writes): one sends a
//       message, the other echoes it; p50/p99/mean of the round trip.
//   raw_limits memcpy [--mb 100] [--repeat 3]
//       memcpy of 100 MB between two buffers already touched: GB/s.
//
// Output: one JSON line per measurement and a "summary" line with median [min-max], plus human
// lines starting with '#', like plexus_bench.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double load1() {
    std::ifstream in("/proc/loadavg");
    double value = 0;
    in >> value;
    return value;
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
    const auto low = static_cast<std::size_t>(rank);
    const auto high = std::min(low + 1, values.size() - 1);
    return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
}

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

bool readAll(int fd, char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::read(fd, data, size);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool writeAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

void noDelay(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct Args {
    std::size_t messages = 20000;
    std::size_t size = 64;
    std::size_t mb = 100;
    int repeat = 3;
};

void summary(const std::string& bench, const std::string& metric, const std::vector<double>& values,
             const std::vector<double>& loads, const std::string& extra = "") {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double mid = percentile(values, 50);
    std::printf(
        "{\"bench\":\"%s\",\"summary\":true,\"runs\":%zu,\"%s\":{\"median\":%.6g,\"min\":%.6g,"
        "\"max\":%.6g}%s,"
        "\"load1\":[",
        bench.c_str(), values.size(), metric.c_str(), mid, *lo, *hi, extra.c_str());
    for (std::size_t i = 0; i < loads.size(); ++i) std::printf("%s%.2f", i ? "," : "", loads[i]);
    std::printf("]}\n# %s median [min-max] of %zu: %s %.4g [%.4g-%.4g]\n", bench.c_str(),
                values.size(), metric.c_str(), mid, *lo, *hi);
}

int pingpong(const Args& args) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    if (::listen(listener, 1) != 0) die("listen");
    const std::size_t warmup = 1000;
    const std::size_t total = (warmup + args.messages) * static_cast<std::size_t>(args.repeat);

    const pid_t child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {  // the echo side
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0) _exit(1);
        noDelay(fd);
        std::vector<char> buffer(args.size);
        for (std::size_t i = 0; i < total; ++i) {
            if (!readAll(fd, buffer.data(), buffer.size()) ||
                !writeAll(fd, buffer.data(), buffer.size()))
                _exit(1);
        }
        _exit(0);
    }
    ::close(listener);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
    noDelay(fd);
    std::vector<char> buffer(args.size, 'x');
    std::vector<double> p50s, p99s, loads;
    for (int run = 1; run <= args.repeat; ++run) {
        const double load = load1();
        std::vector<double> micros;
        micros.reserve(args.messages);
        for (std::size_t i = 0; i < warmup + args.messages; ++i) {
            const auto start = Clock::now();
            if (!writeAll(fd, buffer.data(), buffer.size()) ||
                !readAll(fd, buffer.data(), buffer.size()))
                die("pingpong");
            if (i >= warmup)
                micros.push_back(
                    std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
        double sum = 0;
        for (double m : micros) sum += m;
        const double p50 = percentile(micros, 50), p99 = percentile(micros, 99);
        std::printf(
            "{\"bench\":\"tcp_pingpong\",\"run\":%d,\"messages\":%zu,\"size\":%zu,\"p50_us\":%.2f,"
            "\"p99_us\":%.2f,"
            "\"mean_us\":%.2f,\"load1\":%.2f}\n# tcp ping-pong run %d: %zu x %zu B round trips: "
            "p50 %.1f us, "
            "p99 %.1f us, mean %.1f us; load %.2f\n",
            run, args.messages, args.size, p50, p99, sum / micros.size(), load, run, args.messages,
            args.size, p50, p99, sum / micros.size(), load);
        p50s.push_back(p50);
        p99s.push_back(p99);
        loads.push_back(load);
    }
    ::close(fd);
    int status = 0;
    ::waitpid(child, &status, 0);
    const auto [lo, hi] = std::minmax_element(p99s.begin(), p99s.end());
    char extra[160];
    std::snprintf(extra, sizeof extra, ",\"p99_us\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g}",
                  percentile(p99s, 50), *lo, *hi);
    summary("tcp_pingpong", "p50_us", p50s, loads, extra);
    return 0;
}

int memcpyBandwidth(const Args& args) {
    const std::size_t bytes = args.mb * 1000 * 1000;
    std::vector<char> from(bytes, 'a');
    std::vector<char> to(bytes, 'b');  // touched: no page faults in the timed copies
    std::vector<double> rates, loads;
    for (int run = 1; run <= args.repeat; ++run) {
        const double load = load1();
        std::memcpy(to.data(), from.data(), bytes);  // warm
        const int copies = 5;
        const auto start = Clock::now();
        for (int i = 0; i < copies; ++i) {
            from[static_cast<std::size_t>(i)] = static_cast<char>(i);
            std::memcpy(to.data(), from.data(), bytes);
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const double gbps = copies * static_cast<double>(bytes) / seconds / 1e9;
        std::printf(
            "{\"bench\":\"memcpy\",\"run\":%d,\"bytes\":%zu,\"gb_per_s\":%.2f,\"load1\":%.2f,"
            "\"check\":%d}\n"
            "# memcpy run %d: %zu MB into a touched buffer: %.2f GB/s; load %.2f\n",
            run, bytes, gbps, load, to[bytes / 2], run, args.mb, gbps, load);
        rates.push_back(gbps);
        loads.push_back(load);
    }
    summary("memcpy", "gb_per_s", rates, loads);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(
            stderr,
            "usage: raw_limits pingpong|memcpy [--messages N] [--size B] [--mb MB] [--repeat R]\n");
        return 2;
    }
    const std::string command = argv[1];
    Args args;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::size_t value = std::stoull(argv[i + 1]);
        if (flag == "--messages")
            args.messages = value;
        else if (flag == "--size")
            args.size = value;
        else if (flag == "--mb")
            args.mb = value;
        else if (flag == "--repeat")
            args.repeat = static_cast<int>(std::max<std::size_t>(1, value));
        else {
            std::fprintf(stderr, "raw_limits: unknown flag %s\n", flag.c_str());
            return 2;
        }
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    if (command == "pingpong") return pingpong(args);
    if (command == "memcpy") return memcpyBandwidth(args);
    std::fprintf(stderr, "raw_limits: unknown command %s\n", command.c_str());
    return 2;
}

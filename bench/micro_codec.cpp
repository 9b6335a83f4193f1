// Micro-benchmarks (Google Benchmark) of every codec plugin the real loader finds: encode and
// decode of representative messages. Codecs are looked up by name through PluginRegistry, the
// way the runtime does it; one that is not built (protobuf, until it exists) is skipped with a
// note. The tcp framing benchmarks are in micro_framing.cpp, in the same executable.
//
//   build-bench/bench/plexus_micro_bench [--benchmark_filter=capnp] [--benchmark_min_time=0.2]

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <plexus/codec.h>
#include <plexus/identity.h>
#include <plexus/messages.h>
#include <plexus/plugin_registry.h>

namespace {

std::string bytesOf(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
    return s;
}

const plexus::Identity& clientIdentity() {
    static const plexus::Identity identity = plexus::makeIdentity("Client");
    return identity;
}

plexus::Message clientHeartbeat() {
    return plexus::ClientHeartbeat{plexus::Resource{12, 123'456'789}, 1234};
}

plexus::Message taskWithTwoArgs() {
    plexus::Task task;
    task.taskId = bytesOf(16, 1);
    task.source = clientIdentity();
    task.metadata = std::string(5, '\0');
    task.funcObjectId = "plexus:fn:pi.sample";
    task.functionArgs.push_back({plexus::ArgumentType::objectID, bytesOf(24, 2)});
    task.functionArgs.push_back({plexus::ArgumentType::objectID, bytesOf(24, 3)});
    return task;
}

plexus::Message taskResult() {
    return plexus::TaskResult{bytesOf(16, 1), plexus::TaskStatus::success, {}, {bytesOf(24, 4)}};
}

plexus::Message objectCreate(std::size_t payloadBytes) {
    plexus::ObjectInstruction instruction;
    instruction.instructionType = plexus::ObjectInstructionType::create;
    instruction.objectUser = clientIdentity();
    instruction.objectContent.ids.push_back(bytesOf(24, 5));
    instruction.objectContent.types.push_back(plexus::ObjectType::object);
    instruction.objectContent.names.push_back("<arg 0>");
    std::vector<plexus::Buffer> chunks;
    chunks.push_back(plexus::Buffer::copyOf(bytesOf(payloadBytes, 6)));
    instruction.objectContent.payloads.push_back(std::move(chunks));
    return instruction;
}

struct Case {
    const char* name;
    plexus::Message (*make)();
};

plexus::Message object1k() {
    return objectCreate(1024);
}
plexus::Message object1m() {
    return objectCreate(1 << 20);
}

const Case kCases[] = {
    {"ClientHeartbeat", &clientHeartbeat}, {"Task2Args", &taskWithTwoArgs},
    {"TaskResult", &taskResult},           {"ObjectInstruction1KB", &object1k},
    {"ObjectInstruction1MB", &object1m},
};

void registerCodec(const std::string& codecName, std::shared_ptr<const plexus::Codec> codec) {
    for (const Case& c : kCases) {
        auto message = std::make_shared<plexus::Message>(c.make());
        auto frame = codec->encode(*message);
        if (!frame) {
            std::fprintf(stderr, "# %s: cannot encode %s: %s\n", codecName.c_str(), c.name,
                         frame.error().describe().c_str());
            continue;
        }
        const std::size_t frameBytes = frame->size();
        auto encoded = std::make_shared<plexus::Buffer>(std::move(*frame));
        benchmark::RegisterBenchmark(
            ("encode/" + codecName + "/" + c.name).c_str(),
            [codec, message, frameBytes](benchmark::State& state) {
                for (auto _ : state) {
                    auto out = codec->encode(*message);
                    benchmark::DoNotOptimize(out);
                }
                state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frameBytes));
                state.counters["frame_bytes"] = static_cast<double>(frameBytes);
            });
        benchmark::RegisterBenchmark(
            ("decode/" + codecName + "/" + c.name).c_str(),
            [codec, encoded, frameBytes](benchmark::State& state) {
                for (auto _ : state) {
                    auto out = codec->decode(*encoded);
                    if (!out) state.SkipWithError("decode failed");
                    benchmark::DoNotOptimize(out);
                }
                state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frameBytes));
                state.counters["frame_bytes"] = static_cast<double>(frameBytes);
            });
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Never destroyed: the codecs below come from its libraries, and the benchmarks holding them
    // are static objects of Google Benchmark's that would outlive a local registry.
    auto& registry = *new plexus::PluginRegistry(plexus::pluginSearchPath(std::nullopt));
    for (const std::string name : {"capnp", "protobuf"}) {
        auto factory = registry.codec(name);
        if (!factory) {
            std::fprintf(stderr, "# codec %s not available, skipped: %s\n", name.c_str(),
                         factory.error().message.substr(0, 200).c_str());
            continue;
        }
        auto codec = (*factory)->create(plexus::CodecContext{});
        if (!codec) {
            std::fprintf(stderr, "# codec %s: create failed: %s\n", name.c_str(),
                         codec.error().describe().c_str());
            continue;
        }
        registerCodec(name, std::shared_ptr<const plexus::Codec>(std::move(*codec)));
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::ClearRegisteredBenchmarks();  // drop the codecs while their libraries are mapped
    benchmark::Shutdown();
    return 0;
}

// Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) from real frames: every message
// kind encoded by the real codec plugins (loaded through the build tree's registry), and YMQ
// streams as a peer sends them. Run it after a change to the message set or the wire formats:
//
//     build/tests/fuzz/plexus_fuzz_make_seeds tests/fuzz/corpus
//
// The output is deterministic (no random identities or ids), so regenerating an unchanged
// corpus changes no file. test_fuzz_replay checks the committed seeds still are what they
// claim: codec frames of every kind, and complete YMQ streams.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "conformance/codec_suite.h"
#include "framing.h"
#include "fuzz_targets.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace plexus;

namespace {

void writeFile(const fs::path& path, std::span<const std::byte> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::unique_ptr<Codec> loadCodec(PluginRegistry& registry, const std::string& name) {
    auto factory = registry.codec(name);
    if (!factory) throw std::runtime_error(factory.error().describe());
    auto codec = (*factory)->create({});
    if (!codec) throw std::runtime_error(codec.error().describe());
    return std::move(*codec);
}

Buffer encode(const Codec& codec, const Message& message) {
    auto frame = codec.encode(message);
    if (!frame) throw std::runtime_error(frame.error().describe());
    return std::move(*frame);
}

/// Every sample message (a value in every field) and every kind with default values.
void writeCodecSeeds(const Codec& codec, const fs::path& dir) {
    fs::create_directories(dir);
    const std::vector<Message> samples = test::sampleMessages();
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const std::string kind(messageKindName(kindOf(samples[i])));
        writeFile(dir / (kind + ".bin"), encode(codec, samples[i]).bytes());
        Message empty = std::move(test::sampleMessages()[i]);
        std::visit([](auto& m) { m = std::decay_t<decltype(m)>{}; }, empty);
        writeFile(dir / (kind + "-default.bin"), encode(codec, empty).bytes());
    }
}

/// A tcp framing input: the reader's chunk selector and read-size seed (see fuzz_targets.h),
/// then what a peer sends: magic, identity, frames.
std::vector<std::byte> stream(std::uint8_t chunkSelector, std::uint8_t readSeed,
                              const Identity& identity, const std::vector<Buffer>& frames) {
    std::vector<std::byte> out{std::byte{chunkSelector}, std::byte{readSeed}};
    const Buffer preamble = tcp::encodePreamble(identity);
    out.insert(out.end(), preamble.bytes().begin(), preamble.bytes().end());
    for (const Buffer& frame : frames) {
        const tcp::LengthHeader header = tcp::encodeLength(frame.size());
        out.insert(out.end(), header.begin(), header.end());
        out.insert(out.end(), frame.bytes().begin(), frame.bytes().end());
    }
    return out;
}

void writeTcpSeeds(const Codec& capnp, const Codec& protobuf, const fs::path& dir) {
    fs::create_directories(dir);
    const Identity client = "4242|Client|0123456789abcdef0123456789abcdef";
    const Identity worker = "4343|Agent|fedcba9876543210fedcba9876543210";
    const std::vector<Message> samples = test::sampleMessages();
    const auto sample = [&](MessageKind kind) -> const Message& {
        return samples[static_cast<std::size_t>(kind)];
    };
    const auto frames = [&](const Codec& codec, std::initializer_list<MessageKind> kinds) {
        std::vector<Buffer> out;
        for (MessageKind kind : kinds) out.push_back(encode(codec, sample(kind)));
        return out;
    };

    writeFile(dir / "handshake-only.bin", stream(63, 0, client, {}));
    // A client session in 7-byte reads: a heartbeat, a task, an empty frame, a task result.
    std::vector<Buffer> session = frames(capnp, {MessageKind::clientHeartbeat, MessageKind::task});
    session.emplace_back();
    session.push_back(encode(capnp, sample(MessageKind::taskResult)));
    writeFile(dir / "client-session.bin", stream(6, 1, client, session));
    // A worker session over the protobuf codec, in 64-byte reads.
    writeFile(dir / "worker-session.bin",
              stream(63, 2, worker,
                     frames(protobuf, {MessageKind::workerHeartbeat,
                                       MessageKind::workerCapabilities, MessageKind::taskResult})));
    // A frame of exactly the limit, read straight into the frame after the first 16 bytes.
    std::vector<Buffer> large;
    large.push_back(test::patternBuffer(fuzz::kFuzzMaxFrameBytes, 7));
    writeFile(dir / "frame-at-limit.bin", stream(15, 3, worker, large));
    // Byte-at-a-time reads of a heartbeat exchange.
    writeFile(
        dir / "one-byte-reads.bin",
        stream(0, 4, worker,
               frames(capnp, {MessageKind::workerHeartbeat, MessageKind::workerHeartbeatEcho})));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir, e.g. tests/fuzz/corpus>\n", argv[0]);
        return 2;
    }
    try {
        const fs::path root = argv[1];
        auto registry = test::makeBuildRegistry();
        const auto capnp = loadCodec(*registry, "capnp");
        const auto protobuf = loadCodec(*registry, "protobuf");
        writeCodecSeeds(*capnp, root / "capnp_decode");
        writeCodecSeeds(*protobuf, root / "protobuf_decode");
        writeTcpSeeds(*capnp, *protobuf, root / "tcp_framing");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plexus_fuzz_make_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}

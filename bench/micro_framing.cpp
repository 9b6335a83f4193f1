// Micro-benchmarks of the tcp transport's YMQ framing (plugins/transport-tcp/framing.cpp,
// compiled in as tests/plugins/transport-tcp does: the plugin exports only its entry symbol).
//
//   encode: what Connection::startWrite does per batch: a length header per frame and a gather
//           list of header + payload (the bytes themselves are not copied: writev sends them)
//   decode: FrameDecoder::feed over a received byte stream in 64 KiB reads (the connection's
//           read chunk), producing one exactly-sized Buffer per frame

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/buffer.hpp>

#include "framing.h"

namespace {

using plexus::Buffer;
namespace tcp = plexus::tcp;

constexpr std::size_t kReadChunk = 64 * 1024;

std::size_t framesFor(std::size_t size) {
    return size >= (1u << 20) ? 8 : 1024;
}

void BM_FrameEncode(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const std::size_t count = framesFor(size);
    std::vector<Buffer> frames;
    for (std::size_t i = 0; i < count; ++i)
        frames.push_back(Buffer::copyOf(std::string(size, 'x')));
    std::vector<tcp::LengthHeader> headers;
    std::vector<boost::asio::const_buffer> gather;
    for (auto _ : state) {
        headers.clear();
        gather.clear();
        headers.resize(count);
        for (std::size_t i = 0; i < count; ++i) {
            headers[i] = tcp::encodeLength(frames[i].size());
            gather.emplace_back(headers[i].data(), headers[i].size());
            gather.emplace_back(frames[i].data(), frames[i].size());
        }
        benchmark::DoNotOptimize(gather.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
    state.SetBytesProcessed(
        static_cast<int64_t>(state.iterations() * count * (size + tcp::kLengthHeaderBytes)));
}

void BM_FrameDecode(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const std::size_t count = framesFor(size);
    // The byte stream a peer sends: preamble, then `count` frames.
    std::vector<std::byte> stream;
    const Buffer preamble = tcp::encodePreamble("1234|Client|0123456789abcdef0123456789abcdef");
    stream.insert(stream.end(), preamble.bytes().begin(), preamble.bytes().end());
    const std::vector<std::byte> payload(size, std::byte{'x'});
    for (std::size_t i = 0; i < count; ++i) {
        const auto header = tcp::encodeLength(size);
        stream.insert(stream.end(), header.begin(), header.end());
        stream.insert(stream.end(), payload.begin(), payload.end());
    }
    std::vector<Buffer> frames;
    frames.reserve(count);
    for (auto _ : state) {
        tcp::FrameDecoder decoder(std::size_t{1} << 30);
        frames.clear();
        std::span<const std::byte> rest(stream);
        while (!rest.empty()) {
            const std::size_t take = std::min(rest.size(), kReadChunk);
            if (!decoder.feed(rest.first(take), frames)) state.SkipWithError("decode failed");
            rest = rest.subspan(take);
        }
        if (frames.size() != count) state.SkipWithError("wrong frame count");
        benchmark::DoNotOptimize(frames.data());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}

}  // namespace

BENCHMARK(BM_FrameEncode)->Arg(64)->Arg(1024)->Arg(1 << 20);
BENCHMARK(BM_FrameDecode)->Arg(64)->Arg(1024)->Arg(1 << 20);

// The fuzz targets in the normal test suite: every committed seed and every saved regression
// input replayed through the same invariant checks the fuzzers run (so a sanitizer build of the
// suite replays them under ASan and UBSan too), and the seeds checked to be what they claim.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "framing.h"
#include "fuzz_targets.h"
#include "support/test_support.h"

namespace plexus::fuzz {
namespace {

namespace fs = std::filesystem;

struct Target {
    std::string name;  ///< the folder under tests/fuzz/corpus and tests/fuzz/regressions
    Violation (*check)(Input);
};

void PrintTo(const Target& target, std::ostream* out) {
    *out << target.name;
}

const Target kTargets[] = {
    {"tcp_framing", &checkTcpFraming},
    {"capnp_decode", &checkCapnpDecode},
    {"protobuf_decode", &checkProtobufDecode},
};

fs::path fuzzDir() {
    return test::sourceDir() / "tests" / "fuzz";
}

/// The files in `dir`, sorted (none if it does not exist).
std::vector<fs::path> filesIn(const fs::path& dir) {
    std::vector<fs::path> files;
    if (!fs::is_directory(dir)) return files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::uint8_t> readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, SeedsHoldEveryInvariant) {
    const auto seeds = filesIn(fuzzDir() / "corpus" / GetParam().name);
    ASSERT_FALSE(seeds.empty()) << "no seeds for " << GetParam().name;
    for (const fs::path& seed : seeds) {
        const auto bytes = readFile(seed);
        const Violation violation = GetParam().check(bytes);
        EXPECT_FALSE(violation) << seed << ": " << *violation;
    }
}

TEST_P(FuzzReplay, SavedRegressionInputsHoldEveryInvariant) {
    const auto inputs = filesIn(fuzzDir() / "regressions" / GetParam().name);
    if (inputs.empty()) GTEST_SKIP() << "no regression inputs for " << GetParam().name;
    for (const fs::path& input : inputs) {
        const auto bytes = readFile(input);
        const Violation violation = GetParam().check(bytes);
        EXPECT_FALSE(violation) << input << ": " << *violation;
    }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return info.param.name; });

// ---- the seeds are real ---------------------------------------------------------------------

class CodecSeeds : public ::testing::TestWithParam<std::string> {};

/// Every seed is a frame the real plugin (through the real loader) decodes, and together they
/// hold every message kind, so the fuzzer starts from each kind's layout.
TEST_P(CodecSeeds, AreFramesOfEveryKind) {
    auto registry = test::makeBuildRegistry();
    auto factory = registry->codec(GetParam());
    ASSERT_TRUE(factory) << factory.error().describe();
    auto codec = (*factory)->create({});
    ASSERT_TRUE(codec) << codec.error().describe();

    std::set<MessageKind> kinds;
    for (const fs::path& seed : filesIn(fuzzDir() / "corpus" / (GetParam() + "_decode"))) {
        const auto bytes = readFile(seed);
        auto message = (*codec)->decode(Buffer::copyOf(std::as_bytes(std::span(bytes))));
        ASSERT_TRUE(message) << seed << ": " << message.error().describe();
        kinds.insert(kindOf(*message));
    }
    EXPECT_EQ(kinds.size(), kMessageKindCount)
        << "regenerate the seeds: build/tests/fuzz/plexus_fuzz_make_seeds tests/fuzz/corpus";
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecSeeds, ::testing::Values("capnp", "protobuf"),
                         [](const auto& info) { return info.param; });

/// Every tcp seed is a whole YMQ stream: a handshake, then frames, ending between frames.
TEST(TcpSeeds, AreCompleteStreams) {
    const auto seeds = filesIn(fuzzDir() / "corpus" / "tcp_framing");
    ASSERT_FALSE(seeds.empty());
    std::size_t totalFrames = 0;
    for (const fs::path& seed : seeds) {
        const auto bytes = readFile(seed);
        ASSERT_GE(bytes.size(), 2u) << seed;
        tcp::FrameDecoder decoder(kFuzzMaxFrameBytes);
        std::vector<Buffer> frames;
        auto fed = decoder.feed(std::as_bytes(std::span(bytes).subspan(2)), frames);
        ASSERT_TRUE(fed) << seed << ": " << fed.error().describe();
        EXPECT_TRUE(decoder.handshakeDone()) << seed;
        EXPECT_TRUE(decoder.atFrameBoundary()) << seed << ": " << decoder.describePosition();
        totalFrames += frames.size();
    }
    EXPECT_GT(totalFrames, seeds.size());
}

}  // namespace
}  // namespace plexus::fuzz

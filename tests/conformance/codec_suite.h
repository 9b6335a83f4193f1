#pragma once

// The codec conformance suite: written once, instantiated for every codec plugin. It loads the
// plugin through the real loader (the build tree's plugin folder) and checks the contract of
// plexus/codec.h: every message kind round-trips, object payloads of any size survive and are
// shared with the frame, and hostile input (empty, truncated, random, bit-flipped, unaligned)
// is refused or decoded but never crashes.
//
// Instantiate it in a codec's test executable (which also compiles codec_suite.cpp):
//
//     INSTANTIATE_TEST_SUITE_P(Capnp, CodecConformance,
//                              ::testing::Values(plexus::test::CodecSuiteParam{"capnp"}),
//                              plexus::test::codecSuiteParamName);

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "plexus/codec.h"
#include "plexus/messages.h"
#include "plexus/plugin_registry.h"

namespace plexus::test {

struct CodecSuiteParam {
    std::string name;  ///< the codec plugin's name ("capnp")
    /// Whether every strict prefix of a valid frame must be refused. True for formats whose
    /// frames say how long they are (Cap'n Proto's segment table); a format whose messages can
    /// end at any field boundary (protobuf) sets false, and truncations then need only not crash.
    bool refusesTruncation = true;
};

std::string codecSuiteParamName(const ::testing::TestParamInfo<CodecSuiteParam>& info);
inline void PrintTo(const CodecSuiteParam& param, std::ostream* out) {
    *out << param.name;
}

/// One message of every kind, in MessageKind order (element i has kind i), with a non-default
/// value in every field, including an object instruction with several objects and chunks.
std::vector<Message> sampleMessages();

/// Every field of `message`, one per line ("taskResult.status = 1"); payloads as their length
/// and content (a hash past 64 bytes). Chunking is not shown: codecs may cut a payload into
/// chunks differently, and readers concatenate them.
std::string describeMessage(const Message& message);

/// Field-by-field equality of two messages; on failure, names the first differing field.
::testing::AssertionResult messagesEqual(const Message& expected, const Message& actual);

/// All chunks of one object's payload, concatenated.
std::string concatenated(const std::vector<Buffer>& chunks);

/// A payload chunk of `size` bytes of a deterministic pattern seeded by `seed`.
Buffer patternBuffer(std::size_t size, unsigned seed);

class CodecConformance : public ::testing::TestWithParam<CodecSuiteParam> {
  protected:
    void SetUp() override;

    /// Encodes `message`, failing the test (and returning an empty Buffer) if encoding fails.
    Buffer encodeOrFail(const Message& message);

    std::unique_ptr<PluginRegistry> registry_;  // declared first: outlives the codec
    std::unique_ptr<Codec> codec_;
};

}  // namespace plexus::test

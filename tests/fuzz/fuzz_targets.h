#pragma once

// The fuzz targets: each takes arbitrary bytes, runs them through real plugin code, and checks
// invariants that must hold for every input. They are plain functions so that two drivers share
// them: the libFuzzer executables (libfuzzer_main.cpp, built with -DPLEXUS_FUZZ=ON and clang),
// which abort on a violation, and the replay test of the normal suite (test_fuzz_replay.cpp),
// which runs every committed seed and regression input through them with any compiler.
//
// A target returns nothing when all its invariants hold, else a description of the first one
// that did not. A crash, a sanitizer report or an allocation out of proportion to the input is
// a finding too, caught by the driver's sanitizers and -rss_limit_mb.
//
// Thread-safety: targets may be called from one thread at a time (libFuzzer's model); the codec
// targets share one codec per process, made on first use.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace plexus::fuzz {

using Input = std::span<const std::uint8_t>;
using Violation = std::optional<std::string>;

/// The frame size limit the framing target gives its decoders: small, so that inputs of a few
/// KiB reach the "frame too large" refusal as well as every other state.
inline constexpr std::size_t kFuzzMaxFrameBytes = 1024;

/// The tcp transport's YMQ stream decoder (plugins/transport-tcp/framing.h). The first two
/// bytes of the input choose how the stream is cut into reads: byte 0 the reader's chunk size
/// (1..64 bytes, standing in for the connection's 64 KiB chunk), byte 1 seeds the sizes of the
/// individual reads (a socket read may return fewer bytes than asked). The rest is the stream,
/// read exactly as tcp_connection.cpp reads it: into the chunk and feed(), or straight into
/// directTarget() and commitDirect() once a frame is at least a chunk long.
/// Invariants: the same frames, identity and error as one feed() of the whole stream; frames
/// no larger than the limit and word-aligned; re-encoding the identity and frames gives back
/// the stream's bytes (all of them when it ended cleanly between frames); an error is sticky.
Violation checkTcpFraming(Input input);

/// The capnp codec (plugins/codec-capnp), made by the plugin's own factory. The input is one
/// frame. Invariants: a refusal is ErrorKind::Decode; the same outcome at an unaligned address;
/// a decoded message re-encodes, that frame decodes, and re-encoding it gives the same bytes.
Violation checkCapnpDecode(Input input);

/// The protobuf codec (plugins/codec-protobuf), the same way and with the same invariants.
Violation checkProtobufDecode(Input input);

}  // namespace plexus::fuzz

#pragma once

#include <memory>

#include "plexus/buffer.h"
#include "plexus/config.h"
#include "plexus/messages.h"
#include "plexus/result.h"

namespace plexus {

/// Turns messages into frames and frames into messages.
///
/// Thread-safety: encode() and decode() are const and may run concurrently on any thread.
class Codec {
public:
    virtual ~Codec() = default;
    /// One frame holding `message`. Fails (ErrorKind::TooLarge / InvalidArgument) rather than
    /// producing a frame the other side cannot read.
    virtual Result<Buffer> encode(const Message& message) const noexcept = 0;
    /// The message in `frame`. Malformed, truncated or hostile input is an ErrorKind::Decode
    /// error, never a crash or an allocation out of proportion to the input. Object payloads in
    /// the result may share `frame`'s bytes rather than copy them.
    virtual Result<Message> decode(const Buffer& frame) const noexcept = 0;
};

struct CodecContext {
    ConfigNode options;  ///< the plugin's own configuration subtree (may be absent)
};

/// Made by a codec plugin; lives as long as the plugin is loaded. create() is thread-safe.
class CodecFactory {
public:
    virtual ~CodecFactory() = default;
    virtual Result<std::unique_ptr<Codec>> create(const CodecContext& context) const noexcept = 0;
};

}  // namespace plexus

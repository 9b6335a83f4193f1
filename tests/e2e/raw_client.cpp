#include "e2e/raw_client.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "plexus/identity.h"
#include "support/test_support.h"

namespace plexus::test {

namespace {

/// One YMQ frame (u64 little-endian length, then the bytes), or nothing by the deadline.
std::optional<std::string> readFrame(RawSocket& socket, std::chrono::milliseconds timeout) {
    const auto header = socket.readExactly(8, timeout);
    if (!header) return std::nullopt;
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i)
        length |= std::uint64_t(static_cast<unsigned char>((*header)[i])) << (8 * i);
    return socket.readExactly(length, timeout);
}
}  // namespace

RawClient::RawClient(const std::string& address)
    : registry_(makeBuildRegistry()),
      identity_(makeIdentity("Client")),
      socket_(RawSocket::connectTo(portOf(address))) {
    codec_ = orThrow(orThrow(registry_->codec("capnp"))->create(CodecContext{}));
    if (!socket_.write(ymqPreamble(identity_))) throw std::runtime_error("handshake failed");
}

void RawClient::send(const Message& message) {
    const Buffer frame = orThrow(codec_->encode(message));
    ASSERT_TRUE(socket_.write(ymqFrame(frame.view()))) << "the scheduler closed the link";
}

std::optional<Message> RawClient::receive(std::chrono::milliseconds timeout) {
    if (!handshakeRead_) {
        // The magic, then the scheduler's identity as the first frame.
        if (!socket_.readExactly(4, timeout) || !readFrame(socket_, timeout)) return std::nullopt;
        handshakeRead_ = true;
    }
    const auto payload = readFrame(socket_, timeout);
    if (!payload) return std::nullopt;
    auto message = codec_->decode(Buffer::copyOf(*payload));
    if (!message) throw std::runtime_error("undecodable frame: " + message.error().describe());
    return std::move(*message);
}

ObjectInstruction createObjects(const Identity& owner, const std::vector<Bytes>& ids,
                                const std::vector<std::string>& payloads) {
    ObjectInstruction instruction{ObjectInstructionType::create, owner, {}};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        instruction.objectContent.ids.push_back(ids[i]);
        instruction.objectContent.types.push_back(ObjectType::object);
        instruction.objectContent.names.push_back("arg");
        std::vector<Buffer> chunks;
        chunks.push_back(Buffer::copyOf(payloads[i]));
        instruction.objectContent.payloads.push_back(std::move(chunks));
    }
    return instruction;
}

}  // namespace plexus::test

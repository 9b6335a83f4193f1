#pragma once

// A SchedulerCore driven directly: messages in, a recording outbox out, a fake clock.

#include <gtest/gtest.h>

#include "scheduler/scheduler_core.h"

namespace plexus::detail::scheduler_test {

using namespace std::chrono_literals;

class RecordingOutbox : public Outbox {
  public:
    struct Sent {
        PeerAddress to;
        MessageKind kind;
        Message message;
    };
    void send(const PeerAddress& to, const Message& message) override {
        sent.push_back(Sent{to, kindOf(message), cloneMessage(message)});
    }
    void forward(const PeerAddress& to, std::uint32_t, const Message& message,
                 const Buffer&) override {
        send(to, message);
    }
    void forwardFrame(const PeerAddress& to, std::uint32_t, const Buffer& frame) override {
        forwardedFrames.emplace_back(to, frame.share());
    }
    void requestStop() override { stopRequested = true; }

    std::vector<Sent> sent;
    std::vector<std::pair<PeerAddress, Buffer>> forwardedFrames;
    bool stopRequested = false;
};

class SchedulerCoreTest : public ::testing::Test {
  protected:
    SchedulerCoreTest() { settings.clientTimeout = settings.workerTimeout = 60s; }

    void receive(const std::string& peer, Message message, std::uint32_t endpoint = 0) {
        core.onMessage(PeerAddress{endpoint, peer}, std::move(message), Buffer(), now);
    }

    /// Messages of `kind` sent to `peer`, in order.
    std::vector<const Message*> sentTo(const std::string& peer, MessageKind kind) const {
        std::vector<const Message*> found;
        for (const auto& sent : outbox.sent) {
            if (sent.to.peer == peer && sent.kind == kind) found.push_back(&sent.message);
        }
        return found;
    }
    std::size_t count(MessageKind kind) const {
        std::size_t n = 0;
        for (const auto& sent : outbox.sent) n += sent.kind == kind;
        return n;
    }

    static Task task(const std::string& id, const std::string& client,
                     std::vector<std::string> args = {}, const std::string& function = "fn") {
        Task t{id, client, {}, function, {}};
        for (auto& arg : args)
            t.functionArgs.push_back(Argument{ArgumentType::objectID, std::move(arg)});
        return t;
    }
    static ObjectInstruction objects(const std::string& owner, std::vector<std::string> ids) {
        ObjectInstruction instruction{ObjectInstructionType::create, owner, {}};
        for (auto& id : ids) {
            instruction.objectContent.types.push_back(ObjectType::object);
            instruction.objectContent.names.push_back("name-" + id);
            std::vector<Buffer> chunks;
            chunks.push_back(Buffer::copyOf(std::string_view("bytes-" + id)));
            instruction.objectContent.payloads.push_back(std::move(chunks));
            instruction.objectContent.ids.push_back(std::move(id));
        }
        return instruction;
    }
    static TaskResult result(const std::string& id, TaskStatus status = TaskStatus::success,
                             std::vector<std::string> results = {}) {
        return TaskResult{id, status, {}, std::move(results)};
    }

    SchedulerSettings settings;
    RecordingOutbox outbox;
    SchedulerCore core{settings, outbox};
    Clock::time_point now = Clock::time_point() + 1000s;
};

}  // namespace plexus::detail::scheduler_test

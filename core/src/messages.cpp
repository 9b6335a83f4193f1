#include "plexus/messages.h"

#include <array>

namespace plexus {

std::string_view messageKindName(MessageKind kind) noexcept {
    static constexpr std::array<std::string_view, kMessageKindCount> kNames = {
        "task",
        "taskCancel",
        "taskResult",
        "graphTask",
        "graphTaskCancel",
        "objectInstruction",
        "objectRequest",
        "objectResponse",
        "clientHeartbeat",
        "clientHeartbeatEcho",
        "workerHeartbeat",
        "workerHeartbeatEcho",
        "disconnectRequest",
        "disconnectResponse",
        "stateClient",
        "stateObject",
        "stateBalanceAdvice",
        "stateScheduler",
        "stateWorker",
        "stateTask",
        "stateGraphTask",
        "clientDisconnect",
        "clientShutdownResponse",
        "processorInitialized",
        "workerCapabilities",
        "clientCapabilities",
    };
    const auto index = static_cast<std::size_t>(kind);
    return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

ObjectContent cloneObjectContent(const ObjectContent& content) {
    ObjectContent copy;
    copy.ids = content.ids;
    copy.types = content.types;
    copy.names = content.names;
    copy.payloads.reserve(content.payloads.size());
    for (const auto& chunks : content.payloads) {
        auto& out = copy.payloads.emplace_back();
        out.reserve(chunks.size());
        for (const auto& chunk : chunks) out.push_back(chunk.share());
    }
    return copy;
}

Message cloneMessage(const Message& message) {
    return std::visit(
        [](const auto& value) -> Message {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, ObjectInstruction>) {
                return ObjectInstruction{value.instructionType, value.objectUser,
                                         cloneObjectContent(value.objectContent)};
            } else if constexpr (std::is_same_v<T, ObjectResponse>) {
                return ObjectResponse{value.responseType, cloneObjectContent(value.objectContent)};
            } else {
                return value;
            }
        },
        message);
}

}  // namespace plexus

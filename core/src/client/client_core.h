#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "client/future_state.h"
#include "plexus/client.h"
#include "plexus/plugin_registry.h"
#include "runtime/endpoint.h"
#include "runtime/event_loop.h"

namespace plexus::detail {

/// The engine behind plexus::Client.
///
/// Threads: user threads build messages (ids, task, argument objects) and queue a Command in
/// the inbox; the loop thread owns every piece of protocol state below "loop thread only" and
/// is the only one to send. The inbox posts one drain per burst (a post only when it was empty),
/// and a drain merges the burst's new objects into one ObjectInstruction(create) sent before
/// the burst's tasks. The loop runs on the transport's I/O thread (the endpoint hosts it), so a
/// frame is decoded and handled right there: a result completes its future on that thread, with
/// no hand-off in between.
///
/// Lifetime: shared, so that futures can reach it weakly for cancel(); the Client owns the only
/// strong reference. close() stops the loop and the transport; the destructor does it too if
/// close() was never called.
///
/// Reconnects: the transport reconnects by itself. Whether the scheduler on the new link is the
/// one the client talked to (a link that dropped and came back) or a new one (a scheduler that
/// restarted, or one that timed this client out) is told by the session marker, an object the
/// client creates at connect: a new scheduler does not hold it. On every reconnect the client
/// asks for the marker, then creates a new one and asks for that. The answer for the new one
/// always comes; if the old one's did not come first, the scheduler is new, and what it had
/// from this client is gone: tasks in flight fail with TaskLost(notFound), and put() objects are
/// marked lost (tasks and gets using them fail with ObjectNotFound instead of waiting forever).
class ClientCore final : public EndpointListener, public std::enable_shared_from_this<ClientCore> {
  public:
    static Result<std::shared_ptr<ClientCore>> start(ClientOptions options);
    ~ClientCore() override;
    ClientCore(const ClientCore&) = delete;
    ClientCore& operator=(const ClientCore&) = delete;

    // User threads. See plexus::Client for the contracts.
    const Identity& identity() const { return identity_; }
    ObjectRef put(std::string bytes);
    std::string get(const ObjectRef& object);
    void free(const ObjectRef& object);
    Future submit(std::string_view function, std::vector<TaskArg> args);
    /// Called by Future::cancel() after it completed the future: sends TaskCancel unless closed.
    void cancel(const Bytes& taskId);
    bool shutdown();
    /// Closes: `notifyScheduler` sends cancels, deletes and ClientDisconnect first. Idempotent.
    void close(bool notifyScheduler, const std::string& reason) noexcept;

    // EndpointListener: loop thread.
    void onPeerConnected(std::uint32_t endpoint, const PeerId& peer) override;
    void onPeerDisconnected(std::uint32_t endpoint, const PeerId& peer,
                            const Error& reason) override;
    void onMessage(std::uint32_t endpoint, const PeerId& peer, Message message,
                   Buffer frame) override;

  private:
    using Clock = std::chrono::steady_clock;

    // ---- commands: user thread -> loop thread
    struct PutCommand {
        ObjectContent objects;
        std::size_t bytes = 0;
    };
    struct SubmitCommand {
        Task task;
        ObjectContent objects;        ///< the task's new argument objects
        std::vector<Bytes> userArgs;  ///< ids of put() objects it references
        std::shared_ptr<FutureState> future;
        std::size_t bytes = 0;
    };
    struct GetCommand {
        Bytes id;
        std::shared_ptr<Slot<Payload>> waiter;
    };
    struct ForgetGetCommand {
        Bytes id;
        std::shared_ptr<Slot<Payload>> waiter;
    };
    struct FreeCommand {
        Bytes id;
    };
    struct CancelCommand {
        Bytes taskId;
    };
    struct ShutdownCommand {
        std::shared_ptr<Slot<bool>> answer;
    };
    struct CloseCommand {
        bool notifyScheduler = true;
        std::string reason;
        std::shared_ptr<Slot<bool>> closed;
    };
    using Command = std::variant<PutCommand, SubmitCommand, GetCommand, ForgetGetCommand,
                                 FreeCommand, CancelCommand, ShutdownCommand, CloseCommand>;

    /// A reconnect's question "is this still the scheduler I talked to?" (see above).
    struct Probe {
        Bytes previous;  ///< the marker the old scheduler holds
        Bytes next;      ///< created on the new link; its answer ends the probe
        bool previousSeen = false;
        std::vector<Bytes> tasks;    ///< in flight when the link came back
        std::vector<Bytes> objects;  ///< put() objects then
        std::vector<Bytes> gets;     ///< objects get() was waiting for then
    };

    /// New objects and tasks of one drain, sent as one create followed by the tasks.
    struct Outgoing {
        ObjectContent creates;
        std::vector<Task> tasks;
        std::size_t bytes = 0;
    };

    // ---- loop-thread state
    struct TaskEntry {
        std::shared_ptr<FutureState> future;
        std::vector<Bytes> ownedArgs;  ///< created by submit(); deleted when the task ends
        std::vector<Bytes> userArgs;   ///< put() objects; their use counts drop when it ends
        Bytes resultId;                ///< set once a TaskResult with a result object arrived
        TaskStatus status = TaskStatus::inactive;
        bool cancelSent = false;
    };
    struct UserObject {
        std::uint32_t uses = 0;  ///< tasks not yet ended that reference it
        bool freed = false;      ///< free() was called while in use: delete when uses reaches 0
    };
    enum class Life { open, lost, closed };  // guarded by inboxMutex_
    enum class Closing { no, barrier, linkClosing, done };

    explicit ClientCore(ClientOptions options);

    // User threads.
    void enqueue(Command command);     // throws ClientDisconnected unless open
    bool tryEnqueue(Command command);  // false unless open
    void pushLocked(Command command);  // inboxMutex_ held
    void stopLocked() noexcept;        // lifecycleMutex_ held
    void checkPayload(std::size_t size) const;

    // Loop thread.
    void drain();
    void handle(PutCommand& command, Outgoing& out);
    void handle(SubmitCommand& command, Outgoing& out);
    void handle(GetCommand& command);
    void handle(ForgetGetCommand& command);
    void handle(FreeCommand& command);
    void handle(CancelCommand& command);
    void handle(ShutdownCommand& command);
    void handle(CloseCommand& command);
    void flush(Outgoing& out);
    void send(const Message& message);

    void sendHeartbeat();
    void onHeartbeatTimer();
    void onCheckTimer();
    void onEcho();
    void onTaskResult(TaskResult& result);
    void onObjectResponse(ObjectResponse& response);
    void onShutdownResponse(const ClientShutdownResponse& response);
    /// The task has ended and its result (if any) was fetched: delete what it held.
    void finishTask(const Bytes& taskId);
    void releaseUserObject(const Bytes& id);
    void queueDeletes(const std::vector<Bytes>& ids);
    void flushDeletes();  ///< sends the queued deletes now, as one message
    void queueFetch(const Bytes& resultId);
    void flushFetches();  ///< sends the queued result fetches now, as one ObjectRequest
    void createMarker(const Bytes& id);
    void startProbe();
    /// True if `id` was the answer a probe waited for (the response is then consumed).
    bool onProbeAnswer(const Bytes& id, bool found);
    void schedulerReplaced(const Probe& probe);
    void loseScheduler();
    void failEverything(const std::string& reason);
    void sendDisconnectAndCloseLink();
    void closeLink();
    void finishClose();

    const ClientOptions options_;
    const std::chrono::milliseconds closeGrace_;
    // Declaration order is destruction order reversed: the registry outlives the endpoint whose
    // transport and codec its plugins made, and the loop outlives the endpoint hosting it.
    PluginRegistry registry_;
    EventLoop loop_;
    const Identity identity_;
    const Bytes idPrefix_;
    std::unique_ptr<Endpoint> endpoint_;
    PeerId scheduler_;

    std::mutex inboxMutex_;
    std::vector<Command> inbox_;  // guarded by inboxMutex_
    Life life_ = Life::open;      // guarded by inboxMutex_
    std::string lifeReason_;      // guarded by inboxMutex_

    std::mutex lifecycleMutex_;  // serialises close() and teardown; guards stopped_
    bool stopped_ = false;

    // Loop thread only.
    std::unordered_map<Bytes, TaskEntry> tasks_;
    std::unordered_map<Bytes, Bytes> resultToTask_;  ///< result object id -> task id, while fetched
    std::unordered_map<Bytes, UserObject> userObjects_;
    std::unordered_map<Bytes, std::vector<std::shared_ptr<Slot<Payload>>>> gets_;
    std::vector<std::shared_ptr<Slot<bool>>> shutdownWaiters_;
    Bytes marker_;                           ///< the session marker the scheduler holds
    std::optional<Probe> probe_;             ///< while a reconnect's question is open
    std::unordered_set<Bytes> lostObjects_;  ///< put() objects a restarted scheduler lost
    std::vector<Bytes> pendingDeletes_;
    bool deleteFlushPosted_ = false;
    std::vector<Bytes> pendingFetches_;  // result objects to fetch, sent once per loop batch
    bool fetchFlushPosted_ = false;
    bool linkUp_ = false;
    bool linkWasUp_ = false;
    bool lost_ = false;
    std::uint32_t heartbeatsOutstanding_ = 0;
    Clock::time_point heartbeatSentAt_;
    Clock::time_point lastEcho_;
    std::uint32_t latencyUs_ = 0;
    Closing closing_ = Closing::no;
    Clock::time_point closeDeadline_;
    std::shared_ptr<Slot<bool>> closed_;
};

}  // namespace plexus::detail

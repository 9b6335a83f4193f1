#include "client/client_core.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "client/ids.h"
#include "plexus/log.h"

namespace plexus::detail {
namespace {

// Prefix of Task.funcObjectId for native functions (docs/protocol.md).
constexpr std::string_view kFunctionPrefix = "plexus:fn:";

// A drain sends its merged argument objects early once they pass this size, so one message
// stays far below any frame limit and the scheduler handles big bursts in pieces.
constexpr std::size_t kCoalesceBytes = std::size_t{4} << 20;

// Room for the message around an object's payload (ids, names, list headers) when checking an
// object against maxFrameBytes.
constexpr std::size_t kFrameOverhead = 4096;

// Longest the close sequence waits for the scheduler's echo (all earlier messages processed)
// and for the link to close. A live scheduler answers in milliseconds; this only bounds how long
// a dead or stuck one holds disconnect().
constexpr std::chrono::milliseconds kMaxCloseGrace{5000};

// How often the echo timeout (and close deadlines) are checked: a twentieth of the timeout, so a
// lost scheduler is noticed within 5% of it, between 10 ms and 1 s.
std::chrono::milliseconds checkInterval(std::chrono::milliseconds timeout) {
    return std::clamp(timeout / 20, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

// The payload as one chunk sharing the string's memory (no copy).
std::vector<Buffer> payloadOf(std::string bytes) {
    auto owner = std::make_shared<std::string>(std::move(bytes));
    const auto* data = reinterpret_cast<const std::byte*>(owner->data());
    const std::size_t size = owner->size();
    std::vector<Buffer> chunks;
    chunks.push_back(Buffer::wrap(std::move(owner), data, size));
    return chunks;
}

// This process's resident set size, for the heartbeat (Scaler reports it; schedulers show it).
std::uint64_t residentBytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t total = 0;
    std::uint64_t resident = 0;
    if (!(statm >> total >> resident)) return 0;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

void appendObject(ObjectContent& content, Bytes id, Bytes name, std::vector<Buffer> payload) {
    content.ids.push_back(std::move(id));
    content.types.push_back(ObjectType::object);
    content.names.push_back(std::move(name));
    content.payloads.push_back(std::move(payload));
}

void appendContent(ObjectContent& to, ObjectContent& from) {
    for (std::size_t i = 0; i < from.ids.size(); ++i) {
        appendObject(to, std::move(from.ids[i]), std::move(from.names[i]),
                     std::move(from.payloads[i]));
    }
}

}  // namespace

Payload holdPayload(std::vector<Buffer> chunks) {
    // Below this a copy is cheap, and holding a slice could pin a much larger frame.
    constexpr std::size_t kSharedChunkBytes = 64 * 1024;
    for (Buffer& chunk : chunks) {
        if (chunk.size() < kSharedChunkBytes) chunk = Buffer::copyOf(chunk.bytes());
    }
    return std::make_shared<const std::vector<Buffer>>(std::move(chunks));
}

std::string joinChunks(const std::vector<Buffer>& chunks) {
    if (chunks.size() == 1) return std::string(chunks.front().view());
    std::size_t size = 0;
    for (const auto& chunk : chunks) size += chunk.size();
    std::string out;
    out.reserve(size);
    for (const auto& chunk : chunks) out += chunk.view();
    return out;
}

// ---- setup and teardown -------------------------------------------------------------------

ClientCore::ClientCore(ClientOptions options)
    : options_(std::move(options)),
      closeGrace_(std::min(options_.timeout, kMaxCloseGrace)),
      registry_(pluginSearchPath(options_.pluginDir)),
      identity_(makeIdentity("Client")),
      idPrefix_(objectIdPrefix(identity_)) {}

Result<std::shared_ptr<ClientCore>> ClientCore::start(ClientOptions options) {
    if (options.address.empty())
        return fail(ErrorKind::InvalidArgument, "client: no scheduler address");
    if (options.heartbeatInterval.count() <= 0 || options.timeout.count() <= 0) {
        return fail(ErrorKind::InvalidArgument,
                    "client: heartbeat interval and timeout must be positive");
    }
    if (options.maxFrameBytes < 1024) {
        return fail(ErrorKind::InvalidArgument, "client: maxFrameBytes must be at least 1024");
    }
    std::shared_ptr<ClientCore> core(new ClientCore(std::move(options)));
    const ClientOptions& o = core->options_;
    EndpointConfig config{o.address,      o.transport,    o.codec, o.transportOptions,
                          o.codecOptions, o.endpointNode, {}};
    auto endpoint = Endpoint::create(0, std::move(config), core->registry_, core->identity_,
                                     o.maxFrameBytes, core->loop_, *core);
    if (!endpoint) return tl::unexpected(endpoint.error());
    core->endpoint_ = std::move(*endpoint);
    core->endpoint_->hostLoop();
    auto peer = core->endpoint_->connect();
    if (!peer) return tl::unexpected(peer.error());
    core->scheduler_ = *peer;

    ClientCore* self = core.get();  // the loop and its timers are stopped before *self goes
    core->lastEcho_ = Clock::now();
    core->sendHeartbeat();  // the first message on the link (Scaler: heartbeat before anything)
    core->marker_ = newObjectId(core->idPrefix_);
    core->createMarker(core->marker_);
    core->loop_.every(o.heartbeatInterval, [self] { self->onHeartbeatTimer(); });
    core->loop_.every(checkInterval(o.timeout), [self] { self->onCheckTimer(); });
    core->loop_.start();
    logger().debug("client {} connecting to {}", printable(core->identity_), o.address);
    return core;
}

ClientCore::~ClientCore() {
    std::lock_guard lock(lifecycleMutex_);
    stopLocked();
}

void ClientCore::stopLocked() noexcept {
    if (stopped_) return;
    stopped_ = true;
    {
        std::lock_guard inbox(inboxMutex_);
        life_ = Life::closed;
        if (lifeReason_.empty()) lifeReason_ = "client disconnected";
    }
    loop_.stop();
    loop_.waitStopped();
    endpoint_.reset();  // joins the transport's I/O thread; later posts to the loop never run
    // The loop has stopped for good, so its state is ours now. Normally the close sequence has
    // failed every waiter already; if it could not run (its safety net expired), nobody may be left
    // waiting forever.
    try {
        std::vector<Command> left;
        {
            std::lock_guard inbox(inboxMutex_);
            left.swap(inbox_);
        }
        const ClientDisconnected error("client disconnected");
        for (auto& command : left) {
            if (auto* submit = std::get_if<SubmitCommand>(&command)) submit->future->fail(error);
            if (auto* get = std::get_if<GetCommand>(&command)) get->waiter->fail(error);
            if (auto* shutdown = std::get_if<ShutdownCommand>(&command))
                shutdown->answer->fail(error);
            if (auto* close = std::get_if<CloseCommand>(&command)) close->closed->set(true);
        }
        failEverything("client disconnected");
    } catch (...) {
        // bad_alloc while failing waiters: nothing more can be done from a destructor.
    }
}

void ClientCore::close(bool notifyScheduler, const std::string& reason) noexcept {
    // Held throughout, so a second caller returns only once the client is closed.
    std::lock_guard lifecycle(lifecycleMutex_);
    if (stopped_) return;
    try {
        auto closed = std::make_shared<Slot<bool>>();
        {
            std::lock_guard inbox(inboxMutex_);
            life_ = Life::closed;
            lifeReason_ = reason;
            pushLocked(CloseCommand{notifyScheduler, reason, closed});
        }
        // The loop bounds each phase by closeGrace_; this is only a safety net.
        closed->waitUntil(Clock::now() + 2 * closeGrace_ + std::chrono::seconds(1));
    } catch (const std::exception& error) {
        logger().error("client: error while disconnecting: {}", error.what());
    } catch (...) {
    }
    stopLocked();
}

// ---- user threads -------------------------------------------------------------------------

void ClientCore::pushLocked(Command command) {
    const bool wasEmpty = inbox_.empty();
    inbox_.push_back(std::move(command));
    // One wake-up per burst: while the loop has not drained, later commands join the batch.
    if (wasEmpty) loop_.post([this] { drain(); });
}

void ClientCore::enqueue(Command command) {
    std::lock_guard lock(inboxMutex_);
    if (life_ != Life::open) throw ClientDisconnected(lifeReason_);
    pushLocked(std::move(command));
}

bool ClientCore::tryEnqueue(Command command) {
    std::lock_guard lock(inboxMutex_);
    if (life_ != Life::open) return false;
    pushLocked(std::move(command));
    return true;
}

void ClientCore::checkPayload(std::size_t size) const {
    if (size + kFrameOverhead > options_.maxFrameBytes) {
        throw std::invalid_argument(
            fmt::format("object of {} bytes is over the client's frame limit of {} bytes", size,
                        options_.maxFrameBytes));
    }
}

ObjectRef ClientCore::put(std::string bytes) {
    checkPayload(bytes.size());
    Bytes id = newObjectId(idPrefix_);
    PutCommand command;
    command.bytes = bytes.size();
    appendObject(command.objects, id, "<put>", payloadOf(std::move(bytes)));
    enqueue(std::move(command));
    return ObjectRef(std::move(id));
}

std::string ClientCore::get(const ObjectRef& object) {
    if (!object.valid()) throw std::invalid_argument("get() of an empty ObjectRef");
    auto waiter = std::make_shared<Slot<Payload>>();
    enqueue(GetCommand{object.id(), waiter});
    if (!waiter->waitUntil(Clock::now() + options_.timeout)) {
        tryEnqueue(ForgetGetCommand{object.id(), waiter});
        throw RequestTimedOut(fmt::format("no answer for object {} within {} ms",
                                          toHex(object.id()), options_.timeout.count()));
    }
    return joinChunks(*waiter->get());
}

void ClientCore::free(const ObjectRef& object) {
    if (!object.valid()) return;
    enqueue(FreeCommand{object.id()});
}

Future ClientCore::submit(std::string_view function, std::vector<TaskArg> args) {
    if (function.empty()) throw std::invalid_argument("submit() needs a function name");
    SubmitCommand command;
    command.task.taskId = randomBytes(kTaskIdBytes);
    command.task.source = identity_;
    command.task.metadata = encodeTaskFlags(false, 0);
    command.task.funcObjectId = std::string(kFunctionPrefix) + std::string(function);
    command.task.functionArgs.reserve(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (auto* ref = std::get_if<ObjectRef>(&args[i])) {
            if (!ref->valid()) throw std::invalid_argument("submit() with an empty ObjectRef");
            command.task.functionArgs.push_back(Argument{ArgumentType::objectID, ref->id()});
            command.userArgs.push_back(ref->id());
            continue;
        }
        auto& bytes = std::get<std::string>(args[i]);
        checkPayload(bytes.size());
        command.bytes += bytes.size();
        Bytes id = newObjectId(idPrefix_);
        command.task.functionArgs.push_back(Argument{ArgumentType::objectID, id});
        appendObject(command.objects, std::move(id), fmt::format("<arg {}>", i),
                     payloadOf(std::move(bytes)));
    }
    command.future = std::make_shared<FutureState>(command.task.taskId, weak_from_this());
    Future future(command.future);
    enqueue(std::move(command));
    return future;
}

void ClientCore::cancel(const Bytes& taskId) {
    tryEnqueue(CancelCommand{taskId});
}

bool ClientCore::shutdown() {
    auto answer = std::make_shared<Slot<bool>>();
    enqueue(ShutdownCommand{answer});
    if (!answer->waitUntil(Clock::now() + options_.timeout)) return false;
    bool accepted = false;
    try {
        accepted = answer->get();
    } catch (const ClientError&) {
        return false;  // the scheduler was lost meanwhile
    }
    if (accepted) close(false, "the cluster was shut down");
    return accepted;
}

// ---- loop thread: commands ----------------------------------------------------------------

void ClientCore::drain() {
    std::vector<Command> batch;
    {
        std::lock_guard lock(inboxMutex_);
        batch.swap(inbox_);
    }
    Outgoing out;
    for (auto& command : batch) {
        std::visit(
            [&](auto& c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, PutCommand> || std::is_same_v<T, SubmitCommand>) {
                    handle(c, out);
                } else {
                    flush(
                        out);  // what came before goes out first (creates before gets and frees...)
                    handle(c);
                }
            },
            command);
    }
    flush(out);
}

void ClientCore::flush(Outgoing& out) {
    if (!out.creates.ids.empty()) {
        send(ObjectInstruction{ObjectInstructionType::create, identity_, std::move(out.creates)});
    }
    for (const auto& task : out.tasks) send(task);
    out = Outgoing{};
    // Deletes queued so far (by free()) go before whatever the next command sends, so a get()
    // after a free() is never answered with the freed object.
    flushDeletes();
}

void ClientCore::send(const Message& message) {
    endpoint_->send(scheduler_, message);
}

void ClientCore::handle(PutCommand& command, Outgoing& out) {
    for (const auto& id : command.objects.ids) userObjects_.try_emplace(id);
    appendContent(out.creates, command.objects);
    out.bytes += command.bytes;
    if (out.bytes >= kCoalesceBytes) flush(out);
}

void ClientCore::handle(SubmitCommand& command, Outgoing& out) {
    if (closing_ != Closing::no || lost_) {
        command.future->fail(ClientDisconnected("the client lost its scheduler"));
        return;
    }
    for (const auto& id : command.userArgs) {
        if (lostObjects_.count(id) != 0) {
            command.future->fail(ObjectNotFound(fmt::format(
                "argument object {} was put() into a scheduler that has since restarted",
                toHex(id))));
            return;
        }
    }
    TaskEntry entry;
    entry.future = command.future;
    entry.ownedArgs = command.objects.ids;
    entry.userArgs = std::move(command.userArgs);
    for (const auto& id : entry.userArgs) {
        if (auto it = userObjects_.find(id); it != userObjects_.end()) ++it->second.uses;
    }
    tasks_.emplace(command.task.taskId, std::move(entry));
    appendContent(out.creates, command.objects);
    out.tasks.push_back(std::move(command.task));
    out.bytes += command.bytes;
    if (out.bytes >= kCoalesceBytes) flush(out);
}

void ClientCore::handle(GetCommand& command) {
    if (lostObjects_.count(command.id) != 0) {
        command.waiter->fail(ObjectNotFound(fmt::format(
            "object {} was put() into a scheduler that has since restarted", toHex(command.id))));
        return;
    }
    auto& waiters = gets_[command.id];
    waiters.push_back(std::move(command.waiter));
    // Several gets of one object share one request.
    if (waiters.size() == 1) send(ObjectRequest{ObjectRequestType::get, {command.id}});
}

void ClientCore::handle(ForgetGetCommand& command) {
    auto it = gets_.find(command.id);
    if (it == gets_.end()) return;
    std::erase(it->second, command.waiter);
    // A late answer for the object is then ignored.
    if (it->second.empty()) gets_.erase(it);
}

void ClientCore::handle(FreeCommand& command) {
    auto it = userObjects_.find(command.id);
    if (it == userObjects_.end()) return;
    if (it->second.uses > 0) {
        it->second.freed = true;  // deleted when the last task using it ends
        return;
    }
    userObjects_.erase(it);
    queueDeletes({command.id});
}

void ClientCore::handle(CancelCommand& command) {
    auto it = tasks_.find(command.taskId);
    if (it == tasks_.end() || it->second.cancelSent || !it->second.resultId.empty()) return;
    it->second.cancelSent = true;
    send(TaskCancel{command.taskId, false, false});
}

void ClientCore::handle(ShutdownCommand& command) {
    if (lost_) {
        command.answer->fail(ClientDisconnected("the client lost its scheduler"));
        return;
    }
    shutdownWaiters_.push_back(std::move(command.answer));
    send(ClientDisconnect{DisconnectType::shutdown});
}

void ClientCore::handle(CloseCommand& command) {
    closed_ = std::move(command.closed);
    closing_ = Closing::linkClosing;
    if (!command.notifyScheduler) {
        failEverything(command.reason);
        tasks_.clear();
        resultToTask_.clear();
        userObjects_.clear();
        pendingDeletes_.clear();
        return closeLink();
    }
    // Drop every object this client owns, then leave. Tasks still pending are not cancelled one
    // by one: a scheduler (plexus's or Scaler's) cancels every task of a client that sends
    // ClientDisconnect, so a TaskCancel per task would only cost a frame each way.
    std::vector<Bytes> deletes = std::move(pendingDeletes_);
    pendingDeletes_.clear();
    for (auto& [taskId, entry] : tasks_) {
        entry.future->fail(ClientDisconnected(command.reason));
        deletes.insert(deletes.end(), entry.ownedArgs.begin(), entry.ownedArgs.end());
        if (!entry.resultId.empty()) deletes.push_back(entry.resultId);
    }
    for (const auto& [id, object] : userObjects_) deletes.push_back(id);
    deletes.push_back(marker_);
    if (probe_) deletes.push_back(probe_->next);
    failEverything(command.reason);
    tasks_.clear();
    resultToTask_.clear();
    userObjects_.clear();
    if (!deletes.empty()) {
        ObjectInstruction instruction{ObjectInstructionType::del, identity_, {}};
        instruction.objectContent.ids = std::move(deletes);
        send(std::move(instruction));
    }
    if (linkUp_ && !lost_) {
        // A heartbeat as a barrier: its echo says the scheduler has processed everything above.
        // ClientDisconnect then goes last, onto an idle link, so closing the link right after
        // it loses nothing. (A heartbeat after ClientDisconnect would register the client
        // again.)
        closing_ = Closing::barrier;
        closeDeadline_ = Clock::now() + closeGrace_;
        sendHeartbeat();
        return;
    }
    sendDisconnectAndCloseLink();
}

void ClientCore::sendDisconnectAndCloseLink() {
    send(ClientDisconnect{DisconnectType::disconnect});
    closeLink();
}

void ClientCore::closeLink() {
    // The transport closes the link after flushing the frames sent before this call.
    endpoint_->disconnect(scheduler_);
    if (!linkUp_) return finishClose();
    closing_ = Closing::linkClosing;
    closeDeadline_ = Clock::now() + closeGrace_;
}

void ClientCore::finishClose() {
    closing_ = Closing::done;
    if (closed_) closed_->set(true);
}

// ---- loop thread: heartbeats and liveness -------------------------------------------------

void ClientCore::sendHeartbeat() {
    ++heartbeatsOutstanding_;
    heartbeatSentAt_ = Clock::now();
    send(ClientHeartbeat{Resource{0, residentBytes()}, latencyUs_});
    // After every heartbeat (which comes first on a new link, as in Scaler), so a scheduler that
    // restarted or forgot this client learns again that it fetches its results at once.
    send(ClientCapabilities{ClientCapabilities::kFetchesResultsEagerly, kPlexusProtocolVersion});
}

void ClientCore::onHeartbeatTimer() {
    // Ping-pong, as Scaler: the next heartbeat only once the previous one was echoed.
    if (closing_ != Closing::no || lost_ || heartbeatsOutstanding_ > 0) return;
    sendHeartbeat();
}

void ClientCore::onCheckTimer() {
    const auto now = Clock::now();
    switch (closing_) {
        case Closing::no:
            if (!lost_ && now - lastEcho_ > options_.timeout) loseScheduler();
            return;
        case Closing::barrier:
            if (now > closeDeadline_) {
                logger().debug(
                    "client: no echo from the scheduler while disconnecting; closing anyway");
                sendDisconnectAndCloseLink();
            }
            return;
        case Closing::linkClosing:
            if (now > closeDeadline_) finishClose();
            return;
        case Closing::done:
            return;
    }
}

void ClientCore::onEcho() {
    const auto now = Clock::now();
    if (heartbeatsOutstanding_ > 0) --heartbeatsOutstanding_;
    lastEcho_ = now;
    latencyUs_ = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - heartbeatSentAt_).count());
    if (closing_ == Closing::barrier && heartbeatsOutstanding_ == 0) sendDisconnectAndCloseLink();
}

void ClientCore::loseScheduler() {
    const std::string reason = fmt::format("no heartbeat echo from the scheduler at {} for {} ms",
                                           options_.address, options_.timeout.count());
    logger().warn("client: {}", reason);
    lost_ = true;
    {
        std::lock_guard lock(inboxMutex_);
        if (life_ == Life::open) {
            life_ = Life::lost;
            lifeReason_ = reason;
        }
    }
    failEverything(reason);
}

// ---- loop thread: is the scheduler after a reconnect the same one? -------------------------

void ClientCore::createMarker(const Bytes& id) {
    ObjectInstruction create{ObjectInstructionType::create, identity_, {}};
    appendObject(create.objectContent, id, "<session>", payloadOf("plexus client session"));
    send(std::move(create));
}

void ClientCore::startProbe() {
    Probe probe;
    // A probe still open asked about the same scheduler as this one does.
    probe.previous = probe_ ? probe_->previous : marker_;
    if (probe_) queueDeletes({probe_->next});
    probe.next = newObjectId(idPrefix_);
    for (const auto& [id, entry] : tasks_) probe.tasks.push_back(id);
    for (const auto& [id, object] : userObjects_) probe.objects.push_back(id);
    for (const auto& [id, waiters] : gets_) probe.gets.push_back(id);
    // A scheduler answers requests in order, and one for an object it holds at once: the old
    // marker's answer comes before the new one's if and only if it has the old marker. (One
    // that lacks it holds the request back, or answers objectNotExist.) The heartbeat sent
    // before registers this client with a new scheduler, so the new marker is accepted.
    send(ObjectRequest{ObjectRequestType::get, {probe.previous}});
    createMarker(probe.next);
    send(ObjectRequest{ObjectRequestType::get, {probe.next}});
    probe_ = std::move(probe);
}

bool ClientCore::onProbeAnswer(const Bytes& id, bool found) {
    if (id == probe_->previous) {
        probe_->previousSeen = found;
        return true;
    }
    if (id != probe_->next) return false;
    const Probe probe = std::move(*probe_);
    probe_.reset();
    if (probe.previousSeen) {
        queueDeletes({probe.next});  // the same scheduler: its marker stands
    } else {
        marker_ = probe.next;
        schedulerReplaced(probe);
    }
    return true;
}

void ClientCore::schedulerReplaced(const Probe& probe) {
    logger().warn(
        "client: the scheduler at {} is not the one this client talked to (it restarted, or "
        "timed this client out): {} task(s) in flight and {} put() object(s) are lost",
        options_.address, probe.tasks.size(), probe.objects.size());
    for (const auto& id : probe.objects) {
        userObjects_.erase(id);
        lostObjects_.insert(id);
    }
    auto lose = [this](const Bytes& taskId, std::exception_ptr error) {
        auto it = tasks_.find(taskId);
        if (it == tasks_.end()) return;
        TaskEntry& entry = it->second;
        entry.future->fail(std::move(error));
        // The new scheduler may hold it after all (sent while the link was down): call it off.
        if (entry.resultId.empty() && !entry.cancelSent) send(TaskCancel{taskId, false, false});
        resultToTask_.erase(entry.resultId);
        finishTask(taskId);
    };
    const auto restarted = std::make_exception_ptr(TaskLost(
        TaskStatus::notFound,
        fmt::format("the scheduler at {} restarted while the task was in flight; it is lost (it "
                    "may or may not have run)",
                    options_.address)));
    for (const auto& taskId : probe.tasks) lose(taskId, restarted);
    // Tasks sent since then on objects the old scheduler had would wait for them forever.
    std::vector<Bytes> waiting;
    for (const auto& [taskId, entry] : tasks_) {
        for (const auto& id : entry.userArgs) {
            if (lostObjects_.count(id) != 0) {
                waiting.push_back(taskId);
                break;
            }
        }
    }
    const auto objectLost = std::make_exception_ptr(
        ObjectNotFound("an argument object was put() into a scheduler that has since restarted"));
    for (const auto& taskId : waiting) lose(taskId, objectLost);
    std::vector<Bytes> gets = probe.gets;
    for (const auto& [id, waiters] : gets_) {
        if (lostObjects_.count(id) != 0) gets.push_back(id);
    }
    for (const auto& id : gets) {
        auto g = gets_.find(id);
        if (g == gets_.end()) continue;
        for (auto& waiter : g->second)
            waiter->fail(ObjectNotFound(fmt::format(
                "object {} was asked of a scheduler that has since restarted", toHex(id))));
        gets_.erase(g);
    }
}

void ClientCore::failEverything(const std::string& reason) {
    for (auto& [taskId, entry] : tasks_) entry.future->fail(ClientDisconnected(reason));
    for (auto& [id, waiters] : gets_) {
        for (auto& waiter : waiters) waiter->fail(ClientDisconnected(reason));
    }
    gets_.clear();
    for (auto& waiter : shutdownWaiters_) waiter->fail(ClientDisconnected(reason));
    shutdownWaiters_.clear();
}

// ---- loop thread: messages ----------------------------------------------------------------

void ClientCore::onPeerConnected(std::uint32_t, const PeerId&) {
    const bool reconnected = linkWasUp_;
    linkUp_ = linkWasUp_ = true;
    if (reconnected && closing_ == Closing::no && !lost_) {
        // A heartbeat in flight when the link dropped may be lost, and with ping-pong nothing
        // would follow it: start over. This also registers the client with a restarted
        // scheduler at once.
        heartbeatsOutstanding_ = 0;
        sendHeartbeat();
        startProbe();
    }
}

void ClientCore::onPeerDisconnected(std::uint32_t, const PeerId&, const Error& reason) {
    linkUp_ = false;
    logger().debug("client: link to {} down: {}", options_.address, reason.describe());
    // A shutdown answer cannot come over a link that is gone (a scheduler that accepted may
    // close it first): shutdown() returns false at once rather than after the timeout.
    for (auto& waiter : shutdownWaiters_)
        waiter->fail(ClientDisconnected("the link closed before an answer"));
    shutdownWaiters_.clear();
    if (closing_ == Closing::barrier) return sendDisconnectAndCloseLink();
    if (closing_ == Closing::linkClosing) finishClose();
}

void ClientCore::onMessage(std::uint32_t, const PeerId&, Message message, Buffer) {
    if (closing_ == Closing::done) return;
    switch (kindOf(message)) {
        case MessageKind::clientHeartbeatEcho:
            return onEcho();
        case MessageKind::taskResult:
            return onTaskResult(std::get<TaskResult>(message));
        case MessageKind::objectResponse:
            return onObjectResponse(std::get<ObjectResponse>(message));
        case MessageKind::clientShutdownResponse:
            return onShutdownResponse(std::get<ClientShutdownResponse>(message));
        default:
            logger().debug("client: ignored a {} from the scheduler",
                           messageKindName(kindOf(message)));
            return;
    }
}

void ClientCore::onTaskResult(TaskResult& result) {
    // A plexus scheduler's workerDied carries an object with the reason (a stock one's does not).
    const bool hasResultObject =
        result.status == TaskStatus::success || result.status == TaskStatus::failed ||
        (result.status == TaskStatus::workerDied && !result.results.empty());
    auto it = tasks_.find(result.taskId);
    if (it == tasks_.end() || !it->second.resultId.empty()) {
        // A task this client no longer tracks (ended, or a duplicate answer): nobody will fetch
        // its result object, so delete it.
        if (hasResultObject) queueDeletes(result.results);
        return;
    }
    TaskEntry& entry = it->second;
    if (hasResultObject) {
        if (result.results.size() != 1) {
            entry.future->fail(TaskFailed(fmt::format(
                "the scheduler sent {} result objects instead of one", result.results.size())));
            queueDeletes(result.results);
            return finishTask(result.taskId);
        }
        entry.status = result.status;
        entry.resultId = result.results.front();
        if (entry.future->done()) return finishTask(result.taskId);  // cancelled meanwhile: drop it
        resultToTask_[entry.resultId] = result.taskId;
        // Fetched at once (Scaler waits for result()): the result is almost always wanted, and
        // the object can be deleted from the scheduler as soon as it is here.
        queueFetch(entry.resultId);
        return;
    }
    switch (result.status) {
        case TaskStatus::canceled:
            entry.future->fail(TaskCanceled("the task was canceled"));
            return finishTask(result.taskId);
        case TaskStatus::notFound:
        case TaskStatus::workerDied:
        case TaskStatus::noWorker: {
            std::string what =
                fmt::format("the scheduler reported the task as {}",
                            result.status == TaskStatus::notFound     ? "not found"
                            : result.status == TaskStatus::workerDied ? "lost with its worker"
                                                                      : "having no worker");
            entry.future->fail(TaskLost(result.status, std::move(what)));
            return finishTask(result.taskId);
        }
        default:
            logger().debug("client: ignored a task result with status {}",
                           static_cast<int>(result.status));
            return;
    }
}

void ClientCore::onObjectResponse(ObjectResponse& response) {
    auto& content = response.objectContent;
    // Scaler's scheduler lists every requested id but payloads only for the objects it has; the
    // lists line up only when all were found.
    const bool aligned = response.responseType == ObjectResponseType::content &&
                         content.payloads.size() == content.ids.size();
    for (std::size_t i = 0; i < content.ids.size(); ++i) {
        const Bytes& id = content.ids[i];
        if (probe_ && onProbeAnswer(id, aligned)) continue;
        if (auto r = resultToTask_.find(id); r != resultToTask_.end()) {
            const Bytes taskId = r->second;
            resultToTask_.erase(r);
            auto t = tasks_.find(taskId);
            if (t == tasks_.end()) continue;
            TaskEntry& entry = t->second;
            if (!aligned) {
                entry.future->fail(
                    ObjectNotFound("the scheduler does not have the result object " + toHex(id)));
            } else if (entry.status == TaskStatus::success) {
                entry.future->set(holdPayload(std::move(content.payloads[i])));
            } else if (entry.status == TaskStatus::workerDied) {
                entry.future->fail(
                    TaskLost(TaskStatus::workerDied, joinChunks(content.payloads[i])));
            } else {
                entry.future->fail(TaskFailed(joinChunks(content.payloads[i])));
            }
            finishTask(taskId);
            continue;
        }
        if (auto g = gets_.find(id); g != gets_.end()) {
            auto waiters = std::move(g->second);
            gets_.erase(g);
            if (!aligned) {
                for (auto& waiter : waiters) waiter->fail(ObjectNotFound("no object " + toHex(id)));
                continue;
            }
            const Payload payload = holdPayload(std::move(content.payloads[i]));
            for (auto& waiter : waiters) waiter->set(payload);
        }
    }
}

void ClientCore::onShutdownResponse(const ClientShutdownResponse& response) {
    if (shutdownWaiters_.empty()) return;
    auto waiter = std::move(shutdownWaiters_.front());
    shutdownWaiters_.erase(shutdownWaiters_.begin());
    waiter->set(response.accepted);
}

// ---- loop thread: object cleanup ----------------------------------------------------------

void ClientCore::finishTask(const Bytes& taskId) {
    auto it = tasks_.find(taskId);
    if (it == tasks_.end()) return;
    TaskEntry entry = std::move(it->second);
    tasks_.erase(it);
    queueDeletes(entry.ownedArgs);
    if (!entry.resultId.empty()) queueDeletes({entry.resultId});
    for (const auto& id : entry.userArgs) releaseUserObject(id);
}

void ClientCore::releaseUserObject(const Bytes& id) {
    auto it = userObjects_.find(id);
    if (it == userObjects_.end()) return;
    if (it->second.uses > 0) --it->second.uses;
    if (it->second.uses == 0 && it->second.freed) {
        userObjects_.erase(it);
        queueDeletes({id});
    }
}

void ClientCore::queueDeletes(const std::vector<Bytes>& ids) {
    if (ids.empty()) return;
    pendingDeletes_.insert(pendingDeletes_.end(), ids.begin(), ids.end());
    if (deleteFlushPosted_) return;
    // Deletes from one batch of messages go out together, after the batch.
    deleteFlushPosted_ = true;
    loop_.post([this] {
        deleteFlushPosted_ = false;
        flushDeletes();
    });
}

void ClientCore::queueFetch(const Bytes& id) {
    pendingFetches_.push_back(id);
    if (fetchFlushPosted_) return;
    // The results of one batch of TaskResults are fetched with one request: one answer for the
    // scheduler to encode instead of one per task. Result objects exist before their TaskResult
    // is sent, so the scheduler never holds such a request back.
    fetchFlushPosted_ = true;
    loop_.post([this] {
        fetchFlushPosted_ = false;
        flushFetches();
    });
}

void ClientCore::flushFetches() {
    if (pendingFetches_.empty() || closing_ != Closing::no) return;
    ObjectRequest request{ObjectRequestType::get, std::move(pendingFetches_)};
    pendingFetches_.clear();
    send(request);
}

void ClientCore::flushDeletes() {
    if (pendingDeletes_.empty() || closing_ != Closing::no) return;
    ObjectInstruction instruction{ObjectInstructionType::del, identity_, {}};
    instruction.objectContent.ids = std::move(pendingDeletes_);
    pendingDeletes_.clear();
    send(std::move(instruction));
}

}  // namespace plexus::detail

#include "scheduler/scheduler.h"

#include <future>

#include "plexus/log.h"

namespace plexus::detail {

namespace {

SchedulerSettings settingsFrom(const SchedulerConfig& config) {
    SchedulerSettings settings;
    settings.clientTimeout = config.clientTimeout;
    settings.workerTimeout = config.workerTimeout;
    settings.perWorkerQueueSize = config.perWorkerQueueSize;
    settings.protectedMode = config.protectedMode;
    settings.requeue = config.requeue;
    settings.unfetchedResultsHighBytes = config.unfetchedResultsHighBytes;
    settings.unfetchedResultsLowBytes = config.unfetchedResultsLowBytes;
    return settings;
}

// How often silent peers are looked for. Timeouts are tens of seconds, so a second of slack is
// immaterial, and Scaler's scheduler sweeps at the same rate.
constexpr std::chrono::milliseconds kHousekeepingInterval{1000};
// How often the monitor hands the task and worker events it collected to its publisher: often
// enough for a live view, rarely enough that the hand-over costs nothing per event.
constexpr std::chrono::milliseconds kMonitorFlushInterval{100};

}  // namespace

Scheduler::Scheduler(SchedulerConfig config)
    : config_(std::move(config)),
      registry_(pluginSearchPath(config_.pluginDir)),
      identity_(makeIdentity("scheduler")),
      core_(settingsFrom(config_), *this) {}

Scheduler::~Scheduler() {
    endpoints_.clear();  // transports join their threads while the loop and core still exist
    core_.setObserver(nullptr);
    monitor_.reset();
}

Result<std::vector<std::string>> Scheduler::start() {
    std::vector<std::string> bound;
    for (std::uint32_t i = 0; i < config_.endpoints.size(); ++i) {
        EndpointConfig endpointConfig = config_.endpoints[i];
        // A peer that does not read must not be able to make the scheduler produce more for it.
        endpointConfig.sendLimits.pauseReadingWhenCongested = true;
        auto endpoint = Endpoint::create(i, std::move(endpointConfig), registry_, identity_,
                                         config_.maxFrameBytes, loop_, *this);
        if (!endpoint) return tl::unexpected(endpoint.error());
        if (i == 0) (*endpoint)->hostLoop();  // the loop runs on the first endpoint's I/O thread
        auto address = (*endpoint)->listen();
        if (!address) return tl::unexpected(address.error());
        logger().info("scheduler listening on {} (transport {}, codec {})", *address,
                      config_.endpoints[i].transport, config_.endpoints[i].codec);
        bound.push_back(*address);
        endpoints_.push_back(std::move(*endpoint));
    }
    loop_.every(kHousekeepingInterval, [this] { core_.onTick(Clock::now()); });
    if (config_.monitor.enabled) {
        auto monitor = Monitor::start(config_.monitor, registry_, identity_, config_.maxFrameBytes,
                                      loop_, core_);
        if (!monitor) return tl::unexpected(monitor.error());
        monitor_ = std::move(*monitor);
        logger().info("scheduler monitor publishing on {} (for scaler_top)", monitor_->address());
        core_.setObserver(monitor_.get());
        loop_.every(config_.monitor.interval, [this] { monitor_->publishState(Clock::now()); });
        loop_.every(kMonitorFlushInterval, [this] { monitor_->flush(); });
    }
    return bound;
}

const std::string& Scheduler::monitorAddress() const {
    static const std::string none;
    return monitor_ ? monitor_->address() : none;
}

void Scheduler::run() {
    loop_.run();
}

void Scheduler::stop() {
    loop_.stop();
}

SchedulerSnapshot Scheduler::snapshot() {
    auto take = [this] {
        SchedulerSnapshot s;
        s.clients = core_.clients().size();
        s.workers = core_.workers().size();
        s.tasks = core_.tasks().size();
        s.queuedTasks = core_.tasks().queuedCount();
        s.heldClients = core_.tasks().heldClients();
        s.graphs = core_.graphs().size();
        s.objects = core_.objects().count();
        s.objectBytes = core_.objects().totalBytes();
        s.refusedMessages = core_.refusedMessages();
        s.resultsDelivered = core_.resultsDelivered();
        return s;
    };
    if (loop_.isLoopThread()) return take();
    std::promise<SchedulerSnapshot> answer;
    auto result = answer.get_future();
    loop_.post([&answer, &take] { answer.set_value(take()); });
    return result.get();
}

void Scheduler::onPeerConnected(std::uint32_t endpoint, const PeerId& peer) {
    logger().debug("{}: link from {} up", endpoints_[endpoint]->config().address, printable(peer));
}

void Scheduler::onPeerDisconnected(std::uint32_t endpoint, const PeerId& peer,
                                   const Error& reason) {
    logger().debug("{}: link from {} down: {}", endpoints_[endpoint]->config().address,
                   printable(peer), reason.describe());
    core_.onPeerDisconnected(PeerAddress{endpoint, peer}, reason, Clock::now());
}

void Scheduler::onPeerBackpressure(std::uint32_t endpoint, const PeerId& peer, bool congested) {
    logger().debug("{}: link to {} {}", endpoints_[endpoint]->config().address, printable(peer),
                   congested ? "congested" : "relieved");
    core_.onPeerBackpressure(PeerAddress{endpoint, peer}, congested, Clock::now());
}

void Scheduler::onMessage(std::uint32_t endpoint, const PeerId& peer, Message message,
                          Buffer frame) {
    if (monitor_) monitor_->countReceived(kindOf(message));
    core_.onMessage(PeerAddress{endpoint, peer}, std::move(message), frame, Clock::now());
}

void Scheduler::send(const PeerAddress& to, const Message& message) {
    if (monitor_) monitor_->countSent(kindOf(message));
    endpoints_.at(to.endpoint)->send(to.peer, message);
}

void Scheduler::forward(const PeerAddress& to, std::uint32_t from, const Message& message,
                        const Buffer& frame) {
    if (monitor_) monitor_->countSent(kindOf(message));
    auto& target = *endpoints_.at(to.endpoint);
    if (target.config().codec == endpoints_.at(from)->config().codec) {
        target.sendFrame(to.peer, frame.share());  // same codec: the received bytes are the message
    } else {
        target.send(to.peer, message);
    }
}

void Scheduler::forwardFrame(const PeerAddress& to, std::uint32_t from, const Buffer& frame) {
    auto& target = *endpoints_.at(to.endpoint);
    const auto& source = *endpoints_.at(from);
    if (target.config().codec == source.config().codec) {
        if (monitor_) monitor_->countSent(MessageKind::task);
        target.sendFrame(to.peer, frame.share());
        return;
    }
    auto message = source.decode(frame);
    if (!message) {
        logger().error("cannot decode a kept frame from endpoint {} for {}: {}", from,
                       printable(to.peer), message.error().describe());
        return;
    }
    if (monitor_) monitor_->countSent(kindOf(*message));
    target.send(to.peer, *message);
}

void Scheduler::requestStop() {
    // Let the transports flush what was just queued (shutdown notices to workers) before the
    // loop stops; the endpoints are destroyed, and their queues drained, after run() returns.
    loop_.post([this] { loop_.stop(); });
}

}  // namespace plexus::detail

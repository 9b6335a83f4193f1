// plexus::Client against a real `plexus scheduler` process (no workers needed).

#include <gtest/gtest.h>

#include "plexus/client.h"
#include "support/scheduler_process.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Client> connectTo(const SchedulerProcess& scheduler,
                                  std::chrono::milliseconds timeout = 10s,
                                  std::chrono::milliseconds heartbeatInterval = 100ms) {
    ClientOptions options;
    options.address = scheduler.address();
    options.pluginDir = buildPluginDir();
    options.heartbeatInterval = heartbeatInterval;
    options.timeout = timeout;
    auto client = Client::connect(std::move(options));
    if (!client) throw std::runtime_error(client.error().describe());
    return std::move(*client);
}

TEST(ClientWithSchedulerProcess, PutGetAndFree) {
    SchedulerProcess scheduler;
    auto client = connectTo(scheduler, 2s);
    const std::string big(3 << 20, 'x');  // several MiB, one object
    ObjectRef text = client->put("hello, scheduler");
    ObjectRef number = client->put(1234567);
    ObjectRef large = client->put(big);
    EXPECT_EQ(client->get(text), "hello, scheduler");
    EXPECT_EQ(client->get<int>(number), 1234567);
    EXPECT_EQ(client->get(large), big);

    client->free(text);
    // The scheduler holds a request for an object it does not have until it appears, so a freed
    // object's get runs into the client's timeout.
    EXPECT_THROW(client->get(text), RequestTimedOut);
    EXPECT_EQ(client->get<int>(number), 1234567);  // the others are untouched
    client->disconnect();
    EXPECT_TRUE(scheduler.process().running()) << scheduler.process().output();
}

TEST(ClientWithSchedulerProcess, CancelOfAQueuedTask) {
    SchedulerProcess scheduler;
    auto client = connectTo(scheduler);
    // No worker: the task stays queued; cancelling it completes the future at once and the
    // scheduler drops it (answering TaskResult(canceled), after which the client deletes the
    // argument object).
    Future future = client->submit("square", 7);
    EXPECT_FALSE(future.waitFor(200ms));
    EXPECT_TRUE(future.cancel());
    EXPECT_THROW(future.get(), TaskCanceled);
    EXPECT_EQ(client->get<int>(client->put(5)), 5);  // the link still works
    client->disconnect();
    EXPECT_TRUE(scheduler.process().running()) << scheduler.process().output();
}

TEST(ClientWithSchedulerProcess, ShutdownStopsTheScheduler) {
    SchedulerProcess scheduler;
    // Heartbeats only every 30 s, and a round trip first, so that no other frame is being
    // written when the scheduler answers: a stopping scheduler's transport drops frames queued
    // behind a write in flight (a transport issue, reported separately).
    auto client = connectTo(scheduler, 60s, 30s);
    EXPECT_EQ(client->get(client->put("ping")), "ping");
    EXPECT_TRUE(client->shutdown());
    EXPECT_THROW(client->put("x"), ClientDisconnected);
    const int status = scheduler.process().waitExit(10s);
    ASSERT_NE(status, -1) << "scheduler did not exit";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << scheduler.process().output();
}

}  // namespace
}  // namespace plexus::test

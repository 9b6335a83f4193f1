// The object channel: ownership, requests answered exactly and only when complete, deletes.

#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

const std::string kClient = "1|Client|c";
const std::string kOther = "4|Client|d";
const std::string kWorker = "2|Agent|w";

class ObjectChannelTest : public SchedulerCoreTest {
  protected:
    void SetUp() override {
        receive(kClient, ClientHeartbeat{});
        receive(kOther, ClientHeartbeat{});
        receive(kWorker, WorkerHeartbeat{});
    }
    const ObjectResponse& onlyResponseTo(const std::string& peer) {
        auto responses = sentTo(peer, MessageKind::objectResponse);
        EXPECT_EQ(responses.size(), 1u);
        return std::get<ObjectResponse>(*responses.back());
    }
};

TEST_F(ObjectChannelTest, RequestGetsExactlyTheRequestedIdsInOrder) {
    receive(kClient, objects(kClient, {"a", "b", "c"}));
    receive(kWorker, ObjectRequest{ObjectRequestType::get, {"c", "a", "b", "a"}});
    const auto& response = onlyResponseTo(kWorker);
    EXPECT_EQ(response.responseType, ObjectResponseType::content);
    EXPECT_EQ(response.objectContent.ids, (std::vector<Bytes>{"c", "a", "b", "a"}));
    ASSERT_EQ(response.objectContent.payloads.size(), 4u);
    EXPECT_EQ(response.objectContent.payloads[0][0].view(), "bytes-c");
    EXPECT_EQ(response.objectContent.names[1], "name-a");
}

TEST_F(ObjectChannelTest, RequestWaitsUntilEveryObjectExists) {
    receive(kClient, objects(kClient, {"a"}));
    receive(kWorker, ObjectRequest{ObjectRequestType::get, {"a", "b", "c"}});
    EXPECT_TRUE(sentTo(kWorker, MessageKind::objectResponse).empty());
    receive(kClient, objects(kClient, {"b"}));
    EXPECT_TRUE(sentTo(kWorker, MessageKind::objectResponse).empty());
    receive(kClient, objects(kClient, {"c"}));
    EXPECT_EQ(onlyResponseTo(kWorker).objectContent.ids, (std::vector<Bytes>{"a", "b", "c"}));
}

TEST_F(ObjectChannelTest, PayloadIsSharedNotCopied) {
    auto instruction = objects(kClient, {"a"});
    const std::byte* original = instruction.objectContent.payloads[0][0].data();
    receive(kClient, std::move(instruction));
    EXPECT_EQ(core.objects().find("a")->chunks[0].data(), original);
}

TEST_F(ObjectChannelTest, ObjectsOfUnknownClientsAreNotStored) {
    receive(kWorker, objects("9|Client|gone", {"r"}));
    EXPECT_EQ(core.objects().count(), 0u);
}

TEST_F(ObjectChannelTest, OnlyTheOwnerDeletes) {
    receive(kClient, objects(kClient, {"a", "b"}));
    receive(kOther, ObjectInstruction{ObjectInstructionType::del, kOther,
                                      ObjectContent{{"a"}, {}, {}, {}}});
    EXPECT_EQ(core.objects().count(), 2u);
    receive(kClient, ObjectInstruction{ObjectInstructionType::del, kClient,
                                       ObjectContent{{"a"}, {}, {}, {}}});
    EXPECT_EQ(core.objects().count(), 1u);
    EXPECT_EQ(core.objects().find("a"), nullptr);
}

TEST_F(ObjectChannelTest, DeletedObjectsAreEvictedFromWorkersThatFetchedThem) {
    receive(kClient, objects(kClient, {"a", "b"}));
    receive(kWorker, ObjectRequest{ObjectRequestType::get, {"a"}});
    receive(kClient, ObjectInstruction{ObjectInstructionType::del, kClient,
                                       ObjectContent{{"a", "b"}, {}, {}, {}}});
    auto notices = sentTo(kWorker, MessageKind::objectInstruction);
    ASSERT_EQ(notices.size(), 1u);
    const auto& notice = std::get<ObjectInstruction>(*notices[0]);
    EXPECT_EQ(notice.instructionType, ObjectInstructionType::del);
    EXPECT_EQ(notice.objectUser, kWorker);
    EXPECT_EQ(notice.objectContent.ids, std::vector<Bytes>{"a"});
    // Clients are never sent object instructions.
    EXPECT_TRUE(sentTo(kClient, MessageKind::objectInstruction).empty());
}

TEST_F(ObjectChannelTest, WaitingRequestOfAPeerThatLeftIsForgotten) {
    receive(kOther, ObjectRequest{ObjectRequestType::get, {"later"}});
    receive(kOther, ClientDisconnect{DisconnectType::disconnect});
    receive(kClient, objects(kClient, {"later"}));
    EXPECT_TRUE(sentTo(kOther, MessageKind::objectResponse).empty());
}

}  // namespace
}  // namespace plexus::detail

// TaskId: the scheduler's compact task id (inline up to 23 bytes, on the heap beyond).

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <utility>

#include "scheduler/task_id.h"

namespace plexus::detail {
namespace {

std::string bytesOfLength(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>((i * 37 + 1) & 0xff));
    return s;
}

TEST(TaskId, HoldsEverySizeWithItsBytesIntact) {
    for (std::size_t n : {0u, 1u, 16u, 22u, 23u, 24u, 36u, 200u}) {
        const std::string bytes = bytesOfLength(n);
        const TaskId id(bytes);
        EXPECT_EQ(id.view(), bytes) << n;
        EXPECT_EQ(id.size(), n);
        EXPECT_EQ(id.str(), bytes);
        EXPECT_EQ(id.onHeap(), n > TaskId::kInline) << n;
    }
}

TEST(TaskId, SixteenByteIdsWithZeroBytesStayInline) {
    std::string uuid(16, '\0');
    uuid[3] = '\x7f';
    uuid[15] = '\xff';
    const TaskId id(uuid);
    EXPECT_FALSE(id.onHeap());
    EXPECT_EQ(id.view(), uuid);
}

TEST(TaskId, CopiesAndMovesKeepValuesIndependent) {
    for (std::size_t n : {16u, 40u}) {
        const std::string a = bytesOfLength(n), b = std::string(n, 'b');
        TaskId x(a);
        TaskId copy(x);
        EXPECT_EQ(copy, x);
        TaskId moved(std::move(x));
        EXPECT_EQ(moved.view(), a);
        EXPECT_EQ(x.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty

        TaskId y(b);
        y = copy;  // copy-assign over a value (on the heap for n = 40) frees the old one
        EXPECT_EQ(y.view(), a);
        y = TaskId(b);
        EXPECT_EQ(y.view(), b);
        EXPECT_EQ(copy.view(), a);
        y = y;  // NOLINT: self-assignment keeps the value
        EXPECT_EQ(y.view(), b);
    }
}

TEST(TaskId, InlineAndHeapMixInAMapKey) {
    std::unordered_map<TaskId, int> map;
    for (int i = 0; i < 100; ++i) map.emplace(TaskId(bytesOfLength(i)), i);
    for (int i = 0; i < 100; ++i) {
        auto it = map.find(TaskId(bytesOfLength(i)));
        ASSERT_NE(it, map.end());
        EXPECT_EQ(it->second, i);
    }
    EXPECT_EQ(map.count(TaskId(std::string(16, 'z'))), 0u);
    EXPECT_NE(TaskId("abc"), TaskId("abd"));
    EXPECT_NE(TaskId("ab"), TaskId(std::string("ab\0", 3)));
}

}  // namespace
}  // namespace plexus::detail

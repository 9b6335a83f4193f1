// Task libraries through the real loader: a good library, and every way loading can fail.

#include <fstream>

#include <gtest/gtest.h>

#include "worker/task_libraries.h"
#include "worker/worker_core.h"

namespace plexus::detail {
namespace {

std::filesystem::path library(const std::string& name) {
    return std::filesystem::path(PLEXUS_TEST_TASK_LIBRARY_DIR) / ("libtasks_" + name + ".so");
}

std::string call(const TaskLibraries& libraries, const std::string& name,
                 const std::vector<std::string>& args, bool* success = nullptr) {
    TaskJob job;
    job.function = libraries.find(name);
    if (job.function == nullptr) return "<missing>";
    for (const auto& arg : args) job.arguments.push_back(Buffer::copyOf(arg));
    TaskOutcome outcome = runTaskJob(job);
    if (success != nullptr) *success = outcome.success;
    return outcome.bytes;
}

TEST(TaskLibraries, LoadsAGoodLibraryAndRunsItsFunctions) {
    TaskLibraries libraries;
    ASSERT_TRUE(libraries.load(library("maths")).has_value());
    ASSERT_TRUE(libraries.load(library("other")).has_value());
    EXPECT_EQ(libraries.names(),
              (std::vector<std::string>{"concat", "fail", "mark_and_wait_for_file", "reverse",
                                        "square", "throw_int", "wait_for_file"}));
    EXPECT_EQ(libraries.find("nope"), nullptr);

    bool success = false;
    EXPECT_EQ(fromBytes<double>(call(libraries, "square", {toBytes(3.0)}, &success)), 9.0);
    EXPECT_TRUE(success);
    EXPECT_EQ(call(libraries, "concat", {"ab", "", "cd"}), "abcd");
    EXPECT_EQ(call(libraries, "reverse", {"abc"}), "cba");

    EXPECT_EQ(call(libraries, "fail", {"x"}, &success), "boom: x");
    EXPECT_FALSE(success);
    EXPECT_EQ(call(libraries, "throw_int", {}, &success), "unknown exception");
    EXPECT_FALSE(success);
    // A typed function checks its argument count and shapes; the DecodeError fails the task.
    EXPECT_NE(call(libraries, "square", {}, &success).find("expected 1 arguments"),
              std::string::npos);
    EXPECT_FALSE(success);
    EXPECT_NE(call(libraries, "square", {"abc"}, &success).find("expected 8 bytes"),
              std::string::npos);
    EXPECT_FALSE(success);
}

TEST(TaskLibraries, MissingFileIsNotFound) {
    TaskLibraries libraries;
    auto loaded = libraries.load(library("does_not_exist"));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().kind, ErrorKind::NotFound);
    EXPECT_NE(loaded.error().message.find("libtasks_does_not_exist.so"), std::string::npos)
        << loaded.error().message;
}

TEST(TaskLibraries, LibraryWithoutEntrySymbolIsRefused) {
    TaskLibraries libraries;
    auto loaded = libraries.load(library("noentry"));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().kind, ErrorKind::InvalidArgument);
    EXPECT_NE(loaded.error().message.find("libtasks_noentry.so"), std::string::npos)
        << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(PLEXUS_TASK_LIBRARY_ENTRY_SYMBOL), std::string::npos);
}

TEST(TaskLibraries, WrongAbiIsRefusedNamingBothVersions) {
    TaskLibraries libraries;
    auto loaded = libraries.load(library("badabi"));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().kind, ErrorKind::AbiMismatch);
    const std::string& message = loaded.error().message;
    EXPECT_NE(message.find("libtasks_badabi.so"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(PLEXUS_TASK_ABI_MAJOR + 1) + ".0"), std::string::npos)
        << message;
    EXPECT_NE(message.find(std::to_string(PLEXUS_TASK_ABI_MAJOR) + "." +
                           std::to_string(PLEXUS_TASK_ABI_MINOR)),
              std::string::npos)
        << message;
    EXPECT_EQ(libraries.size(), 0u);
}

TEST(TaskLibraries, AFunctionNameTakenByTwoLibrariesNamesBoth) {
    TaskLibraries libraries;
    ASSERT_TRUE(libraries.load(library("maths")).has_value());
    auto loaded = libraries.load(library("clash"));
    ASSERT_FALSE(loaded.has_value());
    const std::string& message = loaded.error().message;
    EXPECT_NE(message.find("'concat'"), std::string::npos) << message;
    EXPECT_NE(message.find("libtasks_maths.so"), std::string::npos) << message;
    EXPECT_NE(message.find("libtasks_clash.so"), std::string::npos) << message;
    // Nothing of the refused library is kept; the first one still works.
    EXPECT_EQ(call(libraries, "concat", {"a", "b"}), "ab");
}

TEST(TaskLibraries, AFunctionNameRegisteredTwiceByOneLibraryIsRefused) {
    TaskLibraries libraries;
    auto loaded = libraries.load(library("twice"));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_NE(loaded.error().message.find("'same'"), std::string::npos) << loaded.error().message;
    EXPECT_EQ(libraries.size(), 0u);
}

TEST(TaskLibraries, ARegistrationThatThrowsIsReported) {
    TaskLibraries libraries;
    auto loaded = libraries.load(library("throwing"));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_NE(loaded.error().message.find("cannot register today"), std::string::npos)
        << loaded.error().message;
}

TEST(TaskLibraries, AFileThatIsNotALibraryIsRefused) {
    const auto file = std::filesystem::temp_directory_path() / "plexus-not-a-library.so";
    { std::ofstream(file) << "not an ELF file\n"; }
    TaskLibraries libraries;
    auto loaded = libraries.load(file);
    std::filesystem::remove(file);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().kind, ErrorKind::InvalidArgument);
    EXPECT_NE(loaded.error().message.find("cannot load"), std::string::npos)
        << loaded.error().message;
}

}  // namespace
}  // namespace plexus::detail

// Uses the word-tasks library through a plexus cluster. The scheduler address comes from the
// first argument or $PLEXUS_SCHEDULER_ADDRESS (set by `plexus up ... -- word_client`).
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <plexus/client.h>

namespace {

int failures = 0;

template <class T>
void expectEqual(const T& actual, const T& expected, const char* what) {
    if (actual == expected) return;
    std::cerr << what << ": unexpected result\n";
    ++failures;
}

}  // namespace

int main(int argc, char** argv) {
    const char* address = argc > 1 ? argv[1] : std::getenv("PLEXUS_SCHEDULER_ADDRESS");
    if (address == nullptr) {
        std::cerr << "usage: word_client tcp://HOST:PORT  (or set PLEXUS_SCHEDULER_ADDRESS)\n";
        return EXIT_FAILURE;
    }
    plexus::ClientOptions options;
    options.address = address;
    auto client = plexus::Client::connect(options);
    if (!client) {
        std::cerr << "cannot connect to " << address << ": " << client.error().describe() << "\n";
        return EXIT_FAILURE;
    }

    const std::string text = "the quick brown fox jumps over the lazy dog";
    plexus::Future count = (*client)->submit("words.count", text);
    plexus::Future longest = (*client)->submit("words.longest", text);
    plexus::Future words = (*client)->submit("words.split", text);
    plexus::Future empty = (*client)->submit("words.longest", std::string());
    std::vector<std::string> lines;
    for (int i = 1; i <= 50; ++i)
        lines.push_back(std::string(static_cast<std::size_t>(i), 'x') + " y");
    std::vector<plexus::Future> counts = (*client)->map("words.count", lines);

    try {
        expectEqual(count.get<std::uint64_t>(), std::uint64_t{9}, "words.count");
        expectEqual(longest.get<std::string>(), std::string("quick"), "words.longest");
        expectEqual(words.get<std::vector<std::string>>().size(), std::size_t{9}, "words.split");
        for (auto& future : counts)
            expectEqual(future.get<std::uint64_t>(), std::uint64_t{2}, "map words.count");
    } catch (const std::exception& e) {
        std::cerr << "a task failed: " << e.what() << "\n";
        return EXIT_FAILURE;
    }
    // A function that throws fails its task; the client gets the message.
    try {
        empty.get<std::string>();
        std::cerr << "words.longest of an empty text should have failed\n";
        ++failures;
    } catch (const std::exception& e) {
        if (std::string(e.what()).find("no words in an empty text") == std::string::npos) {
            std::cerr << "unexpected failure text: " << e.what() << "\n";
            ++failures;
        }
    }
    (*client)->disconnect();
    std::cout << (failures == 0 ? "word-tasks: all results correct\n" : "word-tasks: FAILED\n");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

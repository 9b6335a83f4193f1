// A plexus task library: the functions a worker runs by name. Functions run on several executor
// threads at once, so they keep no shared mutable state.
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <plexus/task_library.h>

namespace {

std::vector<std::string> split(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;) words.push_back(word);
    return words;
}

std::uint64_t countWords(std::string text) {
    return split(text).size();
}

std::string longestWord(std::string text) {
    std::string longest;
    for (auto& word : split(text)) {
        if (word.size() > longest.size()) longest = std::move(word);
    }
    if (longest.empty()) throw std::invalid_argument("no words in an empty text");
    return longest;
}

}  // namespace

PLEXUS_TASK_LIBRARY("word-tasks") {
    registry.add("words.count", &countWords);
    registry.add("words.longest", &longestWord);
    // Bytes in, bytes out: the words of a text, as a list.
    registry.addRaw("words.split", [](const plexus::TaskArguments& args) {
        return plexus::toBytes(split(std::string(args.bytes(0))));
    });
}

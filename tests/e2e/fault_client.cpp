// A client process for the fault tests to kill: connects, puts a 1 MiB object, submits
// e2e.log_and_sleep(<log file>, <ms>) <count> times, prints "running" once the first task has
// finished (its work is flowing), then waits to be killed.
//
//   plexus_e2e_fault_client <scheduler address> <plugin dir> <count> <ms> <log file>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "plexus/client.h"

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: " << argv[0] << " <address> <plugin dir> <count> <ms> <log file>\n";
        return EXIT_FAILURE;
    }
    plexus::ClientOptions options;
    options.address = argv[1];
    options.pluginDir = argv[2];
    const long count = std::stol(argv[3]);
    const std::int64_t ms = std::stoll(argv[4]);
    const std::string log = argv[5];

    auto client = plexus::Client::connect(options);
    if (!client) {
        std::cerr << "cannot connect: " << client.error().describe() << "\n";
        return EXIT_FAILURE;
    }
    (*client)->put(std::string(std::size_t{1} << 20, 'x'));
    std::vector<plexus::Future> futures;
    for (long i = 0; i < count; ++i)
        futures.push_back((*client)->submit("e2e.log_and_sleep", log, ms));
    futures.front().get();
    std::cout << "running" << std::endl;
    while (true) ::pause();
}

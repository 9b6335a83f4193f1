#pragma once

namespace plexus::detail {

/// `plexus task-host`: the body of a task process (isolation: process), started by a worker
/// (TaskProcess), never by hand. Serves the channel on fd 3: receives the setup, loads the task
/// libraries it names, answers ready, then runs one job at a time until the channel closes.
/// Returns the exit code: 0 when the worker closed the channel, non-zero when the setup failed
/// or the channel broke.
///
/// The process dies with the worker thread that started it (PR_SET_PDEATHSIG), so a worker
/// killed outright leaves no task process behind. A function that crashes takes only this
/// process down; the worker reports it and starts another.
int runTaskHost();

}  // namespace plexus::detail

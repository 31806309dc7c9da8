#pragma once
// `livechat bench`: the coordinator of a run. It forks the subscriber processes (as many as the
// descriptor limit requires), waits until every subscriber is in, holds, samples the server,
// publishes, tells the subscriber processes which messages were acknowledged, and gathers
// their counts into one report.

#include <string>
#include <vector>

namespace livechat::bench {

/// Runs the bench with the arguments that followed `bench`; prints the report to stdout.
/// Returns the process exit code: 0 when the run took place (whatever it measured), 2 for bad
/// options, 1 when it could not run (no subscriber connected, a process failed).
int run_bench(const std::vector<std::string>& arguments);

}  // namespace livechat::bench

// CPU-time measurements shared by `keyward client bench` and `keyward fleet bench`: a process's CPU
// time read from /proc, this thread's CPU time, and the crypto floor of one server-side recovery.
// Thread-safety: every function is safe to call from any thread.
#pragma once

namespace keyward::cli {

// utime + stime of `pid` in seconds (/proc/PID/stat fields 14 and 15), or -1 if unreadable.
double ProcessCpuSeconds(int pid);

// CPU time of the calling thread, in seconds (CLOCK_THREAD_CPUTIME_ID).
double ThreadCpuSeconds();

// The crypto floor of one server-side recovery (issue 2): 4 variable-base + 1 fixed-base
// ristretto255 scalar multiplications, CPU µs on one core (median of 7 batches of 300); -1 if
// libsodium refuses a multiplication.
double CryptoFloorMicros();

}  // namespace keyward::cli

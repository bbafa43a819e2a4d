// CPU-time measurements shared by `keyward client bench` and `keyward fleet bench`: a process's CPU
// time read from /proc, this thread's CPU time, and the crypto floor of one server-side recovery
// (on one core, or on every core at once to see how much of the machine the host gives us now).
// Thread-safety: every function is safe to call from any thread.
#pragma once

#include <vector>

namespace keyward::cli {

// utime + stime of `pid` in seconds (/proc/PID/stat fields 14 and 15), or -1 if unreadable.
double ProcessCpuSeconds(int pid);

// CPU time of the calling thread, in seconds (CLOCK_THREAD_CPUTIME_ID).
double ThreadCpuSeconds();

// The crypto floor of one server-side recovery (issue 2): 4 variable-base + 1 fixed-base
// ristretto255 scalar multiplications, CPU µs on one core (median of 7 batches of 300); -1 if
// libsodium refuses a multiplication.
double CryptoFloorMicros();

// The same floor measured on every online CPU at once, one thread pinned to each (result[i] is CPU
// i's floor in µs, -1 where it failed). On a virtual machine whose host takes part of a core away
// (seen on the 2-core reference machine: one vCPU 35-95% slower for tens of seconds), the slowed
// CPU's figure shows it; a bare-metal or idle host gives equal figures. Takes ~0.4 s.
std::vector<double> CoreFloorsMicros();

// How many cores' worth of crypto the machine gave during a measurement: sum over CPUs of
// min(1, reference_us / floor_us[i]) (reference_us: the fastest floor seen, i.e. a core at full
// speed; failed figures, < 0, count nothing). 2.0 on an undisturbed 2-core machine; ~1.6 when the
// host slows one vCPU by 60%.
double EffectiveCores(const std::vector<double>& floors_us, double reference_us);

}  // namespace keyward::cli

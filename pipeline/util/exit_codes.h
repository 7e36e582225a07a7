// Exit codes of the `bertology` binary: the one list scripts, Slurm jobs and tests rely on.
#pragma once

namespace bertology {

/// Success (also for --help and --dump-config).
constexpr int kExitOk = 0;
/// A bug or an environment failure inside bertology (InternalError, std::exception): report it.
constexpr int kExitInternal = 1;
/// Bad input the user can fix (InputError: config, data, checkpoint, usage); one line names it.
constexpr int kExitInput = 2;
/// `bertology cache verify` found finished chunks whose bytes no longer match their record.
constexpr int kExitCorrupt = 3;
/// A signal (SIGTERM, SIGUSR1) asked a long job to stop; it saved what it can resume from and
/// should be resubmitted (EX_TEMPFAIL from sysexits.h, which Slurm requeue scripts test for).
constexpr int kExitRequeue = 75;

}  // namespace bertology

// Cooperative stop on SIGTERM / SIGUSR1 (Slurm preemption, scancel, `kill`).
//
// Long commands install the handler, poll stop_requested() between batches, finish and flush what
// they hold, record it, and exit with kExitRequeue so a batch script knows to requeue.
#pragma once

#include "pipeline/util/exit_codes.h"  // kExitRequeue

namespace bertology {

/// Installs handlers for SIGTERM and SIGUSR1 (idempotent).
void install_stop_handlers();
/// True once a stop signal arrived.
bool stop_requested();
/// The signal number that arrived (0 if none).
int stop_signal_number();

/// Thrown by a stage that stopped early on a signal after saving what it can resume from; the
/// CLI turns it into exit code kExitRequeue.
struct StopRequested {};

}  // namespace bertology

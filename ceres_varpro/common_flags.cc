// Flags shared by every command.
#include "gflags/gflags.h"

DEFINE_int32(num_threads, 2, "Threads for evaluation and linear algebra.");
DEFINE_int32(max_num_iterations, 200,
             "Maximum outer (trust-region) iterations.");
DEFINE_string(json, "",
              "Write machine-readable results to this file (atomically).");

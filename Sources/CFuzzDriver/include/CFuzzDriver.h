#ifndef PLUMB_CFUZZDRIVER_H
#define PLUMB_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver) with `test` as the fuzz target, when the
/// program was built with `-sanitize=fuzzer`; returns -1 at once otherwise.
int plumb_fuzz_run(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));

/// Whether libFuzzer is linked in (the program was built with `-sanitize=fuzzer`).
int plumb_fuzz_available(void);

#endif

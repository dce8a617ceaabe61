#include "CFuzzDriver.h"

typedef int (*plumb_fuzz_driver)(int *argc, char ***argv, int (*test)(const uint8_t *, size_t));

#if defined(__APPLE__)
// Mach-O does not leave a weak reference undefined at link time: look the driver up instead
// (an executable's symbols are visible to dlsym there). Untested: CI builds on Linux.
#include <dlfcn.h>
static plumb_fuzz_driver find_driver(void) {
    return (plumb_fuzz_driver)dlsym(RTLD_DEFAULT, "LLVMFuzzerRunDriver");
}
#else
// A weak reference: with `-sanitize=fuzzer` the compiler links libFuzzer's runtime (whole
// archive) and this resolves to its driver; in a plain build it stays null, so the fuzz
// targets still link and `swift build` / `swift test` work without the fuzzer.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *, size_t))
    __attribute__((weak));
static plumb_fuzz_driver find_driver(void) { return LLVMFuzzerRunDriver; }
#endif

int plumb_fuzz_available(void) { return find_driver() != 0; }

int plumb_fuzz_run(int *argc, char ***argv, int (*test)(const uint8_t *, size_t)) {
    plumb_fuzz_driver driver = find_driver();
    if (!driver) return -1;
    return driver(argc, argv, test);
}

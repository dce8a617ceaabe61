// A libFuzzer target for the trace reader. Build and run it with `scripts/fuzz.sh` (targets
// trace-line, trace-file, trace-gzip); built without `-sanitize=fuzzer` it only says so.
//
// Modes (the environment variable PLUMB_FUZZ_MODE, so that libFuzzer's child processes under
// -fork/-jobs get it too):
//   line  each line of the input through `EventParser` (no system, then each system); a parsed
//         event or header must encode and parse back to itself.
//   file  the input as a plain file through `TraceFileReader` (strict and `--truncated`), and
//         through `LineSource` in small chunks, compared with a plain split at newlines.
//   gzip  the input as gzip, either raw (first byte even: the rest is the file) or built
//         (first byte odd: the rest is compressed in 1-4 members, then maybe damaged); undamaged,
//         it must read exactly as the same text in a plain file.
// A finding is a crash, a trap, a hang, unbounded memory, or a broken property (a trap here).

import CFuzzDriver

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

guard plumb_fuzz_available() != 0 else {
    complain("FuzzTrace: not built for fuzzing; run scripts/fuzz.sh trace-line|trace-file|trace-gzip")
    exit(2)
}
guard let name = getenv("PLUMB_FUZZ_MODE").map({ String(cString: $0) }), let mode = FuzzMode(rawValue: name) else {
    complain("FuzzTrace: set PLUMB_FUZZ_MODE to line, file or gzip")
    exit(2)
}
TraceHarness.start(mode)
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(plumb_fuzz_run(&argc, &argv) { data, size in
    TraceHarness.run(UnsafeBufferPointer(start: data, count: size))
})

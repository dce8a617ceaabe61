// A libFuzzer target for the replay-token decoder (`ReplayToken(decoding:)`) and what
// `plumb replay` does with a token that decodes: parse its configuration, check its model
// stamp, re-apply its path. Build and run it with `scripts/fuzz.sh token`; built without
// `-sanitize=fuzzer` it only says so. With PLUMB_FUZZ_WRITE_SEEDS=DIR it writes seed inputs
// (tokens of real executions of each system) to DIR and exits.
//
// The first byte of an input picks its form: even, the rest is the token text as pasted;
// odd, the rest is the token's binary form, which gets a correct checksum and the base64url
// wrapping here, so that mutations reach past the checksum into the fields and the replay.
// A finding is a crash, a trap, a hang, unbounded memory, or a broken property (a trap here).

import CFuzzDriver

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

if let directory = getenv("PLUMB_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) {
    exit(TokenHarness.writeSeeds(to: directory))
}
guard plumb_fuzz_available() != 0 else {
    complain("FuzzToken: not built for fuzzing; run scripts/fuzz.sh token")
    exit(2)
}
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(plumb_fuzz_run(&argc, &argv) { data, size in
    TokenHarness.run(UnsafeBufferPointer(start: data, count: size))
})

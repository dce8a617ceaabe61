// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Plumb",
    platforms: [.macOS(.v13)],
    // What a Swift user imports; every other module (Z3, Checksum, Controller) is the package's
    // own and declares nothing public. See README.md, "Using Plumb from Swift".
    products: [
        .executable(name: "plumb", targets: ["PlumbCLI"]),
        // Read, write and record plumb-trace files.
        .library(name: "Trace", targets: ["Trace"]),
        // Check a trace from code; the specs name the invariants a report speaks of.
        .library(name: "Checker", targets: ["Checker", "Specs"]),
        // The explorer as a library: make a core of your own `Explorable` and search it from a test.
        .library(name: "Explorer", targets: ["Explorer"]),
        // The three systems to embed: each core and its live runtime.
        .library(name: "Mirror", targets: ["Mirror", "MirrorLive"]),
        .library(name: "Driver", targets: ["Driver", "DriverLive"]),
        .library(name: "Recovery", targets: ["Recovery", "RecoveryLive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        // C libraries from the system.
        .systemLibrary(name: "CZ3", pkgConfig: "z3", providers: [.apt(["libz3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Starting write-back of a file range without waiting (Linux's sync_file_range).
        .systemLibrary(name: "CWriteBack"),

        // The Z3 binding: the only module that imports CZ3.
        .target(name: "Z3", dependencies: ["CZ3"]),

        // The trace library: events, reader, recorder, happens-before.
        .target(name: "Trace", dependencies: [
            "CZlib",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // Executable specifications of the three systems.
        .target(name: "Specs", dependencies: ["Trace"], path: "Specs", exclude: ["README.md"]),

        // The checker: replays a trace through the specs and proves obligations.
        .target(name: "Checker", dependencies: ["Trace", "Specs", "Z3"]),

        // CRC-32, shared by the mirror's frames and the driver's journal.
        .target(name: "Checksum", dependencies: ["CZlib"]),

        // The mirror: a deterministic core (no I/O) and its live runtime over TCP.
        .target(name: "Mirror", dependencies: ["Trace"]),
        .target(name: "MirrorLive", dependencies: [
            "Mirror", "Trace", "Checksum",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The recovery framework: a deterministic core and its runtime on Swift concurrency.
        .target(name: "Recovery", dependencies: ["Trace"]),
        .target(name: "RecoveryLive", dependencies: ["Recovery", "Trace"]),

        // The driver: a deterministic core (staging, journal, recovery), block devices, and its
        // live runtime over a file.
        .target(name: "Driver", dependencies: ["Trace", "Checksum"]),
        .target(name: "DriverLive", dependencies: [
            "Driver", "Trace", "CWriteBack",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // The whole controller: the consumers that recover the driver and the mirror, and a
        // run that crashes a controller and brings it back.
        .target(name: "Controller", dependencies: [
            "Driver", "DriverLive", "Mirror", "MirrorLive", "Recovery", "RecoveryLive", "Trace",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // The explorer: exhaustive, random and PCT search over the systems' cores.
        .target(name: "Explorer", dependencies: ["Trace", "Specs", "Driver", "Mirror", "Recovery", "Z3"]),

        // The `plumb` command.
        .executableTarget(name: "PlumbCLI", dependencies: [
            "Checker", "Trace", "MirrorLive", "RecoveryLive", "DriverLive", "Explorer", "Controller",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzz targets for libFuzzer, run by scripts/fuzz.sh (see README.md, "Fuzzing"). A plain
        // build links them too (they then only say how to run them): CFuzzDriver reaches
        // libFuzzer's driver through a weak symbol that only `-sanitize=fuzzer` fills in.
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "FuzzTrace", dependencies: ["Trace", "CZlib", "CFuzzDriver"]),
        .executableTarget(name: "FuzzToken", dependencies: ["Explorer", "CFuzzDriver"]),

        .testTarget(name: "Z3Tests", dependencies: ["Z3"]),
        .testTarget(name: "TraceTests", dependencies: ["Trace"]),
        .testTarget(name: "SpecsTests", dependencies: ["Specs", "Trace"]),
        .testTarget(name: "CheckerTests", dependencies: ["Checker", "Trace", "Specs", "Z3"]),
        .testTarget(name: "PlumbCLITests", dependencies: ["PlumbCLI", "Trace", "Checker", "Explorer"]),
        .testTarget(name: "MirrorTests", dependencies: ["Mirror", "MirrorLive", "Checksum", "Trace", "Specs", "Checker"]),
        .testTarget(name: "ControllerTests", dependencies: ["Controller", "Checker", "Trace", "MirrorLive"]),
        .testTarget(name: "ExplorerTests", dependencies: ["Explorer", "Trace", "Specs", "Driver", "Mirror", "Recovery"]),
        .testTarget(name: "DriverTests", dependencies: ["Driver", "DriverLive", "Trace", "Specs", "Checker"]),
        .testTarget(name: "RecoveryTests", dependencies: ["Recovery", "RecoveryLive", "Trace", "Specs", "Checker"]),
    ],
    swiftLanguageModes: [.v6]
)

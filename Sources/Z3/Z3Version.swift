import CZ3

/// The version of the Z3 library the process linked, for logs and bug reports.
package enum Z3Version {
    /// The full version string, such as `Z3 4.8.12.0` (`Z3_get_full_version`).
    package static var string: String {
        String(cString: Z3_get_full_version())
    }

    /// The numeric version: major, minor, build and revision (`Z3_get_version`).
    package static var numbers: (major: Int, minor: Int, build: Int, revision: Int) {
        var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &revision)
        return (Int(major), Int(minor), Int(build), Int(revision))
    }
}

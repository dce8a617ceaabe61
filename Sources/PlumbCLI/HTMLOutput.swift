import ArgumentParser
import Checker
import Foundation

/// `--html FILE`, shared by `plumb check`, `plumb explore` and `plumb replay`: the report also
/// as one self-contained HTML page (see `HTMLReport`).
struct HTMLOutput: ParsableArguments {
    @Option(name: .customLong("html"), help: ArgumentHelp(
        "Also write the report as one self-contained HTML page: a lane per node, cause arrows, the violation's events "
            + "highlighted and its steps to go through (its folder must exist).",
        valueName: "FILE"))
    var path: String?

    /// Refuses a page that cannot be written before anything runs.
    func validate() throws {
        if let path { try OutputError.validateFile(path) }
    }

    /// Writes the page of `report` to `path`; the trace is read from `readFrom` when the report
    /// names its files otherwise (`<stdin>`).
    static func write(
        _ report: CheckReport, to path: String, readFrom: [String]? = nil, configure: (inout HTMLReport) -> Void = { _ in }
    ) throws {
        var page = HTMLReport()
        page.readFrom = readFrom
        configure(&page)
        try OutputError.write(Data(page.render(report).utf8), to: path)
    }
}

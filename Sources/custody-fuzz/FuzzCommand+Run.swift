import Crypto
import Foundation
import FuzzTargets
#if FUZZING
import CFuzzer
#endif

extension FuzzCommand {
    /// The deterministic fuzzer over some or all targets; 1 when an input broke a promise.
    static func run(_ args: [String]) throws -> Int32 {
        var names: [String] = [], corpus = "Fixtures/fuzz", seconds = Double.infinity, iterations = 20_000
        var seed: UInt64 = 0xC0FFEE, json = false
        var rest = args[...]
        while let arg = rest.popFirst() {
            func value() throws -> String {
                guard let v = rest.popFirst() else { throw UsageError("\(arg) needs a value") }
                return v
            }
            switch arg {
            case "--corpus": corpus = try value()
            case "--seconds":
                guard let s = Double(try value()), s > 0 else { throw UsageError("--seconds takes a positive number") }
                seconds = s
                iterations = .max
            case "--iterations":
                guard let n = Int(try value()), n > 0 else { throw UsageError("--iterations takes a positive number") }
                iterations = n
            case "--seed":
                guard let s = UInt64(try value()) else { throw UsageError("--seed takes a number") }
                seed = s
            case "--json": json = true
            default: names.append(arg)
            }
        }
        let targets = try names.isEmpty ? FuzzTarget.all : names.map(target)
        let root = URL(fileURLWithPath: corpus)
        var rows: [[String: Any]] = []
        var failed = false
        for t in targets {
            let seeds = try FuzzCorpus.seeds(t, root: root) + FuzzCorpus.regressions(t, root: root)
            let report = FuzzRunner(target: t, seeds: seeds.map(\.bytes)).run(seed: seed, iterations: iterations,
                                                                              seconds: seconds)
            var row: [String: Any] = ["target": t.name, "executions": report.executions,
                                      "seconds": (report.seconds * 100).rounded() / 100,
                                      "per_second": Int(report.perSecond), "seeds": seeds.count,
                                      "outcomes": Dictionary(uniqueKeysWithValues: report.outcomes.map {
                                          ($0.key.description, $0.value) })]
            if let failure = report.failure {
                failed = true
                let saved = try save(failure.input, target: t, root: root)
                row["failure"] = failure.error
                row["saved"] = saved
            }
            rows.append(row)
            if !json { printRow(row, report) }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        return failed ? 1 : 0
    }

    static func printRow(_ row: [String: Any], _ report: FuzzRunner.Report) {
        let outcomes = report.outcomes.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key) \($0.value)" }
        let name = (row["target"] as? String ?? "").padding(toLength: 18, withPad: " ", startingAt: 0)
        print("\(name) \(report.executions) inputs in \(String(format: "%.1f", report.seconds)) s "
              + "(\(Int(report.perSecond))/s): \(outcomes.joined(separator: ", "))")
        if let failure = row["failure"] { print("  FAILED: \(failure)\n  input saved to \(row["saved"] ?? "")") }
    }

    /// Keeps an input that broke a promise as a regression, named by its hash.
    static func save(_ input: [UInt8], target: FuzzTarget, root: URL) throws -> String {
        let folder = root.appendingPathComponent(target.name).appendingPathComponent("regressions")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("crash-" + String(SHA256.hash(input).hex.prefix(16)))
        try Data(input).write(to: file)
        return file.path
    }

    /// Hands `TARGET` to libFuzzer with the remaining arguments; libFuzzer saves what crashes.
    static func libFuzzer(_ args: [String]) throws -> Int32 {
        guard let name = args.first else { throw UsageError("libfuzzer takes a target") }
        #if FUZZING
        LibFuzzerEntry.selected = try target(name)
        // libFuzzer parses argv itself: the program name, then its options and corpus folders.
        let strings = [CommandLine.arguments[0]] + args.dropFirst()
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        var argc = Int32(strings.count)
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                LibFuzzerEntry.one(UnsafeRawBufferPointer(start: data, count: size))
            }
        }
        #else
        _ = try target(name)
        throw UsageError("this custody-fuzz was built without libFuzzer; Scripts/fuzz builds one that has it")
        #endif
    }
}

#if FUZZING
/// The target libFuzzer calls (its callback is a C function: it can capture nothing).
enum LibFuzzerEntry {
    nonisolated(unsafe) static var selected: FuzzTarget?

    static func one(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard let target = selected else { return 0 }
        do { _ = try target.run(Array(bytes)) } catch {
            // A crash is what libFuzzer keeps: it saves the input and stops.
            FileHandle.standardError.write(Data("custody-fuzz: \(target.name): \(error)\n".utf8))
            abort()
        }
        return 0
    }
}
#endif

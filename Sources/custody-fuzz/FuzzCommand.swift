@preconcurrency import Glibc
import Foundation
import FuzzTargets

/// custody-fuzz: runs the fuzz targets of `FuzzTargets`. Built normally it is the deterministic
/// fuzzer (seeded mutations of the corpus); built by `Scripts/fuzz` with `-DFUZZING` and libFuzzer's
/// runtime it also hands a target to libFuzzer. Not installed.
@main
struct FuzzCommand {
    static let usage = """
        usage: custody-fuzz list [--json]
               custody-fuzz run [TARGET...] [--corpus DIR] [--seconds N] [--iterations N] [--seed N] [--json]
               custody-fuzz replay TARGET FILE...
               custody-fuzz make-corpus DIR
               custody-fuzz libfuzzer TARGET [libFuzzer options and corpus folders]   (a -DFUZZING build only)

        run: every seed of Fixtures/fuzz/<target>/ (and regressions/), then seeded mutations until N inputs
        (default 20000) or N seconds per target; prints executions per second and outcomes. An input that
        breaks a promise is saved to <corpus>/<target>/regressions/ and the exit status is 1.
        """

    static func main() {
        // One line per target as it finishes, also into a pipe or a log.
        setvbuf(stdout, nil, _IOLBF, 0)
        var args = Array(CommandLine.arguments.dropFirst())
        if args.isEmpty || args.contains("--help") || args.contains("-h") {
            print(usage)
            exit(args.isEmpty ? 2 : 0)
        }
        do {
            switch args.removeFirst() {
            case "list": list(json: args.contains("--json"))
            case "run": exit(try run(args))
            case "replay": exit(try replay(args))
            case "make-corpus": try makeCorpus(args)
            case "libfuzzer": exit(try libFuzzer(args))
            case let other: throw UsageError("unknown command \(other)")
            }
        } catch {
            FileHandle.standardError.write(Data("custody-fuzz: \(error)\n".utf8))
            exit(2)
        }
    }

    static func target(_ name: String) throws -> FuzzTarget {
        guard let target = FuzzTarget.named(name) else {
            throw UsageError("no target \(name) (custody-fuzz list names them)")
        }
        return target
    }

    static func list(json: Bool) {
        if json {
            let rows = FuzzTarget.all.map { ["name": $0.name, "summary": $0.summary] }
            let data = (try? JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
        } else {
            for t in FuzzTarget.all { print(t.name.padding(toLength: 20, withPad: " ", startingAt: 0) + t.summary) }
        }
    }

    static func makeCorpus(_ args: [String]) throws {
        guard args.count == 1 else { throw UsageError("make-corpus takes one folder") }
        for (name, seeds) in try FuzzSeeds.generated() {
            let folder = URL(fileURLWithPath: args[0]).appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for seed in seeds { try Data(seed.bytes).write(to: folder.appendingPathComponent(seed.name)) }
            print("\(name): \(seeds.count) seeds")
        }
    }

    static func replay(_ args: [String]) throws -> Int32 {
        guard args.count >= 2 else { throw UsageError("replay takes a target and files") }
        let t = try target(args[0])
        var failed = false
        for path in args.dropFirst() {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            do { print("\(path): \(try t.run(bytes))") } catch {
                print("\(path): FAILED: \(error)")
                failed = true
            }
        }
        return failed ? 1 : 0
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

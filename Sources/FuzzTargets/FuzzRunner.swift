import Foundation

/// The deterministic fuzzer: every seed as it is, then mutations of the seeds drawn from a seeded
/// generator, until a number of inputs or a time is reached. The same seed gives the same inputs.
public struct FuzzRunner {
    public let target: FuzzTarget
    public let seeds: [[UInt8]]
    public init(target: FuzzTarget, seeds: [[UInt8]]) {
        self.target = target
        self.seeds = seeds.isEmpty ? [[]] : seeds
    }

    /// What a run did.
    public struct Report: Sendable {
        public var executions = 0
        public var outcomes: [FuzzOutcome: Int] = [:]
        /// The first input that broke a promise, and how.
        public var failure: (input: [UInt8], error: String)?
        public var seconds = 0.0
        public var perSecond: Double { seconds > 0 ? Double(executions) / seconds : 0 }
    }

    /// Runs the seeds, then mutations until `iterations` inputs have run or `seconds` have passed,
    /// stopping at the first failure.
    public func run(seed: UInt64, iterations: Int, seconds: Double = .infinity) -> Report {
        var report = Report()
        let started = Date()
        let mutator = FuzzMutator(dictionary: target.dictionary, seeds: seeds)
        var random = FuzzRandom(seed: seed)
        var index = 0
        while report.executions < iterations {
            let input = index < seeds.count ? seeds[index] : mutator.mutate(seeds[random.below(seeds.count)],
                                                                              random: &random)
            index += 1
            report.executions += 1
            do {
                report.outcomes[try target.run(input), default: 0] += 1
            } catch {
                report.failure = (input, "\(error)")
                break
            }
            if report.executions % 256 == 0 && Date().timeIntervalSince(started) >= seconds { break }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}

/// A target's seed corpus on disk: `Fixtures/fuzz/<target>/` (one input per file) and, below it,
/// `regressions/` (inputs that once broke a promise, replayed by the tests).
public enum FuzzCorpus {
    /// Non-hidden regular files of `directory`, sorted by name; none when it does not exist.
    public static func files(in directory: URL) throws -> [(name: String, bytes: [UInt8])] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return try names.sorted().compactMap { name in
            let url = directory.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard !name.hasPrefix("."), FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder),
                  !isFolder.boolValue else { return nil }
            return (name, [UInt8](try Data(contentsOf: url)))
        }
    }

    public static func seeds(_ target: FuzzTarget, root: URL) throws -> [(name: String, bytes: [UInt8])] {
        try files(in: root.appendingPathComponent(target.name))
    }

    public static func regressions(_ target: FuzzTarget, root: URL) throws -> [(name: String, bytes: [UInt8])] {
        try files(in: root.appendingPathComponent(target.name).appendingPathComponent("regressions"))
    }
}

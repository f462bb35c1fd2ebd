import HTTPServer
import TestSupport
import XCTest

/// What one input did; anything else (a crash, a hang, an untyped error) is a bug.
enum FuzzOutcome: Equatable {
    case parsed
    case refused(Int)
    case incomplete
}

/// Runs the head parser (fed in random pieces) and, when the head says so, the chunked decoder.
/// The same function could serve a libFuzzer target: an `@_cdecl("LLVMFuzzerTestOneInput")` wrapper
/// calling it, built with `swiftc -sanitize=fuzzer,address` (not built here).
func exercise(_ input: [UInt8], splits: [Int], limits: HTTPLimits) throws -> FuzzOutcome {
    var parser = HTTPRequestHeadParser(limits: limits)
    var position = 0
    var cuts = splits.filter { $0 < input.count }.sorted() + [input.count]
    var head: HTTPRequestHead?
    do {
        while head == nil && position < input.count {
            let end = max(cuts.removeFirst(), position)
            let given = end - position
            let result = try input[position..<end].withUnsafeBytes { try parser.parse($0) }
            guard result.consumed <= given else { throw FuzzFailure("parser consumed more than given") }
            if result.head == nil && result.consumed != given { throw FuzzFailure("parser stopped early") }
            position += result.consumed
            head = result.head
            if cuts.isEmpty { break }
        }
        guard let head else { return .incomplete }
        if head.framing == .chunked {
            var decoder = ChunkedBodyDecoder(limits: limits)
            var steps = 0
            while position <= input.count {
                steps += 1
                guard steps <= input.count * 2 + 4 else { throw FuzzFailure("chunked decoder loops") }
                let (consumed, event) = try input[position...].withUnsafeBytes { try decoder.advance($0) }
                position += consumed
                switch event {
                case .end: return .parsed
                case .needInput: return .incomplete
                case .data(let remaining):
                    let n = min(Int(min(remaining, Int64(Int.max))), input.count - position)
                    if n == 0 { return .incomplete }
                    decoder.consumeData(n)
                    position += n
                }
            }
        }
        return .parsed
    } catch let error as HTTPRequestError {
        guard [400, 413, 414, 417, 431, 501, 505].contains(error.status.code) else {
            throw FuzzFailure("unexpected status \(error.status)")
        }
        return .refused(error.status.code)
    }
}

struct FuzzFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class ParserFuzzTests: XCTestCase {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    func loadCorpus() throws -> [(name: String, bytes: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpusDirectory.path).sorted()
        return try names.filter { $0.hasSuffix(".http") }.map { name in
            (name, [UInt8](try Data(contentsOf: Self.corpusDirectory.appendingPathComponent(name))))
        }
    }

    func testCorpusParsesAsExpected() throws {
        let corpus = try loadCorpus()
        XCTAssertGreaterThanOrEqual(corpus.count, 10)
        for (name, bytes) in corpus {
            let outcome = try exercise(bytes, splits: [], limits: HTTPLimits())
            XCTAssertEqual(outcome, name.hasPrefix("smuggling") ? .refused(400) : .parsed, name)
        }
    }

    /// 20,000 seeded mutations: the parser must always parse, refuse with a typed error or wait for
    /// more input, and must finish every input in bounded time.
    func testSeededMutationsNeverCrashOrHang() throws {
        let corpus = try loadCorpus().map(\.bytes)
        var random = SplitMix64(state: 0xC05_70D1)
        let tokens: [[UInt8]] = ["\r\n", "\r", "\n", ":", " ", "\t", "\0", "Transfer-Encoding: chunked\r\n",
                                 "Content-Length: 18446744073709551616\r\n", "Content-Length: 3\r\n", ";", "ffffffff",
                                 "HTTP/1.1", "HTTP/2.0", "%", "\u{7F}", "Expect: 100-continue\r\n", "\r\n\r\n"]
            .map { Array($0.utf8) }
        let limits = HTTPLimits(maxLineLength: 256, maxHeadBytes: 1024, maxHeaderCount: 20, maxBodyBytes: 4096)
        var counts: [String: Int] = [:]
        let started = Date()
        for iteration in 0..<20_000 {
            var bytes = corpus[Int(random.next() % UInt64(corpus.count))]
            for _ in 0..<(1 + Int(random.next() % 6)) {
                mutate(&bytes, tokens: tokens, random: &random)
            }
            let splits = (0..<Int(random.next() % 4)).map { _ in Int(random.next() % UInt64(bytes.count + 1)) }
            do {
                let outcome = try exercise(bytes, splits: splits, limits: limits)
                counts["\(outcome)", default: 0] += 1
            } catch {
                let text = String(decoding: bytes, as: UTF8.self).debugDescription
                XCTFail("iteration \(iteration): \(error) for input \(text)")
                return
            }
        }
        // The mutations must reach every branch kind, or the test proves little.
        XCTAssertGreaterThan(counts["parsed", default: 0], 1000, "\(counts)")
        XCTAssertGreaterThan(counts.keys.filter { $0.hasPrefix("refused") }.count, 4, "\(counts)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        print("fuzz outcomes: \(counts.sorted { $0.key < $1.key })")
    }

    private func mutate(_ bytes: inout [UInt8], tokens: [[UInt8]], random: inout SplitMix64) {
        let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
        switch random.next() % 6 {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
        case 1:
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        case 2 where !bytes.isEmpty:
            let length = min(Int(random.next() % 8) + 1, bytes.count - position)
            bytes.removeSubrange(position..<position + length)
        case 3 where !bytes.isEmpty:
            let length = min(Int(random.next() % 32) + 1, bytes.count - position)
            bytes.insert(contentsOf: bytes[position..<position + length], at: position)
        case 4:
            bytes.insert(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))], at: position)
        default:
            let digit = UInt8(ascii: "0") + UInt8(random.next() % 10)
            bytes.insert(contentsOf: [UInt8](repeating: digit, count: Int(random.next() % 20) + 1), at: position)
        }
    }
}

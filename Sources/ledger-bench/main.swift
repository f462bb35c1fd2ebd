// ledger-bench: drives the Ledger module in-process for Scripts/bench (not part of the custody CLI).
//   ledger-bench append DB N BATCH [views]   append N events, BATCH per transaction (1 = each durable
//                                    alone); `views`: only views, no ingest events (for a vault's database)
//   ledger-bench proofs DB K         K inclusion and K consistency proofs at random positions
//   ledger-bench leaves DB FILE      write every event's canonical leaf bytes to FILE (the hashing floor)
// Prints one line of `key=value` figures.
import CustodyCore
import Foundation
import Ledger
import SQLite

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func sampleEvent(_ n: Int, viewsOnly: Bool = false) -> CustodyEvent {
    CustodyEvent(actor: .officer("PC-\(n % 500)"), action: n % 3 == 0 && !viewsOnly ? .ingest : .view,
                 exhibit: String(format: "EX-%06d", n % 100_000), objectSHA256: String(repeating: "5e", count: 32),
                 details: ["device": "BW2-\(n % 40)", "n": String(n)])
}

let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write(Data("usage: ledger-bench append DB N BATCH | proofs DB K | leaves DB FILE\n".utf8))
    exit(2)
}
let log = try EventLog(db: Database(path: args[2]))
switch args[1] {
case "append":
    let n = Int(args[3])!, batch = Int(args[4])!, viewsOnly = args.count > 5 && args[5] == "views"
    let base = Int(try log.count())
    let t = try seconds {
        var i = 0
        while i < n {
            let k = min(batch, n - i)
            try log.append((0..<k).map { sampleEvent(base + i + $0, viewsOnly: viewsOnly) })
            i += k
        }
    }
    print(String(format: "events=%d seconds=%.3f per_second=%.0f", n, t, Double(n) / t))
case "proofs":
    let k = Int(args[3])!, size = UInt64(try log.count())
    var generator = SystemRandomNumberGenerator()
    var inclusion = [Double](), consistency = [Double]()
    for _ in 0..<k {
        let index = UInt64.random(in: 0..<size, using: &generator)
        inclusion.append(try seconds { _ = try log.inclusionProof(index: index, size: size) })
        let old = UInt64.random(in: 1..<size, using: &generator)
        consistency.append(try seconds { _ = try log.consistencyProof(oldSize: old, newSize: size) })
    }
    func ms(_ v: [Double]) -> String { String(format: "%.3f", v.sorted()[v.count / 2] * 1000) }
    print("size=\(size) inclusion_median_ms=\(ms(inclusion)) consistency_median_ms=\(ms(consistency))")
case "leaves":
    FileManager.default.createFile(atPath: args[3], contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: args[3]))
    var bytes = 0, from: Int64 = 0
    while true {
        let page = try log.events(from: from, limit: 10_000)
        guard let last = page.last else { break }
        var buffer = [UInt8]()
        for e in page { buffer += e.leafBytes }
        try out.write(contentsOf: buffer)
        bytes += buffer.count
        from = last.seq + 1
    }
    try out.close()
    print("leaf_bytes=\(bytes)")
default:
    FileHandle.standardError.write(Data("ledger-bench: unknown command \(args[1])\n".utf8))
    exit(2)
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import XCTest

/// Waits until `condition` holds, polling; fails the test after `timeout` seconds.
public func eventually(timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line,
                       _ condition: () -> Bool) {
    let limit = Date(timeIntervalSinceNow: timeout)
    while !condition() {
        if Date() > limit {
            XCTFail("condition not met within \(timeout) s", file: file, line: line)
            return
        }
        usleep(10_000)
    }
}

import Foundation
import POSIX
import XCTest
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A pidfd signals its own child while it runs and nothing once it has been reaped.
final class ProcessDescriptorTests: XCTestCase {
    func testSignalsItsChildAndNothingOnceItIsReaped() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        let descriptor = try ProcessDescriptor(pid: child.processIdentifier)
        XCTAssertTrue(descriptor.send(0), "signal 0: the child is there")
        XCTAssertTrue(descriptor.send(SIGTERM))
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertEqual(child.terminationStatus, SIGTERM)
        XCTAssertFalse(descriptor.send(SIGKILL), "reaped: no process gets it")
        XCTAssertEqual(errno, ESRCH)
    }

    func testAPIDThatIsNoChildOfOursIsRefusedClearly() {
        XCTAssertThrowsError(try ProcessDescriptor(pid: -1)) {
            XCTAssertTrue(String(describing: $0).contains("pidfd_open"), "\($0)")
        }
    }
}

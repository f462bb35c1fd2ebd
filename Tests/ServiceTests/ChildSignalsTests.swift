import Foundation
import XCTest
@testable import Service

/// A command's child is signalled through a pidfd opened while it still ran; one that had already exited
/// (and may have been reaped, its PID free for another process) is never signalled.
final class ChildSignalsTests: XCTestCase {
    func testAChildThatExitedBeforeItsPidfdIsNeverSignalled() throws {
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run()
        done.waitUntilExit()
        XCTAssertTrue(ChildSignals(done).signalsNothing)
    }

    func testARunningChildIsSignalledThroughItsPidfd() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        let signals = ChildSignals(sleeper)
        XCTAssertFalse(signals.signalsNothing)
        signals.send(SIGKILL)
        sleeper.waitUntilExit()
        XCTAssertEqual(sleeper.terminationReason, .uncaughtSignal)
        XCTAssertEqual(sleeper.terminationStatus, SIGKILL)
    }
}

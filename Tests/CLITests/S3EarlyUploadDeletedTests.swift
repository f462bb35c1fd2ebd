import CustodyCore
import Foundation
import ObjectStore
import TestSupport
import XCTest

/// A piece stored early whose object is deleted outside custody before the upload's last PATCH: the completion
/// asks the bucket before removing the piece file, sends it again, and the upload completes.
extension S3EarlyUploadCLITests {
    func testAnObjectStoredEarlyAndDeletedOutsideCustodyIsSentAgain() throws {
        let (daemon, port, token, recording, id, sealed) = try uploadStoppedOnceItsPiecesAreStored()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let gone = try XCTUnwrap(SHA256Digest(hex: sealed[0]))
        _ = try bucket("plain").client.perform(S3Client.Request("DELETE", key: gone.hex, operation: "deleting"))
        XCTAssertEqual(try allNames(try bucket("plain")).map(\.hex), [sealed[1]])
        _ = try tus(port: port, token: token, recording, resuming: id)
        try checkCompleted(recording, bucket: "plain", upload: id)
        XCTAssertTrue(try allNames(try bucket("plain")).contains(gone))
    }
}

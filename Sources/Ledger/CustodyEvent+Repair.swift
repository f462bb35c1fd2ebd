import CustodyCore

extension CustodyEvent {
    /// A chunk the store found damaged and replaced with identical bytes from `source`: recorded, since the damage
    /// is gone from the store afterwards and `verify` will not see it.
    public static func chunkRepaired(_ digest: SHA256Digest, from source: String, actor: Actor) -> CustodyEvent {
        CustodyEvent(actor: actor, action: .verify, objectSHA256: digest.hex, outcome: .failed,
                     reason: "chunk \(digest) was damaged in the store; replaced by identical bytes from \(source)",
                     details: ["chunk": digest.hex, "repaired": "true"])
    }
}

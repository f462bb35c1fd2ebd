/// The JSON shape of an event in `ledger log --json` and in custody reports (`--json`).
extension CustodyEvent {
    public var jsonObject: [String: Any] {
        var o: [String: Any] = ["seq": seq, "time": time, "actor": actor.id, "actor_kind": actor.kind.rawValue,
                                "action": action.rawValue, "outcome": outcome.rawValue, "details": details,
                                "leaf_hash": Merkle.leafHash(leafBytes).hex]
        o["exhibit"] = exhibit
        o["case"] = caseID
        o["object_sha256"] = objectSHA256
        o["reason"] = reason
        return o
    }
}

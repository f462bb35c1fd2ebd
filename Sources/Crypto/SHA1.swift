import COpenSSL

/// Streaming SHA-1, only for the tus `checksum` extension, whose clients may send `Upload-Checksum:
/// sha1 ...`. Evidence identity is always SHA-256.
public final class SHA1 {
    private let ctx: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        self.ctx = ctx
        precondition(EVP_DigestInit_ex(ctx, EVP_sha1(), nil) == 1, "EVP_DigestInit_ex(sha1) failed")
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(ctx, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    /// The 20-byte digest.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var len: UInt32 = 0
        precondition(EVP_DigestFinal_ex(ctx, &out, &len) == 1 && len == 20, "EVP_DigestFinal_ex failed")
        return out
    }
}

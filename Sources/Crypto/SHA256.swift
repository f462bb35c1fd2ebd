import COpenSSL
import Foundation
import CustodyCore

/// Streaming SHA-256 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
public final class SHA256 {
    private let ctx: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        self.ctx = ctx
        // EVP_sha256 with a fresh context cannot fail short of memory exhaustion.
        precondition(EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(sha256) failed")
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(ctx, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    public func update<C: ContiguousBytes>(_ bytes: C) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Finishes the hash. The object cannot be updated afterwards.
    public func finalize() -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        precondition(EVP_DigestFinal_ex(ctx, &out, &len) == 1 && len == 32, "EVP_DigestFinal_ex failed")
        return SHA256Digest(bytes: out)
    }

    /// One-shot hash of a buffer.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = EVP_Digest(bytes.baseAddress, bytes.count, &out, &len, EVP_sha256(), nil)
        precondition(ok == 1 && len == 32, "EVP_Digest(sha256) failed")
        return SHA256Digest(bytes: out)
    }

    public static func hash<C: ContiguousBytes>(_ bytes: C) -> SHA256Digest {
        bytes.withUnsafeBytes { hash($0) }
    }
}

import COpenSSL

/// MD5, only for S3's `Content-MD5` header, which a server checks a PUT's body against (a transport check;
/// evidence identity is always SHA-256).
public enum MD5 {
    /// The 16-byte digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var len: UInt32 = 0
        let ok = EVP_Digest(bytes.baseAddress, bytes.count, &out, &len, EVP_md5(), nil)
        precondition(ok == 1 && len == 16, "EVP_Digest(md5) failed")
        return out
    }
}

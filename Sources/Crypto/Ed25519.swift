import COpenSSL

/// An Ed25519 key held by OpenSSL. A private key can sign; every key can verify.
public final class Ed25519Key: @unchecked Sendable {
    // Immutable after init; OpenSSL keys are safe to use from several threads for sign/verify.
    private let pkey: OpaquePointer
    public let isPrivate: Bool

    private init(pkey: OpaquePointer, isPrivate: Bool) {
        self.pkey = pkey
        self.isPrivate = isPrivate
    }

    deinit { EVP_PKEY_free(pkey) }

    /// A fresh random private key.
    public static func generate() throws -> Ed25519Key {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw OpenSSLError("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try OpenSSLError.check(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        var key: OpaquePointer?
        try OpenSSLError.check(EVP_PKEY_keygen(ctx, &key), "EVP_PKEY_keygen")
        guard let key else { throw OpenSSLError("EVP_PKEY_keygen") }
        return Ed25519Key(pkey: key, isPrivate: true)
    }

    /// The private key from its 32-byte seed (RFC 8032 "secret key").
    public convenience init(privateSeed seed: [UInt8]) throws {
        guard seed.count == 32 else { throw OpenSSLError("Ed25519 seed must be 32 bytes") }
        guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, 32) else {
            throw OpenSSLError("EVP_PKEY_new_raw_private_key")
        }
        self.init(pkey: key, isPrivate: true)
    }

    /// A public key from its 32 raw bytes.
    public convenience init(publicBytes: [UInt8]) throws {
        guard publicBytes.count == 32 else { throw OpenSSLError("Ed25519 public key must be 32 bytes") }
        guard let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicBytes, 32) else {
            throw OpenSSLError("EVP_PKEY_new_raw_public_key")
        }
        self.init(pkey: key, isPrivate: false)
    }

    /// A key from PEM text: PKCS#8 private key or SubjectPublicKeyInfo public key.
    public convenience init(pem: String) throws {
        let isPrivate = pem.contains("PRIVATE KEY")
        // The memory BIO reads the bytes in place: they must stay alive until the key is parsed.
        let bytes = Array(pem.utf8)
        let parsed = try bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw OpenSSLError("BIO_new_mem_buf")
            }
            defer { BIO_free(bio) }
            return isPrivate ? PEM_read_bio_PrivateKey(bio, nil, nil, nil) : PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key = parsed else { throw OpenSSLError(isPrivate ? "PEM_read_bio_PrivateKey" : "PEM_read_bio_PUBKEY") }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(key)
            throw OpenSSLError("the PEM key is not an Ed25519 key")
        }
        self.init(pkey: key, isPrivate: isPrivate)
    }

    /// The 32 raw public-key bytes.
    public func publicBytes() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len = 32
        try OpenSSLError.check(EVP_PKEY_get_raw_public_key(pkey, &out, &len), "EVP_PKEY_get_raw_public_key")
        return out
    }

    /// The public key as PEM (SubjectPublicKeyInfo), the form `openssl pkeyutl -pubin` reads.
    public func publicKeyPEM() throws -> String {
        try pem { bio in PEM_write_bio_PUBKEY(bio, pkey) }
    }

    /// The private key as unencrypted PKCS#8 PEM. Callers store it with mode 0600.
    public func privateKeyPEM() throws -> String {
        precondition(isPrivate, "not a private key")
        return try pem { bio in PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil) }
    }

    /// A 64-byte Ed25519 signature of `message` (pure Ed25519, no pre-hash).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        precondition(isPrivate, "signing needs a private key")
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        try OpenSSLError.check(EVP_DigestSignInit(ctx, nil, nil, nil, pkey), "EVP_DigestSignInit")
        var sig = [UInt8](repeating: 0, count: 64)
        var len = 64
        try OpenSSLError.check(EVP_DigestSign(ctx, &sig, &len, message, message.count), "EVP_DigestSign")
        return Array(sig.prefix(len))
    }

    /// True when `signature` is a valid signature of `message` under this key.
    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64, let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, pkey) == 1 else {
            ERR_clear_error()
            return false
        }
        let ok = EVP_DigestVerify(ctx, signature, signature.count, message, message.count) == 1
        if !ok { ERR_clear_error() }
        return ok
    }

    private func pem(_ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError("BIO_new") }
        defer { BIO_free(bio) }
        try OpenSSLError.check(write(bio), "PEM_write_bio")
        var ptr: UnsafeMutablePointer<CChar>?
        let len = custody_bio_get_mem_data(bio, &ptr)
        guard let ptr, len > 0 else { throw OpenSSLError("BIO_get_mem_data") }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
    }
}

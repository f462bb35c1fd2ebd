import COpenSSL

/// The OpenSSL linked at run time (`custody --version` prints it: a court may ask what signed the ledger).
public enum OpenSSLLibrary {
    /// E.g. `OpenSSL 3.0.17 1 Jul 2025`.
    public static var version: String { String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))) }
}

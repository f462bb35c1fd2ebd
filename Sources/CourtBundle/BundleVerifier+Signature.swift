import Crypto
import CustodyCore
import Ledger

/// Step 3: the signature over the tag manifest, by a key the bundle does not choose when the recipient
/// gave one (`--key`, `--server`).
extension BundleVerifier {
    /// Returns the trusted key as a note verifier (its name: the log's origin).
    func checkSignature() throws -> NoteVerifier {
        let pemPath = BundleLayout.publicKeyPEM, vkeyPath = BundleLayout.verifierKey
        let own: [UInt8]
        do { own = try Ed25519Key(pem: try text(pemPath, step: .signature)).publicBytes() } catch is OpenSSLError {
            throw BundleFailure(.signature, "\(pemPath) holds no Ed25519 public key", entry: pemPath)
        }
        let ownVerifier: NoteVerifier
        do {
            ownVerifier = try NoteVerifier(vkey: try text(vkeyPath, step: .signature))
        } catch let e as CustodyError {
            throw BundleFailure(.signature, "\(vkeyPath): \(e.message)", entry: vkeyPath)
        }
        guard ownVerifier.publicKey == own else {
            throw BundleFailure(.signature, "\(pemPath) and \(vkeyPath) name different keys", entry: vkeyPath)
        }
        let trusted: NoteVerifier
        if let pem = options.keyPEM {
            trusted = try NoteVerifier(name: ownVerifier.name, publicKey: try Self.publicKey(pem: pem, from: "--key"))
            report.keySource = .option
        } else if let server = options.server {
            trusted = try Self.serverKey(server)
            report.keySource = .server
        } else {
            trusted = ownVerifier
            report.keySource = .bundle
        }
        // A bundle made before the key was replaced is signed with a retired key the trusted source lists;
        // its checkpoint must then be no larger than that key's last (step 4, `Checkpoint.open`).
        retiredSigner = own == trusted.publicKey ? nil : trusted.retired.first { $0.publicKey == own }
        let signer = retiredSigner?.publicKey ?? trusted.publicKey
        report.keyFingerprint = Self.fingerprint(signer)
        let signature = try contents(BundleLayout.signature, step: .signature)
        let manifest = try contents(Self.tagManifest, limit: Self.maxTagBytes, step: .signature)
        guard signature.count == 64, try Ed25519Key(publicBytes: signer).verify(signature, for: manifest)
        else {
            throw BundleFailure(.signature, "\(BundleLayout.signature) is no Ed25519 signature over "
                + "\(Self.tagManifest) by the \(report.keySource == .bundle ? "bundle's own" : "given") key "
                + "(fingerprint \(report.keyFingerprint!))", entry: BundleLayout.signature)
        }
        return trusted
    }

    /// SHA-256 of the key's DER SubjectPublicKeyInfo (RFC 8410: a fixed 12-byte prefix, then the key).
    public static func fingerprint(_ publicKey: [UInt8]) -> String {
        SHA256.hash(spkiPrefix + publicKey).hex
    }

    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    static func publicKey(pem: String, from: String) throws -> [UInt8] {
        do {
            return try Ed25519Key(pem: pem).publicBytes()
        } catch {
            throw CustodyError.invalidInput(field: "key", "\(from) holds no Ed25519 public key in PEM: \(error)")
        }
    }

    /// `GET /ledger/key`: the verifier key line, then the PEM; both must name one key.
    static func serverKey(_ server: any LedgerServer) throws -> NoteVerifier {
        let body = try server.get("/ledger/key")
        let first = String(body.prefix { $0 != "\n" })
        let verifier: NoteVerifier
        do { verifier = try NoteVerifier(vkey: first) } catch {
            throw CustodyError.failure("the server's /ledger/key does not start with a verifier key: \(error)")
        }
        guard try publicKey(pem: String(body.dropFirst(first.count)), from: "the server's /ledger/key")
            == verifier.publicKey else {
            throw CustodyError.failure("the server's /ledger/key gives a PEM and a verifier key of different keys")
        }
        // The keys it signed with before (`/ledger/keys`, after the current one, each with the size of the
        // last checkpoint it signed): a bundle made before the server's key was replaced is checked against
        // the key that signed it. Only keys of this log count; a server without the endpoint, or an answer
        // that is not such a list starting with the current key, adds none (the check is then stricter,
        // never looser).
        guard let all = try? server.get("/ledger/keys"), let published = try? NoteVerifier(published: all),
              published.name == verifier.name, published.publicKey == verifier.publicKey else { return verifier }
        return published
    }
}

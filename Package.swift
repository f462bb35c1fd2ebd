// swift-tools-version:6.0
import PackageDescription

// custody: body-worn-camera evidence vault, chain-of-custody ledger and court transfer.
// No package dependencies: Foundation, Dispatch, XCTest and Debian's OpenSSL 3, FFmpeg 5.1, SQLite 3.
// Linux only (Glibc, epoll, O_DIRECT): no other platform is declared because none builds.
let package = Package(
    name: "custody",
    products: [
        .executable(name: "custody", targets: ["custody"]),
    ],
    targets: [
        // C libraries: each wrapped by exactly one Swift module.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev",
                              "libswscale-dev", "libswresample-dev"])]),

        // What Swift's Glibc module leaves out: <sys/epoll.h>, and O_DIRECT and accept4 (they need
        // _GNU_SOURCE); wrapped by POSIX.
        .target(name: "CSystem"),

        // Our C sources: SHA-256 compression with the x86 SHA extensions, two lanes at once
        // (OpenSSL has no such interface); wrapped by Crypto's SHA256Pair.
        .target(name: "CSHA256x2"),
        // And CRC-32 by carry-less multiplication (PCLMULQDQ), which Swift cannot express; wrapped by Zip's CRC32.
        .target(name: "CCRC32"),

        .target(name: "CustodyCore"),
        // System calls with EINTR retried and one errno error, file helpers, epoll, accept4.
        .target(name: "POSIX", dependencies: ["CSystem"]),
        .target(name: "Crypto", dependencies: ["COpenSSL", "CSHA256x2", "CustodyCore"]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        // What a recording is (media facts, redaction specs), with no libav: Catalog and the CLI use it.
        .target(name: "MediaModel", exclude: ["README.md"]),
        .target(name: "Media", dependencies: ["CFFmpeg", "CustodyCore", "MediaModel"], exclude: ["README.md"]),
        .target(name: "Ledger", dependencies: ["CustodyCore", "Crypto", "SQLite"], exclude: ["README.md"]),
        .target(name: "Storage", dependencies: ["CustodyCore", "POSIX", "Crypto"]),
        // Streaming ZIP writer (stored entries, ZIP64) for court bundles; CRC-32 in Swift.
        .target(name: "Zip", dependencies: ["CustodyCore", "POSIX", "CCRC32"], exclude: ["README.md"]),
        .target(name: "Catalog", dependencies: ["CustodyCore", "SQLite", "MediaModel"]),
        .target(name: "Uploads", dependencies: ["CustodyCore", "POSIX", "Crypto", "SQLite", "Ledger", "Storage"]),
        // The custody report as a model rendered to HTML (inline SVG timeline, A4) and JSON; no Vault.
        .target(name: "Report", dependencies: ["CustodyCore", "Crypto", "Ledger", "Catalog", "MediaModel"]),
        .target(
            name: "Vault",
            dependencies: ["CustodyCore", "POSIX", "Crypto", "SQLite", "MediaModel", "Media", "Ledger", "Storage",
                           "Catalog", "Uploads", "CourtBundle", "Report", "ObjectStore"],
            exclude: ["README.md"]),
        // BagIt 1.0 (RFC 8493) bags with SHA-256 manifests, streamed into a folder or any other sink.
        .target(name: "BagIt", dependencies: ["CustodyCore", "Crypto", "POSIX"], exclude: ["README.md"]),
        // What a court bundle is (its layout), and the verifier anyone can run: reads the ZIP, checks the
        // bag, the signature and every proof, trusting nothing it can check. No Vault.
        .target(name: "CourtBundle", dependencies: ["CustodyCore", "Crypto", "Ledger", "POSIX", "Zip"]),
        // Court transfer: the bundle writer, the transfer worker, the download links.
        .target(
            name: "Transfer",
            dependencies: ["CustodyCore", "POSIX", "Crypto", "SQLite", "Ledger", "Catalog", "Vault", "BagIt", "Zip",
                           "CourtBundle"],
            exclude: ["README.md"]),
        .target(name: "HTTPServer", dependencies: ["POSIX"], exclude: ["README.md"]),
        // Chunks on S3-compatible object storage: SigV4 signing (our HMAC-SHA256), the S3 client and store.
        .target(name: "ObjectStore", dependencies: ["CustodyCore", "Crypto", "POSIX", "Storage"]),
        .target(
            name: "Service",
            dependencies: ["CustodyCore", "POSIX", "Crypto", "Ledger", "Catalog", "Uploads", "Vault", "SQLite",
                           "HTTPServer", "Transfer", "CourtBundle", "Report", "Storage"],
            exclude: ["README.md"]),
        // libFuzzer's entry for a program with its own main, declared only: Scripts/fuzz links the runtime.
        .systemLibrary(name: "CFuzzer"),
        // One fuzz entry per parser of untrusted bytes (bytes in, outcome out), the seeded mutator and the
        // corpus; used by FuzzTargetsTests and custody-fuzz.
        .target(
            name: "FuzzTargets",
            dependencies: ["CustodyCore", "Crypto", "HTTPServer", "Service", "Uploads", "MediaModel", "Ledger",
                           "CourtBundle", "Zip", "POSIX"]),
        // The deterministic fuzzer, and with -DFUZZING (Scripts/fuzz) the libFuzzer driver; not installed.
        .executableTarget(name: "custody-fuzz", dependencies: ["FuzzTargets", "Crypto", "CFuzzer"]),
        // Drives the ledger in-process for Scripts/bench; not installed.
        .executableTarget(name: "ledger-bench", dependencies: ["CustodyCore", "Ledger", "SQLite"]),
        // Writes one court bundle in-process for Scripts/bench (BundleWriter's options); not installed.
        .executableTarget(name: "bundle-bench", dependencies: ["CustodyCore", "Vault", "Transfer"]),
        .executableTarget(
            name: "custody",
            dependencies: ["CustodyCore", "POSIX", "Crypto", "SQLite", "MediaModel", "Media", "Ledger", "Catalog",
                           "Vault", "Service", "Transfer", "CourtBundle", "Report"]),

        .target(name: "TestSupport", dependencies: ["CustodyCore"], path: "Tests/TestSupport"),
        .testTarget(name: "POSIXTests", dependencies: ["POSIX"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "TestSupport"]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestSupport"]),
        .testTarget(name: "MediaModelTests", dependencies: ["MediaModel", "TestSupport"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "MediaModel", "TestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "CustodyCore", "SQLite", "TestSupport"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Crypto", "SQLite", "TestSupport"]),
        // Behaviour every ChunkStore must have, for any store's tests to run.
        .target(name: "StorageConformance", dependencies: ["Storage", "CustodyCore", "Crypto"],
                path: "Tests/StorageConformance"),
        .testTarget(
            name: "StorageTests", dependencies: ["Storage", "StorageConformance", "POSIX", "Crypto", "TestSupport"]),
        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", "POSIX", "Ledger", "SQLite", "Crypto", "MediaModel", "Media", "Storage", "Catalog",
                           "Uploads", "TestSupport"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["Service", "Vault", "Uploads", "POSIX", "Ledger", "HTTPServer", "Crypto", "Catalog",
                           "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Ledger", "Crypto", "CustodyCore", "BundleFixture",
                                                    "CourtBundle", "Catalog", "Vault", "ObjectStore", "Storage"]),
        .testTarget(name: "BagItTests", dependencies: ["BagIt", "TestSupport"]),
        .testTarget(name: "ZipTests", dependencies: ["Zip", "CustodyCore", "TestSupport"]),
        // Court bundles written as TRANSFER.md lays them out from a real ledger, for the verifier's tests.
        .target(name: "BundleFixture",
                dependencies: ["CourtBundle", "CustodyCore", "Crypto", "Ledger", "SQLite", "Zip", "BagIt"],
                path: "Tests/BundleFixture"),
        .testTarget(name: "CourtBundleTests", dependencies: ["CourtBundle", "CustodyCore", "Crypto", "Ledger", "Zip",
                                                             "BagIt", "BundleFixture", "TestSupport"]),
        .testTarget(
            name: "TransferTests",
            dependencies: ["Transfer", "CourtBundle", "Vault", "Catalog", "Ledger", "Crypto", "SQLite", "Zip", "BagIt",
                           "BundleFixture", "TestSupport"]),
        .testTarget(
            name: "ReportTests",
            dependencies: ["Report", "Vault", "Catalog", "Ledger", "Crypto", "CustodyCore", "TestSupport"]),
        .testTarget(name: "ObjectStoreTests",
                    dependencies: ["ObjectStore", "Crypto", "CustodyCore", "Storage", "StorageConformance", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "Crypto", "CustodyCore"]),
    ]
)

import Foundation
import TestSupport
import XCTest
@testable import Service
@testable import Vault

/// The landing page as a browser shows it: headless Chromium (Debian `chromium`) finds the bundle's
/// SHA-256 and recipient in the page and renders a phone-sized screenshot that is not blank.
final class LandingPageChromiumTests: BundleTestCase {
    func testChromiumRendersTheLandingPage() throws {
        guard let chromium = which("chromium") ?? which("chromium-browser") else {
            throw XCTSkip("chromium is not installed (Scripts/setup installs it)")
        }
        let (id, query) = try builtBundle()
        let sha = try XCTUnwrap(try vault.bundleRegistry.get(id).sha256)
        let url = landingURL(id, query)
        let profile = dir.file("chromium-profile")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                      "--user-data-dir=\(profile)"]
        let dom = try runProcess(chromium, common + ["--dump-dom", url])
        XCTAssertTrue(dom.stdout.contains(sha), "the DOM shows the bundle's SHA-256:\n\(dom.stdout.prefix(500))"
                      + dom.stderr.suffix(500))
        XCTAssertTrue(dom.stdout.contains(recipient))
        let shots = ProcessInfo.processInfo.environment["CUSTODY_LANDING_SCREENSHOTS"]  // to look at them
        for (name, size) in [("phone", "390,844"), ("desktop", "1280,900")] {
            let png = shots.map { "\($0)/landing-\(name).png" } ?? dir.file("landing-\(name).png")
            _ = try runProcess(chromium, common + ["--window-size=\(size)", "--screenshot=\(png)", url])
            let colours = try runProcess(try XCTUnwrap(which("python3")), [Self.pngColours, png])
            XCTAssertEqual(colours.status, 0, colours.stderr)
            let count = Int(colours.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            XCTAssertGreaterThan(count, 50, "the \(name) screenshot is not blank: \(count) colours")
        }
    }

    /// Prints how many distinct colours an 8-bit RGB(A) PNG holds (decoded with zlib, filters undone).
    static let pngColours: String = {
        let script = """
            import struct, sys, zlib
            data = open(sys.argv[1], 'rb').read()
            assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
            pos, idat = 8, b''
            while pos < len(data):
                n, kind = struct.unpack('>I4s', data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + n]
                if kind == b'IHDR':
                    w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
                if kind == b'IDAT':
                    idat += body
                pos += 12 + n
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
            raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
            for y in range(h):
                f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
                for i in range(stride):
                    a = line[i - bpp] if i >= bpp else 0
                    b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                    if f == 1: line[i] = (line[i] + a) & 255
                    elif f == 2: line[i] = (line[i] + b) & 255
                    elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                    elif f == 4:
                        p = a + b - c
                        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
                prev = line
            print(len(colours))
            """
        let path = NSTemporaryDirectory() + "custody-png-colours.py"
        try? script.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()
}

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
            let count = try PNGProbe.colours(png)
            XCTAssertGreaterThan(count, 50, "the \(name) screenshot is not blank: \(count) colours")
        }
    }
}

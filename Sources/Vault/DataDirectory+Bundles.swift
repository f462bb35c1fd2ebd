import POSIX

/// Built court bundles: `bundles/<ID>.zip`, each renamed in only when complete (0700 folder).
extension DataDirectory {
    /// The built ZIP of bundle `id` (a `BundleID`).
    public func bundleZip(_ id: String) -> String { bundles + "/" + id + ".zip" }

    /// Makes `bundles/` (0700) when missing and returns it.
    @discardableResult
    public func makeBundlesFolder() throws -> String {
        try FS.mkdir(bundles, 0o700)
        return bundles
    }
}

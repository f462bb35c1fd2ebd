// Transfer: court bundles from cases. The bundle writer (a BagIt bag streamed into one ZIP), the
// worker that leases transfer jobs and runs them, and the download links' signer. The bundle's format
// is `CourtBundle.BundleLayout`; the jobs' rows are `Catalog.BundleRegistry`; the use cases that
// authorize and record are `Vault`'s.

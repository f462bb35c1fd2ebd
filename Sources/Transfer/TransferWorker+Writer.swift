extension TransferWorker {
    /// The bundle writer a worker uses unless given another (tests give a trivial one).
    public static let defaultWriter: BundleWriterFunction = { request, vault, path, progress, isCancelled in
        try BundleWriter.write(request, vault: vault, to: path, progress: progress, isCancelled: isCancelled)
    }
}

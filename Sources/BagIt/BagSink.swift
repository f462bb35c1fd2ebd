/// Where a bag's files go: a folder (`FolderBagSink`) or, through the same calls, a ZIP archive.
///
/// `BagBuilder` calls `addFile` once per file, in the order the bag is written, with the path under
/// the sink's root: the bag's top-level folder first (`"bundle-7/data/clip.mp4"`), `/` between
/// components, never empty, `.` or `..` components (the builder has checked it). The sink calls
/// `contents` exactly once and passes it a `write` function; `contents` writes exactly `size` bytes
/// through it, in order (the builder checks the count), then returns. An error thrown by `contents`
/// or by `write` leaves the sink's output incomplete: the caller throws the whole bag away.
public protocol BagSink: AnyObject {
    func addFile(path: String, size: UInt64,
                 contents: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
}

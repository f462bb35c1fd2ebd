import CFFmpeg

/// Random access to a recording's bytes that are not a plain file, such as an exhibit in the vault's
/// chunk store: libavformat reads through it, so a short clip of a long recording reads only the
/// parts it needs (the index and the clip's range), with no copy of the whole file.
public protocol MediaSource: AnyObject {
    /// Total length in bytes.
    var size: Int64 { get }
    /// A name for error messages, e.g. the exhibit ID.
    var label: String { get }
    /// Reads up to `buffer.count` bytes at `offset` into `buffer`; returns how many (0 at the end).
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// The bridge between libavformat's I/O callbacks and a `MediaSource`: owns the `AVIOContext` and its
/// buffer. An error thrown by the source is kept, so the caller can report it rather than libav's EIO.
final class SourceIO {
    let source: MediaSource
    let context: UnsafeMutablePointer<AVIOContext>
    private(set) var position: Int64 = 0
    /// The first error the source threw, if any.
    private(set) var failure: (any Error)?

    static let bufferSize: Int32 = 1 << 16

    init(_ source: MediaSource) throws {
        self.source = source
        guard let buffer = av_malloc(Int(Self.bufferSize)) else {
            throw MediaError("av_malloc", code: custody_averror(ENOMEM), context: source.label)
        }
        // `self` is not complete yet: the opaque pointer is set right after allocation.
        guard let ctx = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), Self.bufferSize, 0, nil,
                                           sourceRead, nil, sourceSeek) else {
            av_free(buffer)
            throw MediaError("avio_alloc_context", code: custody_averror(ENOMEM), context: source.label)
        }
        context = ctx
        ctx.pointee.opaque = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        av_freep(&context.pointee.buffer)
        var ctx: UnsafeMutablePointer<AVIOContext>? = context
        avio_context_free(&ctx)
    }

    fileprivate func read(_ buf: UnsafeMutablePointer<UInt8>, _ size: Int32) -> Int32 {
        do {
            let n = try source.read(at: position, into: UnsafeMutableRawBufferPointer(start: buf, count: Int(size)))
            if n == 0 { return custody_averror_eof() }
            position += Int64(n)
            return Int32(n)
        } catch {
            if failure == nil { failure = error }
            return custody_averror(EIO)
        }
    }

    fileprivate func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        if whence & AVSEEK_SIZE != 0 { return source.size }
        let target: Int64
        switch whence & ~AVSEEK_FORCE {
        case SEEK_SET: target = offset
        case SEEK_CUR: target = position + offset
        case SEEK_END: target = source.size + offset
        default: return Int64(custody_averror(EINVAL))
        }
        guard target >= 0 else { return Int64(custody_averror(EINVAL)) }
        position = target
        return target
    }
}

private func sourceRead(_ opaque: UnsafeMutableRawPointer?, _ buf: UnsafeMutablePointer<UInt8>?,
                        _ size: Int32) -> Int32 {
    guard let opaque, let buf else { return custody_averror(EINVAL) }
    return Unmanaged<SourceIO>.fromOpaque(opaque).takeUnretainedValue().read(buf, size)
}

private func sourceSeek(_ opaque: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32) -> Int64 {
    guard let opaque else { return Int64(custody_averror(EINVAL)) }
    return Unmanaged<SourceIO>.fromOpaque(opaque).takeUnretainedValue().seek(offset, whence)
}

import CFFmpeg
import Foundation

/// The media libraries linked at run time: what probed the recordings and made the derived exhibits
/// (a court may ask which versions; `custody --version` prints them).
public enum MediaLibraries {
    /// Library name to version: FFmpeg's release and its libraries' versions, and the x264 build
    /// libavcodec loaded (from its shared object's name, as x264 exports no version function).
    public static var versions: [String: String] {
        var v = ["ffmpeg": String(cString: av_version_info()), "libavformat": dotted(avformat_version()),
                 "libavcodec": dotted(avcodec_version()), "libavutil": dotted(avutil_version()),
                 "libswscale": dotted(swscale_version()), "libswresample": dotted(swresample_version())]
        if let x264 = loadedLibrary(named: "libx264.so.") { v["x264"] = "build \(x264)" }
        return v
    }

    /// `AV_VERSION_INT` as major.minor.micro.
    static func dotted(_ version: UInt32) -> String { "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)" }

    /// The version suffix of a shared object this process has mapped (`libx264.so.164` gives `164`).
    static func loadedLibrary(named prefix: String) -> String? {
        // Read as a stream: /proc files say they are empty, so reading "the whole file" gets nothing.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"),
              let data = try? handle.readToEnd() else { return nil }
        try? handle.close()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last,
                  let file = path.split(separator: "/").last, file.hasPrefix(prefix) else { continue }
            return String(file.dropFirst(prefix.count))
        }
        return nil
    }
}

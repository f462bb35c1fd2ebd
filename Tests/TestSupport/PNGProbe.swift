import Foundation

/// Counts in an 8-bit RGB(A) PNG (as Chromium's `--screenshot` writes), decoded by a small Python
/// script with zlib, the filters undone: how many distinct colours, or how many pixels are not white.
public enum PNGProbe {
    /// Distinct colours of the PNG at `path`.
    public static func colours(_ path: String) throws -> Int { try run("colours", path) }

    /// Pixels of the PNG at `path` with a channel below 240 (ink on paper).
    public static func nonWhitePixels(_ path: String) throws -> Int { try run("nonwhite", path) }

    static func run(_ mode: String, _ path: String) throws -> Int {
        let python = which("python3") ?? "/usr/bin/python3"
        let args = [script, mode, path]
        let r = try runProcess(python, args)
        guard r.status == 0, let n = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NSError(domain: "PNGProbe: \(r.stderr)", code: Int(r.status))
        }
        return n
    }

    static let script: String = {
        let text = """
            import struct, sys, zlib
            mode, data = sys.argv[1], open(sys.argv[2], 'rb').read()
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
            raw, stride, prev, colours, ink = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set(), 0
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
                pixels = [bytes(line[i:i + 3]) for i in range(0, stride, bpp)]
                colours.update(pixels)
                ink += sum(1 for p in pixels if min(p) < 240)
                prev = line
            print(len(colours) if mode == 'colours' else ink)
            """
        let path = NSTemporaryDirectory() + "custody-png-probe-\(getpid()).py"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()
}

import CFFmpeg
import MediaModel

/// Hides rectangles of a decoded yuv420p picture in place, with integer arithmetic only so the result
/// is the same on every machine.
///
/// `black` fills video black (Y=16, U=V=128). `blur` first pixelates with blocks of a quarter of the
/// rectangle's shorter side (at least 8 pixels), so at most 4 blocks span a face and no feature
/// survives, then box-blurs with a radius of half a block, twice, so the blocks do not read as a
/// mosaic. Both act on all three planes; the chroma rectangle covers every chroma sample the luma
/// rectangle touches.
enum RegionPainter {
    static func paint(_ frame: UnsafeMutablePointer<AVFrame>, rect: RedactionSpec.Rect, style: RedactionSpec.Style) {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(width, rect.x + rect.width), y1 = min(height, rect.y + rect.height)
        guard x0 < x1, y0 < y1 else { return }
        let block = max(8, (min(x1 - x0, y1 - y0) + 3) / 4)
        for plane in 0..<3 {
            let shift = plane == 0 ? 0 : 1
            // Chroma: from the sample holding the first luma pixel to the one holding the last.
            let px0 = x0 >> shift, py0 = y0 >> shift
            let px1 = (x1 + (1 << shift) - 1) >> shift, py1 = (y1 + (1 << shift) - 1) >> shift
            let area = Area(base: custody_frame_plane(frame, Int32(plane)),
                            stride: Int(custody_frame_linesize(frame, Int32(plane))),
                            x: px0, y: py0, width: px1 - px0, height: py1 - py0)
            switch style {
            case .black: area.fill(plane == 0 ? 16 : 128)
            case .blur:
                let b = max(2, block >> shift)
                area.pixelate(block: b)
                area.boxBlur(radius: max(1, b / 2))
                area.boxBlur(radius: max(1, b / 2))
            }
        }
    }

    /// A rectangle of one 8-bit plane.
    struct Area {
        let base: UnsafeMutablePointer<UInt8>
        let stride: Int
        let x: Int, y: Int, width: Int, height: Int

        func row(_ r: Int) -> UnsafeMutablePointer<UInt8> { base + (y + r) * stride + x }

        func fill(_ value: UInt8) {
            for r in 0..<height { row(r).update(repeating: value, count: width) }
        }

        /// Replaces each block (aligned to the area's corner) by its mean.
        func pixelate(block: Int) {
            for by in Swift.stride(from: 0, to: height, by: block) {
                let bh = min(block, height - by)
                for bx in Swift.stride(from: 0, to: width, by: block) {
                    let bw = min(block, width - bx)
                    var sum = 0
                    for r in by..<by + bh {
                        let p = row(r) + bx
                        for c in 0..<bw { sum += Int(p[c]) }
                    }
                    let n = bw * bh
                    let mean = UInt8((sum + n / 2) / n)
                    for r in by..<by + bh { (row(r) + bx).update(repeating: mean, count: bw) }
                }
            }
        }

        /// A separable box blur inside the area, replicating its edge pixels: rows, then columns.
        func boxBlur(radius: Int) {
            let longest = max(width, height)
            let line = UnsafeMutablePointer<UInt8>.allocate(capacity: longest)
            let sums = UnsafeMutablePointer<Int32>.allocate(capacity: longest + 2 * radius + 1)
            defer {
                line.deallocate()
                sums.deallocate()
            }
            for r in 0..<height {
                let p = row(r)
                line.update(from: p, count: width)
                Self.blurLine(line, count: width, radius: radius, sums: sums)
                p.update(from: line, count: width)
            }
            for c in 0..<width {
                var p = base + y * stride + x + c
                for r in 0..<height {
                    line[r] = p.pointee
                    p += stride
                }
                Self.blurLine(line, count: height, radius: radius, sums: sums)
                p = base + y * stride + x + c
                for r in 0..<height {
                    p.pointee = line[r]
                    p += stride
                }
            }
        }

        /// Replaces `line[0..<count]` by its sliding mean over 2 * radius + 1 samples, edges clamped,
        /// through prefix sums (`sums` holds count + 2 * radius + 1 values).
        static func blurLine(_ line: UnsafeMutablePointer<UInt8>, count: Int, radius: Int,
                             sums: UnsafeMutablePointer<Int32>) {
            let n = Int32(2 * radius + 1)
            let first = Int32(line[0]), last = Int32(line[count - 1])
            sums[0] = 0
            var k = 0
            while k < count + 2 * radius {
                let i = k - radius
                let v = i < 0 ? first : (i >= count ? last : Int32(line[i]))
                sums[k + 1] = sums[k] + v
                k += 1
            }
            for i in 0..<count {
                line[i] = UInt8((sums[i + 2 * radius + 1] - sums[i] + n / 2) / n)
            }
        }
    }
}

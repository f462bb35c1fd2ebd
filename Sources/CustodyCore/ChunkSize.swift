/// How large the chunks of an exhibit are: recordings are cut into chunks of `standard` bytes unless
/// `custody ingest --chunk-size` says otherwise, and no chunk is ever larger than `maximum`.
public enum ChunkSize {
    public static let standard = 4 << 20
    public static let maximum = 64 << 20
}

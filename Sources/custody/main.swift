@preconcurrency import Glibc

setvbuf(stdout, nil, _IOLBF, 0)
// Swift's arguments replace bytes that are not UTF-8, so such a file name would name another file:
// the command refuses it (and an ingest records the refusal).
let notUTF8 = (1..<Int(CommandLine.argc)).first {
    CommandLine.unsafeArgv[$0].flatMap { String(validatingCString: $0) } == nil
}
exit(Commands.main(Array(CommandLine.arguments.dropFirst()), notUTF8: notUTF8))

@preconcurrency import Glibc

setvbuf(stdout, nil, _IOLBF, 0)
// Swift's arguments replace bytes that are not UTF-8, so such a file name would name another file.
for i in 1..<Int(CommandLine.argc) where CommandLine.unsafeArgv[i].flatMap({ String(validatingCString: $0) }) == nil {
    Output.error("argument \(i) is not valid UTF-8 (a file name from a card written in another encoding?): "
                 + "rename the file and try again")
    exit(2)
}
exit(Commands.main(Array(CommandLine.arguments.dropFirst())))

@preconcurrency import Glibc

setvbuf(stdout, nil, _IOLBF, 0)
exit(Commands.main(Array(CommandLine.arguments.dropFirst())))

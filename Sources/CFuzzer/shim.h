// libFuzzer's entry for a program with its own main (LLVM's FuzzerInterface.h). Defined only when
// Scripts/fuzz links libclang_rt.fuzzer_no_main; custody-fuzz calls it only when built with -DFUZZING.
#ifndef CUSTODY_CFUZZER_SHIM_H
#define CUSTODY_CFUZZER_SHIM_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif

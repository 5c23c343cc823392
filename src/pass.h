/*
 * pass.h — how a hot loop is built: three times, for the x86-64 baseline, AVX2
 * (x86-64-v3) and AVX-512 (v4), the loader picking one for the processor (configure.ac).
 * The loops are plain C, vectorized by the compiler. 8000² RGB, two slaves, the
 * Gaussian: 0.60 s of user time with the baseline, 0.38 with AVX2, 0.27 with AVX-512.
 *
 * A header of its own, the lowest floor: sample.c's loops use it and import nothing
 * above them.
 */
#ifndef BLUR_PASS_H
#define BLUR_PASS_H

/* configure asks the build's compiler; clang (the fuzzer's) has no exported clones. */
#if defined(HAVE_TARGET_CLONES) && !defined(__clang__)
#define OP_PASS	__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", \
		    "default")))
#else
#define OP_PASS
#endif

#endif

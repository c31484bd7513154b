/*
 * Which SIMD path the run-time dispatch may take (internal to csrc/).
 */
#ifndef FASTITER_CPU_H
#define FASTITER_CPU_H

/* 2 = AVX-512 (with AVX2), 1 = AVX2, 0 = scalar only: what the CPU offers, capped at 0
 * when the environment variable FASTITER_DISABLE_SIMD is true (1/true/yes/on, the
 * grammar of fastiter/_env.py; another value warns on stderr and counts as off).
 * Read once per process; every SIMD dispatch in csrc/ asks this function. */
int fi_cpu_simd_level(void);

#endif

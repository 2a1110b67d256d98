/*
 * sys.h: raw system calls for the CLONE_VM child path (the spawn*.c
 * files), and the kernel's struct sigaction.
 *
 * Between clone(2) and execve(2) the child runs in the parent's memory:
 * a libc wrapper would set the parent's errno, so each call here returns
 * a negative errno instead and touches nothing else.  Only the files
 * that hold child-path code include this header.
 */

#ifndef SUPERD_SYS_H
#define SUPERD_SYS_H

#include <sys/syscall.h>

#include <errno.h>
#include <unistd.h>

/* The child path: never instrumented, it runs beside the parent. */
#define CHILD_FN	__attribute__((no_sanitize("address", "undefined")))

/*
 * Raw system calls: a negative errno on failure, never errno itself.
 * On a CPU with none here, libc's syscall(2) stands in and every spawn
 * is a clone without CLONE_VM (SPAWN_ASYNC 0, spawn.c), so the errno it
 * sets is the child's own.
 */
#if defined(__x86_64__)
#define SPAWN_ASYNC	1
CHILD_FN static inline long
sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long	 r10 __asm__("r10") = d;
	register long	 r8 __asm__("r8") = e;
	register long	 r9 __asm__("r9") = f;
	long		 ret;

	__asm__ volatile ("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b),
	    "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define SPAWN_ASYNC	1
CHILD_FN static inline long
sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long	 x8 __asm__("x8") = n;
	register long	 x0 __asm__("x0") = a;
	register long	 x1 __asm__("x1") = b;
	register long	 x2 __asm__("x2") = c;
	register long	 x3 __asm__("x3") = d;
	register long	 x4 __asm__("x4") = e;
	register long	 x5 __asm__("x5") = f;

	__asm__ volatile ("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2),
	    "r"(x3), "r"(x4), "r"(x5) : "memory");
	return x0;
}
#else
#define SPAWN_ASYNC	0
CHILD_FN static inline long
sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long	 ret = syscall(n, a, b, c, d, e, f);

	return ret == -1 ? -errno : ret;
}
#endif
#define sys3(n, a, b, c)	sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d)	sys6((n), (long)(a), (long)(b), (long)(c), \
				    (long)(d), 0, 0)

/* The kernel's struct sigaction (not libc's). */
struct ksigaction {
	void		*ks_handler;
	unsigned long	 ks_flags;
	void		*ks_restorer;
	unsigned long	 ks_mask;
};

#endif /* SUPERD_SYS_H */

/*
 * glibc floor 2.28 for the prebuilt binaries (cmake/glibc-floor.cmake, docs/install.md). Linked with ld --wrap for
 * every name in glibc_floor.wrap, so that every reference, in our objects and in the static archives linked in
 * (libstdc++, libgcc, cudart_static), lands here:
 *   - functions glibc still exports under a version <= 2.28 jump to that version (glibc_floor_symbols.inc, generated
 *     by scripts/glibc-floor-symbols.js): pthread_*, sem_*, dl*, shm_* moved into libc in 2.34, libm's 2.29 ones;
 *   - stat, fstat, lstat, fstatat and their *64 twins (2.33; before, inline wrappers) call __xstat & co. with
 *     _STAT_VER 1, as the pre-2.33 headers did (on x86-64 struct stat and struct stat64 are the same);
 *   - __libc_single_threaded (2.32, read by libstdc++) is our own hidden byte, always 0: "maybe multi-threaded",
 *     so libstdc++ always uses its atomic paths, which is what a Node addon needs anyway.
 */
#if defined(__x86_64__) && defined(__linux__)

  .text

.macro COMPAT name, ver
  .globl __wrap_\name
  .hidden __wrap_\name
  .type __wrap_\name, @function
__wrap_\name:
  jmp __retinaface_compat_\name@PLT
  .size __wrap_\name, .-__wrap_\name
  .symver __retinaface_compat_\name, \name@\ver
.endm

#include "glibc_floor_symbols.inc"

.macro STAT_WRAPPER name
  .globl __wrap_\name
  .hidden __wrap_\name
  .type __wrap_\name, @function
__wrap_\name:
.endm

/* stat(path, buf) -> __xstat(1, path, buf) */
  STAT_WRAPPER stat
  STAT_WRAPPER stat64
  mov %rsi, %rdx
  mov %rdi, %rsi
  mov $1, %edi
  jmp __xstat@PLT
/* lstat(path, buf) -> __lxstat(1, path, buf) */
  STAT_WRAPPER lstat
  STAT_WRAPPER lstat64
  mov %rsi, %rdx
  mov %rdi, %rsi
  mov $1, %edi
  jmp __lxstat@PLT
/* fstat(fd, buf) -> __fxstat(1, fd, buf) */
  STAT_WRAPPER fstat
  STAT_WRAPPER fstat64
  mov %rsi, %rdx
  mov %edi, %esi
  mov $1, %edi
  jmp __fxstat@PLT
/* fstatat(dirfd, path, buf, flags) -> __fxstatat(1, dirfd, path, buf, flags) */
  STAT_WRAPPER fstatat
  STAT_WRAPPER fstatat64
  mov %ecx, %r8d
  mov %rdx, %rcx
  mov %rsi, %rdx
  mov %edi, %esi
  mov $1, %edi
  jmp __fxstatat@PLT

  .data
  .globl __libc_single_threaded
  .hidden __libc_single_threaded
  .type __libc_single_threaded, @object
  .size __libc_single_threaded, 1
__libc_single_threaded:
  .byte 0

#endif

  .section .note.GNU-stack, "", @progbits

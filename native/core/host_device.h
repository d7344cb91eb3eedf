// RETINAFACE_HOST_DEVICE marks the arithmetic the CPU core shares with its CUDA twins: __host__ __device__ under
// nvcc, nothing for a plain C++ compiler, so one inline definition serves both and they agree bit for bit.
// Bit-for-bit float parity also needs the CUDA library compiled with --fmad=false (see CMakeLists.txt): the CPU
// build never fuses a multiply and an add, so the GPU must not either.
#pragma once

#if defined(__CUDACC__)
#define RETINAFACE_HOST_DEVICE __host__ __device__
#else
#define RETINAFACE_HOST_DEVICE
#endif

// Device twins of the few standard-library helpers the CPU core's arithmetic goes through, written as the same
// comparisons so that NaN and signed-zero cases pick the same operand (fminf/fmaxf would not).
// Bit-for-bit float parity also needs the library to be compiled with --fmad=false (see CMakeLists.txt): the CPU
// build never fuses a multiply and an add, so the GPU must not either.
#pragma once

namespace retinaface::cuda {

// std::min(a, b): (b < a) ? b : a
__device__ __forceinline__ float stdMin(float a, float b) { return (b < a) ? b : a; }
// std::max(a, b): (a < b) ? b : a
__device__ __forceinline__ float stdMax(float a, float b) { return (a < b) ? b : a; }
// std::clamp(v, lo, hi): v < lo ? lo : (hi < v ? hi : v)
__device__ __forceinline__ float stdClamp(float v, float lo, float hi) { return (v < lo) ? lo : ((hi < v) ? hi : v); }

}  // namespace retinaface::cuda

// Internal to preprocess.cc, for tests and benchmarks: which instruction-set tier its row kernels run (the tiers
// are preprocess_portable.cc and preprocess_x86.cc). Not part of the addon's API. Every tier produces byte-identical
// output; they differ only in speed.
#pragma once

namespace retinaface::preprocess_detail {

enum class Tier {
  Portable,  // plain C++ (plus SSE2 where the compiler targets it); the only tier off x86
  Ssse3,     // pshufb-based horizontal pass, 128-bit vertical pass
  Avx2,      // the same with 256-bit vectors
};

const char* tierName(Tier tier);

// Compiled into this build and supported by this CPU.
bool tierSupported(Tier tier);

// The tier preprocessing uses now: the forced one, else the best supported one.
Tier activeTier();

// Makes every later call use `tier` (std::invalid_argument if unsupported). Process-wide: do not call while other
// threads preprocess.
void forceTier(Tier tier);

// Back to the best supported tier.
void resetTier();

}  // namespace retinaface::preprocess_detail

#include "forwarding_progress_monitor.h"

namespace retinaface::trt::layer {

void ForwardingProgressMonitor::phaseStart(const char* phase, const char* parent, int32_t steps) noexcept {
  callback_(user_, RFTRT_PHASE_START, phase ? phase : "", parent, 0, steps);
}

bool ForwardingProgressMonitor::stepComplete(const char* phase, int32_t step) noexcept {
  if (cancelled_.load()) return false;
  if (callback_(user_, RFTRT_STEP_COMPLETE, phase ? phase : "", nullptr, step, 0) == 0) cancelled_ = true;
  return !cancelled_.load();
}

void ForwardingProgressMonitor::phaseFinish(const char* phase) noexcept {
  callback_(user_, RFTRT_PHASE_FINISH, phase ? phase : "", nullptr, 0, 0);
}

}  // namespace retinaface::trt::layer

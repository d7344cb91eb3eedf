// ONNX -> strongly typed network -> builder config (workspace limit, one optimisation profile, timing cache,
// progress monitor; TF32 off for fp32 and int8) -> buildSerializedNetwork. The precision is the ONNX's: TensorRT 11
// has no kFP16/kINT8 flag and 10.x deprecates them, so the FP16 engine comes from the FP16 ONNX and the INT8 engine
// from the QDQ ONNX (explicit quantization, no calibrator) in both generations.
#pragma once
#include "tensorrt_library.h"
#include "trt/layer/layer_api.h"

namespace retinaface::trt::layer {

int32_t buildEngine(const TensorRtLibrary& library, const RfTrtBuildRequest& request, RfTrtBlob* plan,
                    RfTrtBlob* timingCache, RfTrtError* error);

void freeBlob(RfTrtBlob* blob);

}  // namespace retinaface::trt::layer

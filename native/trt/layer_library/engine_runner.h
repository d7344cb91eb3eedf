// Deserialized engines and their execution contexts behind the C ABI: describe the I/O tensors, set an input shape
// and read the output shapes it implies, bind every tensor address and enqueueV3 on the caller's stream.
#pragma once
#include "tensorrt_library.h"
#include "trt/layer/layer_api.h"

namespace retinaface::trt::layer {

int32_t loadEngine(const TensorRtLibrary& library, const void* plan, size_t size, RfTrtEngine** engine,
                   RfTrtError* error);
void destroyEngine(RfTrtEngine* engine);
int32_t tensorCount(const RfTrtEngine* engine);
int32_t describeTensor(const RfTrtEngine* engine, int32_t index, RfTrtTensorInfo* info, RfTrtError* error);
int32_t createContext(RfTrtEngine* engine, RfTrtContext** context, RfTrtError* error);
void destroyContext(RfTrtContext* context);
int32_t setInputShape(RfTrtContext* context, const char* input, const RfTrtDims* shape, int32_t count,
                      const char* const* names, RfTrtDims* shapes, RfTrtError* error);
int32_t enqueue(RfTrtContext* context, const RfTrtTensorAddress* tensors, int32_t count, void* stream,
                RfTrtError* error);

}  // namespace retinaface::trt::layer

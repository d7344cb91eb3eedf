// The TensorRT stand-in: fake libnvinfer.so.N / libnvonnxparser.so.N compiled against the real headers, so the real
// layer (native/trt/layer_library) runs through TensorRT's actual interfaces (the inline I* wrappers forwarding to
// apiv::V* implementations, the C factory symbols). Methods the layer does not call abort with their name
// (generated, trt_standin_interfaces.h). Behaviour is steered by environment variables read at call time, and every
// call and object lifetime is appended to $RETINAFACE_STANDIN_LOG, which the tests read:
//   RETINAFACE_STANDIN_LOG=<file>             one line per event: "<create|destroy|call> <what>"
//   RETINAFACE_STANDIN_VERSION=<n>            getInferLibVersion() (default: the headers' version)
//   RETINAFACE_STANDIN_PARSER_ERROR=<node>:<operator>:<text>   the parser rejects the model with that error
//   RETINAFACE_STANDIN_OUTPUT_TYPE=half       the ONNX's outputs are float16 (a "FP16 export without kept I/O")
//   RETINAFACE_STANDIN_INPUT_TYPE=half        the input is float16
//   RETINAFACE_STANDIN_QDQ=1                  the ONNX is a QDQ model: an INT8 tensor (Q -> DQ) inside the network
//   RETINAFACE_STANDIN_STATIC=WxH             a fully static ONNX: input 1x3xHxW, getProfileShape answers Dims{-1}
//   RETINAFACE_STANDIN_BUILD_STEPS=<n>        progress steps of a build (default 3), each RETINAFACE_STANDIN_STEP_MS
//   long RETINAFACE_STANDIN_RAW640=<prefix>        enqueueV3 writes <prefix>.{loc,conf,landms}.f32 (reference raw
//   outputs)
#pragma once
#include <cstdint>
#include <string>

namespace standin {

void record(const std::string& line);        // appends to $RETINAFACE_STANDIN_LOG (thread-safe, O_APPEND)
std::string env(const char* name, const char* fallback = "");
int64_t envInt(const char* name, int64_t fallback);
int32_t libraryVersion();                     // as getInferLibVersion() reports it

}  // namespace standin

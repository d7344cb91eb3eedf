/* The C ABI between the addon and a TensorRT layer library, libretinaface_trt10.so or libretinaface_trt11.so (the
 * pattern of onnxruntime's provider libraries). A layer is compiled once per TensorRT major version against that
 * version's headers, links no TensorRT library, and dlopens libnvinfer.so.N / libnvonnxparser.so.N itself when the
 * addon asks for its API table. Only C types cross the boundary: no exceptions, no STL, errors as status + text.
 * Plain C so it compiles anywhere (binding.gyp's CPU-only addon includes it for the probe). */
#ifndef RETINAFACE_TRT_LAYER_API_H
#define RETINAFACE_TRT_LAYER_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct or function below changes; a layer answers only to its own version. */
#define RFTRT_ABI_VERSION 1u
#define RFTRT_ENTRY_POINT "retinaface_trt_get_api"
#define RFTRT_MAX_DIMS 8
#define RFTRT_MESSAGE_BYTES 4096

typedef enum RfTrtStatus {
  RFTRT_OK = 0,
  RFTRT_UNAVAILABLE = 1,     /* libnvinfer / libnvonnxparser of this major missing or unusable */
  RFTRT_MODEL_INVALID = 2,   /* the ONNX does not parse, or the network cannot be built */
  RFTRT_CANCELLED = 3,       /* the progress callback stopped the build */
  RFTRT_INVALID_ARGUMENT = 4,
  RFTRT_SHAPE_MISMATCH = 5,  /* an input shape the engine rejects */
  RFTRT_FAILED = 6           /* anything else TensorRT reported */
} RfTrtStatus;

typedef struct RfTrtError {
  int32_t status;
  char message[RFTRT_MESSAGE_BYTES]; /* includes the TensorRT log's error lines of the failed call */
} RfTrtError;

/* Severity values are TensorRT's ILogger::Severity: 0 internal error, 1 error, 2 warning, 3 info, 4 verbose. */
typedef void (*RfTrtLogFn)(void* user, int32_t severity, const char* message);

typedef enum RfTrtProgressKind {
  RFTRT_PHASE_START = 0,
  RFTRT_STEP_COMPLETE = 1,
  RFTRT_PHASE_FINISH = 2
} RfTrtProgressKind;
/* Returns 0 to stop the build (only read for RFTRT_STEP_COMPLETE). parent may be NULL. */
typedef int32_t (*RfTrtProgressFn)(void* user, int32_t kind, const char* phase, const char* parent, int32_t step,
                                   int32_t steps);

typedef struct RfTrtDims {
  int32_t rank;
  int64_t d[RFTRT_MAX_DIMS]; /* -1: dynamic */
} RfTrtDims;

/* RFTRT_INT8: the ONNX is a QDQ model; its Q/DQ nodes set the INT8 layers (no kINT8 flag, no calibrator). A layer
 * refuses a value it does not know (RFTRT_INVALID_ARGUMENT), so the enum grows without an ABI bump. */
typedef enum RfTrtPrecision { RFTRT_FP32 = 0, RFTRT_FP16 = 1, RFTRT_INT8 = 2 } RfTrtPrecision;

typedef struct RfTrtProfile {
  int32_t maxBatch, optBatch; /* batch range 1..maxBatch */
  int32_t minWidth, minHeight, optWidth, optHeight, maxWidth, maxHeight;
} RfTrtProfile;

typedef struct RfTrtBuildRequest {
  const void* onnx;
  size_t onnxBytes;
  int32_t
      precision; /* RfTrtPrecision: which network to expect; all build strongly typed, fp32 and int8 with TF32 off */
  RfTrtProfile profile;
  uint64_t workspaceBytes;
  const void* timingCache; /* may be NULL */
  size_t timingCacheBytes;
  RfTrtProgressFn progress; /* may be NULL */
  void* progressUser;
} RfTrtBuildRequest;

/* Memory owned by the layer; give it back with freeBlob. */
typedef struct RfTrtBlob {
  const void* data;
  size_t size;
  void* owner;
} RfTrtBlob;

typedef enum RfTrtDataType { RFTRT_FLOAT32 = 0, RFTRT_FLOAT16 = 1, RFTRT_OTHER = 2 } RfTrtDataType;

typedef struct RfTrtTensorInfo {
  char name[256];
  int32_t isInput;
  int32_t dataType; /* RfTrtDataType */
  RfTrtDims shape;  /* as built; -1 for dynamic dimensions */
  RfTrtDims profileMin, profileOpt, profileMax; /* inputs only: optimisation profile 0 */
} RfTrtTensorInfo;

typedef struct RfTrtTensorAddress {
  const char* name;
  void* address;
} RfTrtTensorAddress;

typedef struct RfTrtEngine RfTrtEngine;
typedef struct RfTrtContext RfTrtContext;

typedef struct RfTrtApi {
  uint32_t abiVersion;         /* RFTRT_ABI_VERSION */
  int32_t compiledVersion;     /* NV_TENSORRT_VERSION of the headers, e.g. 101600 */
  int32_t libraryVersion;      /* getInferLibVersion() of the libnvinfer that was loaded */
  int32_t parserVersion;       /* getNvOnnxParserVersion() */
  const char* libraryPath;     /* the libnvinfer file that was loaded (its soname if unknown) */

  /* Routes TensorRT's ILogger (one per process and layer) to fn; NULL silences it. Thread-safe. */
  void (*setLogger)(RfTrtLogFn fn, void* user);

  /* ONNX -> network (strongly typed) -> config (workspace, profile, timing cache) -> serialized plan. The parser
   * lives until the build ends. plan and timingCache are set on success (timingCache may be empty). */
  int32_t (*buildEngine)(const RfTrtBuildRequest* request, RfTrtBlob* plan, RfTrtBlob* timingCache, RfTrtError* error);
  void (*freeBlob)(RfTrtBlob* blob);

  int32_t (*loadEngine)(const void* plan, size_t size, RfTrtEngine** engine, RfTrtError* error);
  void (*destroyEngine)(RfTrtEngine* engine);
  int32_t (*tensorCount)(const RfTrtEngine* engine);
  int32_t (*describeTensor)(const RfTrtEngine* engine, int32_t index, RfTrtTensorInfo* info, RfTrtError* error);

  int32_t (*createContext)(RfTrtEngine* engine, RfTrtContext** context, RfTrtError* error);
  void (*destroyContext)(RfTrtContext* context);
  /* Sets the input's shape; writes the resulting shape of each of the count named tensors to shapes. Enqueues
   * nothing, so a caller can check output sizes before any memory is written. */
  int32_t (*setInputShape)(RfTrtContext* context, const char* input, const RfTrtDims* shape, int32_t count,
                           const char* const* names, RfTrtDims* shapes, RfTrtError* error);
  /* setTensorAddress for each tensor, then enqueueV3(stream). stream is a cudaStream_t. */
  int32_t (*enqueue)(RfTrtContext* context, const RfTrtTensorAddress* tensors, int32_t count, void* stream,
                     RfTrtError* error);
} RfTrtApi;

/* The entry point a layer exports: its API table, or NULL with error filled (e.g. libnvinfer.so.10 not found). */
typedef const RfTrtApi* (*RfTrtGetApiFn)(uint32_t abiVersion, RfTrtError* error);

#ifdef __cplusplus
}
#endif

#endif /* RETINAFACE_TRT_LAYER_API_H */

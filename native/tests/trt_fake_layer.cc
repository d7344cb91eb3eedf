// A stand-in for libretinaface_trtN.so, built three ways for the loader and LayerRuntime tests (never installed):
//   FAKE_LAYER_WORKS        a working layer: "builds" a plan from a text ONNX, describes RetinaFace's tensors,
//                           computes output shapes and "runs" by writing outputs straight into host memory;
//   FAKE_LAYER_UNAVAILABLE  the entry point answers like a layer whose libnvinfer.so.N is missing;
//   neither                 a shared library without the entry point.
// The "ONNX" is text: "retinaface" (works), "invalid" (parser error), "priors+1" (outputs one prior too many).
#include <cstdio>
#include <cstring>
#include <string>

#include "core/priors.h"
#include "trt/layer/layer_api.h"

#if defined(FAKE_LAYER_WORKS)

namespace {

int32_t enqueueCount = 0;  // read by the tests through fake_layer_enqueue_count()

int32_t fail(RfTrtError* error, RfTrtStatus status, const char* message) {
  error->status = status;
  std::strncpy(error->message, message, sizeof(error->message) - 1);
  return status;
}

struct Blob {
  std::string bytes;
};

void setLogger(RfTrtLogFn fn, void* user) {
  if (fn) fn(user, 3, "fake layer: logger attached");
}

int32_t buildEngine(const RfTrtBuildRequest* request, RfTrtBlob* plan, RfTrtBlob* timing, RfTrtError* error) {
  const std::string onnx(static_cast<const char*>(request->onnx), request->onnxBytes);
  if (onnx == "invalid") return fail(error, RFTRT_MODEL_INVALID, "the ONNX parser rejected the model: fake error");
  if (request->progress) {
    request->progress(request->progressUser, RFTRT_PHASE_START, "Building", nullptr, 0, 3);
    for (int step = 0; step < 3; ++step) {
      if (!request->progress(request->progressUser, RFTRT_STEP_COMPLETE, "Building", nullptr, step, 0)) {
        request->progress(request->progressUser, RFTRT_PHASE_FINISH, "Building", nullptr, 0, 0);
        return fail(error, RFTRT_CANCELLED, "the engine build was cancelled");
      }
    }
    request->progress(request->progressUser, RFTRT_PHASE_FINISH, "Building", nullptr, 0, 0);
  }
  const RfTrtProfile& p = request->profile;
  auto* planBlob = new Blob{"FAKEPLAN " + onnx + " " + std::to_string(p.maxBatch) + " " + std::to_string(p.optBatch) +
                            " " + std::to_string(p.minWidth) + " " + std::to_string(p.minHeight) + " " +
                            std::to_string(p.optWidth) + " " + std::to_string(p.optHeight) + " " +
                            std::to_string(p.maxWidth) + " " + std::to_string(p.maxHeight)};
  plan->data = planBlob->bytes.data();
  plan->size = planBlob->bytes.size();
  plan->owner = planBlob;
  auto* timingBlob = new Blob{"TIMING " + std::to_string(request->timingCacheBytes)};
  timing->data = timingBlob->bytes.data();
  timing->size = timingBlob->bytes.size();
  timing->owner = timingBlob;
  return RFTRT_OK;
}

void freeBlob(RfTrtBlob* blob) {
  delete static_cast<Blob*>(blob->owner);
  blob->owner = nullptr;
}

}  // namespace

struct RfTrtEngine {
  std::string model;
  int profile[8];
};
struct RfTrtContext {
  RfTrtEngine* engine;
  int batch = 0, height = 0, width = 0;
};

namespace {

int32_t loadEngine(const void* plan, size_t size, RfTrtEngine** out, RfTrtError* error) {
  char model[64] = {0};
  auto* engine = new RfTrtEngine();
  const std::string text(static_cast<const char*>(plan), size);
  const int fields = std::sscanf(text.c_str(), "FAKEPLAN %63s %d %d %d %d %d %d %d %d", model, &engine->profile[0],
                                 &engine->profile[1], &engine->profile[2], &engine->profile[3], &engine->profile[4],
                                 &engine->profile[5], &engine->profile[6], &engine->profile[7]);
  if (fields != 9) {
    delete engine;
    return fail(error, RFTRT_FAILED, "TensorRT could not deserialize the engine (fake: not a fake plan)");
  }
  engine->model = model;
  *out = engine;
  return RFTRT_OK;
}

void destroyEngine(RfTrtEngine* engine) { delete engine; }

int32_t tensorCount(const RfTrtEngine*) { return 4; }

RfTrtDims dims(std::initializer_list<int64_t> values) {
  RfTrtDims d{};
  for (int64_t v : values) d.d[d.rank++] = v;
  return d;
}

int32_t describeTensor(const RfTrtEngine* engine, int32_t index, RfTrtTensorInfo* info, RfTrtError* error) {
  std::memset(info, 0, sizeof(*info));
  static const char* names[] = {"input0", "593", "output0", "592"};  // conf, loc, landms in an unusual order
  static const int64_t widths[] = {0, 2, 4, 10};
  if (index < 0 || index > 3) return fail(error, RFTRT_INVALID_ARGUMENT, "tensor index out of range");
  std::strncpy(info->name, names[index], sizeof(info->name) - 1);
  info->dataType = RFTRT_FLOAT32;
  if (index == 0) {
    const int* p = engine->profile;
    info->isInput = 1;
    info->shape = dims({-1, 3, -1, -1});
    info->profileMin = dims({1, 3, p[3], p[2]});
    info->profileOpt = dims({p[1], 3, p[5], p[4]});
    info->profileMax = dims({p[0], 3, p[7], p[6]});
  } else {
    info->shape = dims({-1, -1, widths[index]});
  }
  return RFTRT_OK;
}

int32_t createContext(RfTrtEngine* engine, RfTrtContext** out, RfTrtError*) {
  *out = new RfTrtContext{engine};
  return RFTRT_OK;
}

void destroyContext(RfTrtContext* context) { delete context; }

int32_t setInputShape(RfTrtContext* context, const char* input, const RfTrtDims* shape, int32_t count,
                      const char* const* names, RfTrtDims* shapes, RfTrtError* error) {
  if (std::strcmp(input, "input0") != 0) return fail(error, RFTRT_INVALID_ARGUMENT, "unknown input");
  const int* p = context->engine->profile;
  if (shape->rank != 4 || shape->d[0] < 1 || shape->d[0] > p[0] || shape->d[3] < p[2] || shape->d[3] > p[6])
    return fail(error, RFTRT_SHAPE_MISMATCH, "the engine rejects that shape for input input0");
  context->batch = static_cast<int>(shape->d[0]);
  context->height = static_cast<int>(shape->d[2]);
  context->width = static_cast<int>(shape->d[3]);
  const int priors = retinaface::priorCount(context->width, context->height) +
                     (context->engine->model == "priors+1" ? 1 : 0);
  for (int32_t i = 0; i < count; ++i) {
    const int64_t width = std::strcmp(names[i], "593") == 0 ? 2 : std::strcmp(names[i], "output0") == 0 ? 4 : 10;
    shapes[i] = dims({context->batch, priors, width});
  }
  return RFTRT_OK;
}

// Writes conf = (0.25, 0.75) for every prior and zeros elsewhere, into host memory, at once.
int32_t enqueue(RfTrtContext* context, const RfTrtTensorAddress* tensors, int32_t count, void*, RfTrtError* error) {
  const size_t priors = static_cast<size_t>(retinaface::priorCount(context->width, context->height));
  const size_t batch = static_cast<size_t>(context->batch);
  for (int32_t i = 0; i < count; ++i) {
    if (!tensors[i].address) return fail(error, RFTRT_INVALID_ARGUMENT, "TensorRT rejected a null address");
    float* out = static_cast<float*>(tensors[i].address);
    if (std::strcmp(tensors[i].name, "593") == 0) {
      for (size_t k = 0; k < batch * priors; ++k) {
        out[2 * k] = 0.25f;
        out[2 * k + 1] = 0.75f;
      }
    } else if (std::strcmp(tensors[i].name, "output0") == 0) {
      std::memset(out, 0, batch * priors * 4 * sizeof(float));
    } else if (std::strcmp(tensors[i].name, "592") == 0) {
      std::memset(out, 0, batch * priors * 10 * sizeof(float));
    }
  }
  ++enqueueCount;
  return RFTRT_OK;
}

RfTrtApi makeApi() {
  RfTrtApi api{};
  api.abiVersion = RFTRT_ABI_VERSION;
  api.compiledVersion = 101600;
  api.libraryVersion = 101601;
  api.parserVersion = 1;
  api.libraryPath = "/fake/libnvinfer.so.10";
  api.setLogger = setLogger;
  api.buildEngine = buildEngine;
  api.freeBlob = freeBlob;
  api.loadEngine = loadEngine;
  api.destroyEngine = destroyEngine;
  api.tensorCount = tensorCount;
  api.describeTensor = describeTensor;
  api.createContext = createContext;
  api.destroyContext = destroyContext;
  api.setInputShape = setInputShape;
  api.enqueue = enqueue;
  return api;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const RfTrtApi* retinaface_trt_get_api(uint32_t abi,
                                                                                         RfTrtError* error) {
  if (abi != RFTRT_ABI_VERSION) {
    fail(error, RFTRT_UNAVAILABLE, "ABI mismatch");
    return nullptr;
  }
  static const RfTrtApi api = makeApi();
  return &api;
}

// For the tests: how many times enqueue ran.
extern "C" __attribute__((visibility("default"))) int32_t fake_layer_enqueue_count() { return enqueueCount; }

#elif defined(FAKE_LAYER_UNAVAILABLE)

extern "C" __attribute__((visibility("default"))) const RfTrtApi* retinaface_trt_get_api(uint32_t, RfTrtError* error) {
  error->status = RFTRT_UNAVAILABLE;
  std::strncpy(error->message,
               "libnvinfer.so.11 could not be loaded (libnvinfer.so.11: cannot open shared object file)",
               sizeof(error->message) - 1);
  return nullptr;
}

#else

extern "C" __attribute__((visibility("default"))) int not_a_layer() { return 42; }

#endif

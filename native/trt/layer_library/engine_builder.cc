#include "engine_builder.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <memory>
#include <string>

#include "forwarding_logger.h"
#include "forwarding_progress_monitor.h"
#include "layer_errors.h"

namespace retinaface::trt::layer {

namespace {

// Strongly typed: every tensor keeps the type the ONNX gives it. TensorRT 11 builds nothing else, and deprecates
// the flag that asks for it.
nvinfer1::NetworkDefinitionCreationFlags networkFlags() {
#if NV_TENSORRT_MAJOR >= 11
  return 0;
#else
  return 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
}

nvinfer1::Dims dims4(int64_t n, int64_t c, int64_t h, int64_t w) {
  nvinfer1::Dims dims{};
  dims.nbDims = 4;
  dims.d[0] = n;
  dims.d[1] = c;
  dims.d[2] = h;
  dims.d[3] = w;
  return dims;
}

// A dimension the ONNX fixes wins over the requested range (a fixed 1x3x640x640 model keeps its shape).
int64_t pick(int64_t fixed, int64_t requested) { return fixed >= 0 ? fixed : requested; }

std::string parserErrors(const nvonnxparser::IParser& parser) {
  std::string text;
  for (int i = 0; i < parser.getNbErrors(); ++i) {
    const nvonnxparser::IParserError* e = parser.getError(i);
    if (!e) continue;
    if (!text.empty()) text += "; ";
    text += e->desc();
    if (e->nodeName() && *e->nodeName())
      text += std::string(" (node ") + e->nodeName() + ", " + e->nodeOperator() + ")";
  }
  return text.empty() ? "unknown parser error" : text;
}

bool hasTensorsOf(const nvinfer1::INetworkDefinition& network, nvinfer1::DataType type) {
  for (int32_t i = 0; i < network.getNbLayers(); ++i) {
    const nvinfer1::ILayer* layer = network.getLayer(i);
    for (int32_t j = 0; j < layer->getNbOutputs(); ++j) {
      if (layer->getOutput(j)->getType() == type) return true;
    }
  }
  return false;
}

const char* typeName(nvinfer1::DataType type) {
  switch (type) {
    case nvinfer1::DataType::kFLOAT: return "float32";
    case nvinfer1::DataType::kHALF: return "float16";
    case nvinfer1::DataType::kINT8: return "int8";
    case nvinfer1::DataType::kINT32: return "int32";
    case nvinfer1::DataType::kBOOL: return "bool";
    default: return "a type other than float32";
  }
}

// RetinaFace's I/O, checked on the parsed network so that a model the pipeline cannot run is refused before a
// (long) build, as MODEL_INVALID: the input [N,3,H,W] float32 or float16, three float32 heads [N,priors,4|2|10]. An
// FP16 export that did not keep float32 I/O types fails here, not after the build (where it used to be rebuilt on
// every open).
std::string networkProblem(const nvinfer1::INetworkDefinition& network) {
  const nvinfer1::ITensor* input = network.getInput(0);
  const nvinfer1::DataType inputType = input->getType();
  if (inputType != nvinfer1::DataType::kFLOAT && inputType != nvinfer1::DataType::kHALF)
    return std::string("the input ") + input->getName() + " is " + typeName(inputType) + "; RetinaFace's is float32";
  const nvinfer1::Dims in = input->getDimensions();
  if (in.d[1] != 3 && in.d[1] != -1) return std::string("the input ") + input->getName() + " does not have 3 channels";
  if (network.getNbOutputs() != 3)
    return "the network has " + std::to_string(network.getNbOutputs()) +
           " outputs, RetinaFace has 3 (loc, conf, landms)";
  bool seen[3] = {false, false, false};
  for (int32_t i = 0; i < 3; ++i) {
    const nvinfer1::ITensor* output = network.getOutput(i);
    const std::string name = output->getName();
    if (output->getType() != nvinfer1::DataType::kFLOAT)
      return "the output " + name + " is " + typeName(output->getType()) +
             "; RetinaFace's outputs must be float32 (export FP16 models with float32 inputs and outputs, e.g. "
             "keep_io_types)";
    const nvinfer1::Dims d = output->getDimensions();
    const int slot = d.nbDims != 3 ? -1 : d.d[2] == 4 ? 0 : d.d[2] == 2 ? 1 : d.d[2] == 10 ? 2 : -1;
    if (slot < 0 || seen[slot])
      return "the output " + name + " is not one of RetinaFace's heads [batch, priors, 4 | 2 | 10]";
    seen[slot] = true;
  }
  return "";
}

void warn(const std::string& message) {
  ForwardingLogger::instance().log(nvinfer1::ILogger::Severity::kWARNING, message.c_str());
}

int32_t progressDisabled(void*, int32_t, const char*, const char*, int32_t, int32_t) { return 1; }

}  // namespace

int32_t buildEngine(const TensorRtLibrary& library, const RfTrtBuildRequest& request, RfTrtBlob* plan,
                    RfTrtBlob* timingCache, RfTrtError* error) {
  ErrorCapture capture;
  ForwardingLogger& logger = ForwardingLogger::instance();
  if (!request.onnx || request.onnxBytes == 0) return fail(error, RFTRT_INVALID_ARGUMENT, "no ONNX bytes");
  if (request.precision != RFTRT_FP32 && request.precision != RFTRT_FP16 && request.precision != RFTRT_INT8)
    return fail(error, RFTRT_INVALID_ARGUMENT, "unknown precision " + std::to_string(request.precision));

  // Declared first, released last: the timing cache must outlive the config that uses it and the builder that made
  // that config (TensorRT's headers: destroy an object only after everything that refers to it).
  std::unique_ptr<nvinfer1::ITimingCache> cache;
  std::unique_ptr<nvinfer1::IBuilder> builder(static_cast<nvinfer1::IBuilder*>(
      library.createInferBuilder(static_cast<nvinfer1::ILogger*>(&logger), NV_TENSORRT_VERSION)));
  if (!builder) return fail(error, RFTRT_UNAVAILABLE, "TensorRT could not create a builder", &capture);
  std::unique_ptr<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(networkFlags()));
  if (!network) return fail(error, RFTRT_FAILED, "TensorRT could not create a network", &capture);
  // The parser owns weights the network refers to: it must outlive buildSerializedNetwork.
  std::unique_ptr<nvonnxparser::IParser> parser(static_cast<nvonnxparser::IParser*>(
      library.createOnnxParser(network.get(), static_cast<nvinfer1::ILogger*>(&logger), NV_ONNX_PARSER_VERSION)));
  if (!parser) return fail(error, RFTRT_UNAVAILABLE, "TensorRT could not create an ONNX parser", &capture);
  if (!parser->parse(request.onnx, request.onnxBytes))
    return fail(error, RFTRT_MODEL_INVALID, "the ONNX parser rejected the model: " + parserErrors(*parser));

  if (network->getNbInputs() != 1)
    return fail(error, RFTRT_MODEL_INVALID,
                "the network has " + std::to_string(network->getNbInputs()) + " inputs, RetinaFace has 1");
  nvinfer1::ITensor* input = network->getInput(0);
  const nvinfer1::Dims declared = input->getDimensions();
  if (declared.nbDims != 4)
    return fail(
        error, RFTRT_MODEL_INVALID,
        "the input must be [batch, 3, height, width], it has " + std::to_string(declared.nbDims) + " dimensions");
  if (const std::string problem = networkProblem(*network); !problem.empty())
    return fail(error, RFTRT_MODEL_INVALID, "the model is not a RetinaFace network this backend can run: " + problem);
  if (request.precision == RFTRT_FP16 && !hasTensorsOf(*network, nvinfer1::DataType::kHALF))
    warn("fp16 was requested but the ONNX has no float16 tensors: the engine computes in float32 (pass the FP16 ONNX)");
  // A QDQ network's QuantizeLinear layers output INT8 tensors; without them nothing would run in INT8.
  if (request.precision == RFTRT_INT8 && !hasTensorsOf(*network, nvinfer1::DataType::kINT8))
    warn(
        "int8 was requested but the ONNX has no INT8 (QuantizeLinear) tensors: the engine computes in float32 "
        "(pass the QDQ ONNX of `retinaface quantize`)");

  std::unique_ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) return fail(error, RFTRT_FAILED, "TensorRT could not create a builder config", &capture);
  if (request.workspaceBytes > 0)
    config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, request.workspaceBytes);
  // FP32 means FP32: TF32 would round convolution inputs to 10-bit mantissas. The same for int8: the QDQ model's
  // float layers are float32 on the CPU backend too. No precision flag is set: the strongly typed network's types
  // (float16 tensors, Q/DQ layers) decide, and TensorRT refuses kFP16/kINT8 on such a network anyway.
  if (request.precision == RFTRT_FP32 || request.precision == RFTRT_INT8)
    config->clearFlag(nvinfer1::BuilderFlag::kTF32);

  const RfTrtProfile& p = request.profile;
  nvinfer1::IOptimizationProfile* profile = builder->createOptimizationProfile();  // owned by the builder
  const char* name = input->getName();
  const auto shape = [&](int64_t batch, int64_t height, int64_t width) {
    return dims4(pick(declared.d[0], batch), 3, pick(declared.d[2], height), pick(declared.d[3], width));
  };
  const bool profileOk =
      profile && profile->setDimensions(name, nvinfer1::OptProfileSelector::kMIN, shape(1, p.minHeight, p.minWidth)) &&
      profile->setDimensions(name, nvinfer1::OptProfileSelector::kOPT, shape(p.optBatch, p.optHeight, p.optWidth)) &&
      profile->setDimensions(name, nvinfer1::OptProfileSelector::kMAX, shape(p.maxBatch, p.maxHeight, p.maxWidth)) &&
      config->addOptimizationProfile(profile) >= 0;
  if (!profileOk) return fail(error, RFTRT_INVALID_ARGUMENT, "TensorRT rejected the optimisation profile", &capture);

  // A timing cache from another TensorRT build or GPU is refused by TensorRT; start afresh rather than fail.
  cache.reset(config->createTimingCache(request.timingCache, request.timingCacheBytes));
  if (!cache || !config->setTimingCache(*cache, false)) {
    if (request.timingCacheBytes > 0) warn("the timing cache file was not usable; starting a new one");
    cache.reset(config->createTimingCache(nullptr, 0));
    if (cache) config->setTimingCache(*cache, false);
  }

  ForwardingProgressMonitor monitor(request.progress ? request.progress : progressDisabled, request.progressUser);
  config->setProgressMonitor(&monitor);
  std::unique_ptr<nvinfer1::IHostMemory> serialized(builder->buildSerializedNetwork(*network, *config));
  config->setProgressMonitor(nullptr);
  if (!serialized || serialized->size() == 0) {
    if (monitor.cancelled()) return fail(error, RFTRT_CANCELLED, "the engine build was cancelled");
    return fail(error, RFTRT_MODEL_INVALID, "TensorRT could not build an engine from the network", &capture);
  }

  timingCache->data = nullptr;
  timingCache->size = 0;
  timingCache->owner = nullptr;
  if (const nvinfer1::ITimingCache* updated = config->getTimingCache()) {
    if (nvinfer1::IHostMemory* bytes = updated->serialize()) {
      timingCache->data = bytes->data();
      timingCache->size = bytes->size();
      timingCache->owner = bytes;
    }
  }
  plan->data = serialized->data();
  plan->size = serialized->size();
  plan->owner = serialized.release();
  return RFTRT_OK;
}

void freeBlob(RfTrtBlob* blob) {
  if (!blob) return;
  delete static_cast<nvinfer1::IHostMemory*>(blob->owner);
  blob->owner = nullptr;
  blob->data = nullptr;
  blob->size = 0;
}

}  // namespace retinaface::trt::layer

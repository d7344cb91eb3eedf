// The fake libnvonnxparser.so.N. It does not read ONNX: it checks the bytes look like a protobuf ModelProto and
// fills the network through INetworkDefinition's public API (what the real parser does) with RetinaFace's I/O:
// input [-1,3,-1,-1] (or the static shape of RETINAFACE_STANDIN_STATIC), outputs loc/conf/landms [-1,-1,4|2|10];
// with RETINAFACE_STANDIN_QDQ=1 an INT8 tensor between them, as a QDQ model's QuantizeLinear makes.
#include <NvInferVersion.h>

#include <memory>
#include <string>
#include <vector>

#include "standin.h"
#include "trt_standin_interfaces.h"

using namespace nvinfer1;
using standin::record;

namespace {

struct ParserError : nvonnxparser::standin::GenIParserError {
  std::string text, node, op;
  nvonnxparser::ErrorCode code() const override { return nvonnxparser::ErrorCode::kUNSUPPORTED_NODE; }
  char const* desc() const override { return text.c_str(); }
  char const* nodeName() const override { return node.c_str(); }
  char const* nodeOperator() const override { return op.c_str(); }
};

Dims dims(std::vector<int64_t> values) {
  Dims d{};
  d.nbDims = static_cast<int32_t>(values.size());
  for (size_t i = 0; i < values.size(); ++i) d.d[i] = values[i];
  return d;
}

DataType typeFrom(const char* variable) {
  return standin::env(variable) == "half" ? DataType::kHALF : DataType::kFLOAT;
}

struct Parser : nvonnxparser::standin::GenIParser {
  explicit Parser(INetworkDefinition* network) : network_(network) { record("create Parser"); }
  ~Parser() override { record("destroy Parser"); }

  bool parse(void const* bytes, size_t size, const char*) noexcept override {
    record("call IParser::parse " + std::to_string(size) + " bytes");
    const std::string failure = standin::env("RETINAFACE_STANDIN_PARSER_ERROR");
    if (!failure.empty()) {  // "<node>:<operator>:<text>"
      auto error = std::make_unique<ParserError>();
      const size_t a = failure.find(':'), b = failure.find(':', a + 1);
      error->node = failure.substr(0, a);
      error->op = failure.substr(a + 1, b - a - 1);
      error->text = failure.substr(b + 1);
      errors_.push_back(std::move(error));
      return false;
    }
    // A ModelProto starts with field 1 (ir_version, varint): tag byte 0x08.
    if (size == 0 || static_cast<const unsigned char*>(bytes)[0] != 0x08) {
      auto error = std::make_unique<ParserError>();
      error->text = "Failed to parse ONNX model from protobuf (stand-in: not a ModelProto)";
      errors_.push_back(std::move(error));
      return false;
    }
    Dims input = dims({-1, 3, -1, -1});
    const std::string fixed = standin::env("RETINAFACE_STANDIN_STATIC");
    if (!fixed.empty()) input = dims({1, 3, std::stoll(fixed.substr(fixed.find('x') + 1)), std::stoll(fixed)});
    ITensor* in = network_->addInput("input", typeFrom("RETINAFACE_STANDIN_INPUT_TYPE"), input);
    if (standin::env("RETINAFACE_STANDIN_QDQ") == "1") {
      // A QDQ model: a QuantizeLinear -> DequantizeLinear pair, i.e. an INT8 tensor inside the network (modelled
      // with casts: the stand-in implements no quantize layer, and the layer only looks at tensor types).
      ITensor* quantized = network_->addCast(*in, DataType::kINT8)->getOutput(0);
      quantized->setName("input_quantized");
      in = network_->addCast(*quantized, in->getType())->getOutput(0);
      in->setName("input_dequantized");
    }
    const DataType outputType = typeFrom("RETINAFACE_STANDIN_OUTPUT_TYPE");
    for (const auto& [name, width] :
         std::vector<std::pair<const char*, int64_t>>{{"loc", 4}, {"conf", 2}, {"landms", 10}}) {
      ICastLayer* layer = network_->addCast(*in, outputType);
      ITensor* out = layer->getOutput(0);
      out->setName(name);
      out->setDimensions(dims({-1, -1, width}));  // what the real parser's shape inference gives
      network_->markOutput(*out);
    }
    return true;
  }
  int32_t getNbErrors() const noexcept override { return static_cast<int32_t>(errors_.size()); }
  nvonnxparser::IParserError const* getError(int32_t i) const noexcept override {
    return i >= 0 && i < getNbErrors() ? errors_[i].get() : nullptr;
  }

 private:
  INetworkDefinition* network_;
  std::vector<std::unique_ptr<ParserError>> errors_;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) void* createNvOnnxParser_INTERNAL(void* network, void*,
                                                                                    int version) noexcept {
  record("call createNvOnnxParser_INTERNAL version=" + std::to_string(version));
  return static_cast<nvonnxparser::IParser*>(new Parser(static_cast<INetworkDefinition*>(network)));
}

extern "C" __attribute__((visibility("default"))) int getNvOnnxParserVersion() noexcept {
  return NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;
}

// Readers for JS arguments: each throws CodedError(INVALID_ARGUMENT) naming what was wrong.
#pragma once
#include <napi.h>

#include <string>

#include "../core/coded_error.h"

namespace retinaface::napi {

inline Napi::Object objectArg(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject()) throw CodedError(codes::kInvalidArgument, what + " must be an object");
  return value.As<Napi::Object>();
}

inline int intProperty(const Napi::Object& object, const char* key, int min, int max) {
  Napi::Value value = object.Get(key);
  if (!value.IsNumber()) throw CodedError(codes::kInvalidArgument, std::string(key) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= min && number <= max) || number != static_cast<int>(number))
    throw CodedError(codes::kInvalidArgument, std::string(key) + " must be an integer in [" + std::to_string(min) +
                                                  ", " + std::to_string(max) + "]");
  return static_cast<int>(number);
}

inline double numberProperty(const Napi::Object& object, const char* key) {
  Napi::Value value = object.Get(key);
  if (!value.IsNumber()) throw CodedError(codes::kInvalidArgument, std::string(key) + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

inline bool boolProperty(const Napi::Object& object, const char* key) {
  Napi::Value value = object.Get(key);
  if (!value.IsBoolean()) throw CodedError(codes::kInvalidArgument, std::string(key) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

// Typed arrays are checked by their element type; Buffers count as Uint8Array.
inline Napi::TypedArray typedArray(const Napi::Value& value, napi_typedarray_type type, const std::string& what) {
  const bool ok = value.IsTypedArray() && (value.As<Napi::TypedArray>().TypedArrayType() == type ||
                                           (type == napi_uint8_array &&
                                            value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_clamped_array));
  if (!ok)
    throw CodedError(codes::kInvalidArgument,
                     what + (type == napi_float32_array ? " must be a Float32Array" : " must be a Uint8Array"));
  return value.As<Napi::TypedArray>();
}

// Raw pointer to a typed array's first element (its byte offset applied). Read through napi_get_typedarray_info, which
// also serves arrays on a SharedArrayBuffer (napi_get_arraybuffer_info refuses those: "Invalid argument").
template <typename T>
T* typedArrayData(const Napi::TypedArray& array) {
  void* data = nullptr;
  if (napi_get_typedarray_info(array.Env(), array, nullptr, nullptr, &data, nullptr, nullptr) != napi_ok)
    throw CodedError(codes::kInvalidArgument, "cannot read the memory of a typed array");
  return static_cast<T*>(data);
}

}  // namespace retinaface::napi

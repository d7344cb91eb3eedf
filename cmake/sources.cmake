# The source lists binding.gyp repeats: node-gyp's CPU-only addon (the install fallback, binding.gyp) is exactly
# RETINAFACE_CORE_SOURCES + RETINAFACE_ADDON_SOURCES + RETINAFACE_TRT_PROBE_SOURCES. gyp cannot read this file, so
# test/build-sources.test.ts checks that the two agree: a file added here goes into binding.gyp too.

# retinaface_core: plain C++, no Node, no CUDA headers.
set(RETINAFACE_CORE_SOURCES
  native/core/priors.cc
  native/core/prior_cache.cc
  native/core/letterbox.cc
  native/core/decode.cc
  native/core/nms.cc
  native/core/postprocess.cc
  native/core/batch_postprocess.cc
  native/core/preprocess.cc
  native/core/preprocess_rows.cc
  native/core/preprocess_portable.cc
  native/core/preprocess_x86.cc
  native/core/work_thread.cc
  native/core/arcface_template.cc
  native/core/similarity_transform.cc
  native/core/affine_warp.cc
  native/core/face_align.cc)

# The N-API shell every addon has: CPU calls, the job thread and the TensorRT probe (no CUDA, no TensorRT).
set(RETINAFACE_ADDON_SOURCES
  native/napi/addon.cc
  native/napi/preprocess_call.cc
  native/napi/job_thread.cc
  native/napi/postprocess_call.cc
  native/napi/align_call.cc
  native/napi/trt_probe.cc)

# The part of the TensorRT backend the probe needs: plain C++ and dlopen (in retinaface_trt_host).
set(RETINAFACE_TRT_PROBE_SOURCES
  native/trt/probe/availability.cc
  native/trt/layer/layer_loader.cc
  native/trt/probe/system_probe.cc)

# CPU-only fallback build, used by `node-gyp-build` when no prebuilt binary matches this platform.
# The full build (CUDA kernels, TensorRT loader) is CMakeLists.txt, driven by cmake-js.
# "sources" repeats CMake's lists in cmake/sources.cmake; test/build-sources.test.ts checks that they agree.
{
  "targets": [
    {
      "target_name": "retinaface",
      "sources": [
        "native/core/priors.cc",
        "native/core/prior_cache.cc",
        "native/core/letterbox.cc",
        "native/core/decode.cc",
        "native/core/nms.cc",
        "native/core/postprocess.cc",
        "native/core/batch_postprocess.cc",
        "native/core/preprocess.cc",
        "native/core/preprocess_rows.cc",
        "native/core/preprocess_portable.cc",
        "native/core/preprocess_x86.cc",
        "native/core/work_thread.cc",
        "native/core/arcface_template.cc",
        "native/core/similarity_transform.cc",
        "native/core/affine_warp.cc",
        "native/core/face_align.cc",
        "native/napi/addon.cc",
        "native/napi/preprocess_call.cc",
        "native/napi/job_thread.cc",
        "native/napi/postprocess_call.cc",
        "native/napi/align_call.cc",
        "native/napi/trt_probe.cc",
        "native/trt/probe/availability.cc",
        "native/trt/layer/layer_loader.cc",
        "native/trt/probe/system_probe.cc"
      ],
      "libraries": ["-ldl"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
    }
  ]
}

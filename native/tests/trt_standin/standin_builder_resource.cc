// The stand-in's libnvinfer_builder_resource.so.<version>: empty, it only has to be found (by bare name) when the
// stand-in builds, as the real one must be.
extern "C" __attribute__((visibility("default"))) int standin_builder_resource() { return 1; }

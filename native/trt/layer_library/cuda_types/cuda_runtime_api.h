/* Stand-in for the CUDA toolkit's cuda_runtime_api.h where no toolkit is installed: TensorRT's headers need only the
 * two opaque handle types below (the layer passes a stream through to enqueueV3 and never calls CUDA). Same
 * definitions as CUDA's driver_types.h, so the ABI is the toolkit's. */
#ifndef RETINAFACE_CUDA_TYPES_STANDIN_H
#define RETINAFACE_CUDA_TYPES_STANDIN_H
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;
#endif

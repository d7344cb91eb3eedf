// Whole-file reads and atomic writes for the engine and timing caches: a file appears complete or not at all, so a
// crash or a concurrent build can never leave a half-written engine that a later run would trust.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace retinaface::trt {

// nullopt when the file does not exist or cannot be read.
std::optional<std::vector<uint8_t>> readWholeFile(const std::string& path);

// Creates missing parent folders, writes a uniquely named temp file beside path, flushes it to disk and renames it
// over path (atomic on one filesystem). Throws std::runtime_error with the path and errno text; the temp file is
// removed on failure.
void writeFileAtomically(const std::string& path, const uint8_t* data, size_t size);

// mkdir -p; throws std::runtime_error.
void createDirectories(const std::string& path);

}  // namespace retinaface::trt

// Helpers of the TensorRT pipeline tests: a temporary folder that cleans up after itself, file listing, and the
// error code a piece of code throws.
#pragma once
#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "coded_error_support.h"

namespace trttest {

using codedtest::codeOf;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/retinaface-trt-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    path_ = made ? made : "/tmp";
  }
  ~TempDir() {
    std::error_code ignored;  // a leftover temporary folder is no test failure
    if (path_.rfind("/tmp/retinaface-trt-test-", 0) == 0) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<std::string> listFiles(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* entry = ::readdir(d)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  return names;
}

}  // namespace trttest

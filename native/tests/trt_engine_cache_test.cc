// The engine cache without TensorRT: key fields, the file header's checks, atomic writes, the cache folder, and
// provideEngine's decisions (hit, miss, corrupt, stale, undeserializable, unwritable, cancelled) on a fake runtime.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/coded_error.h"
#include "harness.h"
#include "trt/cache/cache_dir.h"
#include "trt/cache/engine_file.h"
#include "trt/cache/engine_key.h"
#include "trt/cache/engine_provider.h"
#include "trt/cache/file_io.h"
#include "trt_fakes.h"
#include "trt_test_support.h"

using namespace retinaface;
using namespace retinaface::trt;

namespace {

EngineCacheKey sampleKey() {
  EngineCacheKey key;
  key.onnxSha256 = "3c6ad47d54545cf17f2cff7f6d43c2cabe64f371dedfffcd590a86d7f463aa27";
  key.tensorrtVersion = "10.16.0";
  key.gpuUuid = "GPU-00000000-0000-0000-0000-000000000fa7";
  key.computeCapability = "8.9";
  key.precision = Precision::Fp16;
  key.profile = ShapeProfile::fixed({640, 640}, 8);
  key.workspaceBytes = 1ULL << 30;
  return key;
}

std::vector<uint8_t> bytes(const std::string& text) { return std::vector<uint8_t>(text.begin(), text.end()); }

void writeBytes(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

struct RecordingObserver : EngineObserver {
  std::vector<EngineEvent> events;
  bool cancel = false;
  void onEvent(const EngineEvent& event) override { events.push_back(event); }
  bool cancelled() const override { return cancel; }
  int count(EngineEvent::Kind kind) const {
    return static_cast<int>(
        std::count_if(events.begin(), events.end(), [&](const EngineEvent& e) { return e.kind == kind; }));
  }
  const EngineEvent* find(EngineEvent::Kind kind) const {
    for (const EngineEvent& e : events)
      if (e.kind == kind) return &e;
    return nullptr;
  }
};

}  // namespace

TEST(trt_cache_key_changes_with_every_field) {
  const EngineCacheKey base = sampleKey();
  CHECK_EQ(base.digest(), sampleKey().digest());  // deterministic
  std::vector<EngineCacheKey> variants(8, base);
  variants[0].onnxSha256[0] = 'f';
  variants[1].tensorrtVersion = "10.16.1";
  variants[2].gpuUuid = "GPU-11111111-0000-0000-0000-000000000fa7";
  variants[3].computeCapability = "9.0";
  variants[4].precision = Precision::Fp32;
  variants[5].profile.maxBatch = 4;
  variants[6].profile.max = {1280, 1280};
  variants[7].workspaceBytes = 1ULL << 31;
  std::map<std::string, int> seen{{base.digest(), -1}};
  for (size_t i = 0; i < variants.size(); ++i) {
    CHECK(seen.emplace(variants[i].digest(), static_cast<int>(i)).second);
    CHECK(variants[i].fileName() != base.fileName());
  }
}

TEST(trt_cache_key_file_names_are_readable_and_safe) {
  EngineCacheKey key = sampleKey();
  const std::string name = key.fileName();
  CHECK_EQ(name.rfind("retinaface-fp16-640x640-b8-sm89-", 0), 0u);
  CHECK_EQ(name.size(), std::string("retinaface-fp16-640x640-b8-sm89-").size() + 16 + std::string(".engine").size());
  key.profile = ShapeProfile{1, 1, {32, 32}, {640, 640}, {1920, 1080}};
  key.computeCapability = "12.0/x";
  CHECK_EQ(key.fileName().rfind("retinaface-fp16-32x32-1920x1080-b1-sm120_x-", 0), 0u);
  CHECK(timingCacheFileName("10.16.0", "GPU-1/2").find('/') == std::string::npos);
}

TEST(trt_engine_file_round_trip) {
  const std::string key = sampleKey().canonical();
  const std::vector<uint8_t> plan = bytes("a serialized plan \x01\x02\x03");
  const std::vector<uint8_t> file = encodeEngineFile(key, plan.data(), plan.size());
  const EngineFileCheck check = checkEngineFile(file, key);
  CHECK(check.valid);
  CHECK_EQ(check.planSize, plan.size());
  CHECK(std::equal(plan.begin(), plan.end(), file.begin() + static_cast<long>(check.planOffset)));
  // An empty plan is still a well-formed file (the provider never writes one, but the reader must not trip).
  const std::vector<uint8_t> empty = encodeEngineFile(key, nullptr, 0);
  CHECK(checkEngineFile(empty, key).valid);
}

TEST(trt_engine_file_rejects_corruption_and_foreign_files) {
  const EngineCacheKey keyObject = sampleKey();
  const std::string key = keyObject.canonical();
  const std::vector<uint8_t> plan(4096, 0x5a);
  const std::vector<uint8_t> good = encodeEngineFile(key, plan.data(), plan.size());

  std::vector<uint8_t> flipped = good;
  flipped[flipped.size() - 100] ^= 0x01;
  EngineFileCheck check = checkEngineFile(flipped, key);
  CHECK(!check.valid);
  CHECK(check.problem.find("checksum") != std::string::npos);

  std::vector<uint8_t> truncated(good.begin(), good.end() - 10);
  CHECK(checkEngineFile(truncated, key).problem.find("truncated") != std::string::npos);
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  CHECK(checkEngineFile(longer, key).problem.find("trailing") != std::string::npos);
  CHECK(checkEngineFile(std::vector<uint8_t>(good.begin(), good.begin() + 10), key).problem.find("short") !=
        std::string::npos);
  CHECK(checkEngineFile(std::vector<uint8_t>(good.begin(), good.begin() + 30), key).problem.find("truncated") !=
        std::string::npos);

  std::vector<uint8_t> badMagic = good;
  badMagic[0] = 'X';
  CHECK(checkEngineFile(badMagic, key).problem.find("magic") != std::string::npos);
  std::vector<uint8_t> future = good;
  future[8] = 2;
  CHECK(checkEngineFile(future, key).problem.find("format 2") != std::string::npos);
  // A raw TensorRT plan (what other tools write) is not trusted either.
  CHECK(!checkEngineFile(plan, key).valid);

  EngineCacheKey other = keyObject;
  other.tensorrtVersion = "10.15.1";
  const EngineFileCheck stale = checkEngineFile(good, other.canonical());
  CHECK(!stale.valid);
  CHECK(stale.problem.find("tensorrt=10.16.0 (this build needs tensorrt=10.15.1)") != std::string::npos);
}

TEST(trt_atomic_write_replaces_whole_files_and_leaves_no_temp) {
  trttest::TempDir dir;
  const std::string path = dir.path() + "/nested/deeper/file.engine";
  const std::vector<uint8_t> first = bytes("first version");
  writeFileAtomically(path, first.data(), first.size());
  CHECK(readWholeFile(path) == first);
  const std::vector<uint8_t> second(300000, 7);
  writeFileAtomically(path, second.data(), second.size());
  CHECK(readWholeFile(path) == second);
  CHECK_EQ(trttest::listFiles(dir.path() + "/nested/deeper").size(), 1u);
  CHECK(!readWholeFile(dir.path() + "/missing").has_value());
  // A file where a folder should be: a clear error, nothing written.
  writeFileAtomically(dir.path() + "/plain", first.data(), first.size());
  CHECK_THROWS(writeFileAtomically(dir.path() + "/plain/child.engine", first.data(), first.size()));
}

TEST(trt_cache_dir_follows_the_environment) {
  std::map<std::string, std::string> env;
  const EnvironmentLookup lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  env["HOME"] = "/home/user";
  CHECK_EQ(engineCacheDir(lookup), std::string("/home/user/.cache/retinaface-trt/engines"));
  env["XDG_CACHE_HOME"] = "/var/cache/me";
  CHECK_EQ(engineCacheDir(lookup), std::string("/var/cache/me/retinaface-trt/engines"));
  env["RETINAFACE_HOME"] = "/opt/rf";
  CHECK_EQ(engineCacheDir(lookup), std::string("/opt/rf/engines"));
  env["RETINAFACE_HOME"] = "";  // empty counts as unset, as in lib/models/cache-dir.ts
  CHECK_EQ(cacheRoot(lookup), std::string("/var/cache/me/retinaface-trt"));
}

TEST(trt_provider_builds_once_then_hits_the_cache) {
  trttest::TempDir dir;
  trtfake::FakeBehaviour behaviour;
  trtfake::FakeRuntime runtime(behaviour);
  const std::vector<uint8_t> onnx = bytes("onnx");
  const EngineCacheKey key = sampleKey();

  RecordingObserver first;
  ProvidedEngine built = provideEngine(runtime, key, dir.path(), onnx, &first);
  CHECK(built.engine != nullptr);
  CHECK(built.built);
  CHECK_EQ(built.rebuildReason, std::string("no cached engine"));
  CHECK_EQ(built.path, dir.path() + "/" + key.fileName());
  CHECK_EQ(runtime.builds.load(), 1);
  CHECK_EQ(first.count(EngineEvent::Kind::BuildStarted), 1);
  CHECK(first.find(EngineEvent::Kind::BuildStarted)->message.find("this can take minutes") != std::string::npos);
  CHECK_EQ(first.count(EngineEvent::Kind::PhaseStarted), 1);
  CHECK_EQ(first.count(EngineEvent::Kind::StepCompleted), 2);
  CHECK_EQ(first.count(EngineEvent::Kind::CacheWritten), 1);
  CHECK_EQ(first.find(EngineEvent::Kind::CacheWritten)->path, built.path);
  CHECK_EQ(first.count(EngineEvent::Kind::CacheRejected), 0);
  const std::vector<std::string> files = trttest::listFiles(dir.path());
  CHECK_EQ(files.size(), 2u);  // the engine and the timing cache, no temp files
  CHECK(std::find(files.begin(), files.end(), timingCacheFileName(key.tensorrtVersion, key.gpuUuid)) != files.end());

  RecordingObserver second;
  ProvidedEngine cached = provideEngine(runtime, key, dir.path(), onnx, &second);
  CHECK(cached.engine != nullptr);
  CHECK(!cached.built);
  CHECK_EQ(runtime.builds.load(), 1);
  CHECK_EQ(second.count(EngineEvent::Kind::CacheHit), 1);
  CHECK_EQ(second.count(EngineEvent::Kind::BuildStarted), 0);
  CHECK_EQ(cached.engine->description().profile.maxBatch, 8);
}

TEST(trt_provider_rebuilds_corrupt_stale_and_undeserializable_files) {
  trttest::TempDir dir;
  trtfake::FakeBehaviour behaviour;
  trtfake::FakeRuntime runtime(behaviour);
  const std::vector<uint8_t> onnx = bytes("onnx");
  const EngineCacheKey key = sampleKey();
  const std::string path = provideEngine(runtime, key, dir.path(), onnx, nullptr).path;

  // One flipped byte in the plan.
  std::vector<uint8_t> file = *readWholeFile(path);
  file.back() ^= 0x40;
  writeBytes(path, file);
  RecordingObserver corrupt;
  ProvidedEngine again = provideEngine(runtime, key, dir.path(), onnx, &corrupt);
  CHECK(again.built);
  CHECK(again.rebuildReason.find("checksum") != std::string::npos);
  CHECK_EQ(corrupt.count(EngineEvent::Kind::CacheRejected), 1);
  CHECK_EQ(runtime.builds.load(), 2);
  CHECK(checkEngineFile(*readWholeFile(path), key.canonical()).valid);  // replaced by a good one

  // The right header around a plan TensorRT refuses (e.g. written by a crashed build of another library).
  const std::vector<uint8_t> garbage = bytes("not a plan");
  writeBytes(path, encodeEngineFile(key.canonical(), garbage.data(), garbage.size()));
  ProvidedEngine refused = provideEngine(runtime, key, dir.path(), onnx, nullptr);
  CHECK(refused.built);
  CHECK(refused.rebuildReason.find("could not deserialize") != std::string::npos);
  CHECK_EQ(runtime.builds.load(), 3);

  // Another key's file copied over this one's name: never trusted.
  EngineCacheKey other = key;
  other.gpuUuid = "GPU-other";
  const std::vector<uint8_t> plan = bytes("REPLAYPLAN 8 8 640 640 640 640 640 640");
  writeBytes(path, encodeEngineFile(other.canonical(), plan.data(), plan.size()));
  ProvidedEngine foreign = provideEngine(runtime, key, dir.path(), onnx, nullptr);
  CHECK(foreign.built);
  CHECK(foreign.rebuildReason.find("gpu_uuid=GPU-other") != std::string::npos);

  // A new TensorRT version is another key, so another file; the old one is left alone.
  trtfake::FakeRuntime newer(behaviour, "10.17.0");
  EngineCacheKey newerKey = key;
  newerKey.tensorrtVersion = newer.version();
  ProvidedEngine upgraded = provideEngine(newer, newerKey, dir.path(), onnx, nullptr);
  CHECK(upgraded.built);
  CHECK(upgraded.path != path);
}

TEST(trt_provider_reuses_the_timing_cache) {
  trttest::TempDir dir;
  trtfake::FakeBehaviour behaviour;
  trtfake::FakeRuntime runtime(behaviour);
  const std::vector<uint8_t> onnx = bytes("onnx");
  EngineCacheKey key = sampleKey();
  provideEngine(runtime, key, dir.path(), onnx, nullptr);
  key.precision = Precision::Fp32;  // another engine on the same GPU and TensorRT
  provideEngine(runtime, key, dir.path(), onnx, nullptr);
  CHECK_EQ(runtime.timingCacheSizesSeen.size(), 2u);
  CHECK_EQ(runtime.timingCacheSizesSeen[0], 0u);
  CHECK(runtime.timingCacheSizesSeen[1] > 0u);
}

TEST(trt_provider_survives_an_unwritable_cache) {
  trttest::TempDir dir;
  const std::string blocker = dir.path() + "/not-a-folder";
  writeBytes(blocker, bytes("x"));
  trtfake::FakeBehaviour behaviour;
  trtfake::FakeRuntime runtime(behaviour);
  RecordingObserver observer;
  ProvidedEngine provided = provideEngine(runtime, sampleKey(), blocker + "/engines", bytes("onnx"), &observer);
  CHECK(provided.engine != nullptr);
  CHECK(provided.built);
  CHECK_EQ(observer.count(EngineEvent::Kind::CacheWriteFailed), 2);  // engine and timing cache
  CHECK_EQ(observer.count(EngineEvent::Kind::CacheWritten), 0);
}

TEST(trt_provider_reports_build_failures_and_cancellation) {
  trttest::TempDir dir;
  trtfake::FakeBehaviour behaviour;
  trtfake::FakeRuntime runtime(behaviour);
  runtime.failBuild = true;
  try {
    provideEngine(runtime, sampleKey(), dir.path(), bytes("onnx"), nullptr);
    CHECK(false);
  } catch (const CodedError& e) {
    CHECK_EQ(std::string(e.code()), std::string(codes::kModelInvalid));
  }
  runtime.failBuild = false;
  RecordingObserver observer;
  observer.cancel = true;
  try {
    provideEngine(runtime, sampleKey(), dir.path(), bytes("onnx"), &observer);
    CHECK(false);
  } catch (const CodedError& e) {
    CHECK_EQ(std::string(e.code()), std::string(codes::kDetectorClosed));
  }
  CHECK(trttest::listFiles(dir.path()).empty());  // nothing half-built left behind
}

// Face alignment: the ArcFace template per size, the similarity estimator against matrices of the reference
// (../shared/data/reference/align_photos/align.json, made by scikit-image 0.19 + NumPy on float32 landmarks; a few
// faces baked in here, all 511 in test/align.test.ts), OpenCV's inverse, and the bilinear warp.
// The full crop comparison needs decoded photos and PNGs, which this binary cannot read: test/align.test.ts compares
// them through the addon, and dumps them as raw files for align_reference_crops_from_dump below.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/affine_warp.h"
#include "core/arcface_template.h"
#include "core/face_align.h"
#include "core/similarity_transform.h"
#include "harness.h"

using namespace retinaface;

namespace {

struct ReferenceFace {
  const char* name;
  float landmarks[10];
  double matrix[6];
};

// align.json entries: the largest face, the faces whose float32 arithmetic moves the translation most (tiny faces
// far from the origin of a 1600x898 photo: plain float64 would be ~5e-4 px off), the most rotated face, a PNG.
const ReferenceFace kReferenceFaces[] = {
    {"dlib_bald_guys.jpg#0",
     {1494.51294f, 1378.35999f, 1547.66296f, 1380.151f, 1524.172f, 1411.65796f, 1495.401f, 1432.75f, 1541.63306f,
      1434.22205f},
     {0.69767912672597421, 0.03282721418945235, -1051.1199634529528, -0.03282721418945235, 0.69767912672597421,
      -860.11294396823348}},
    {"fd1mb_sample.jpg#350",
     {1139.20801f, 227.332001f, 1144.01294f, 227.279999f, 1141.50696f, 229.710007f, 1139.67297f, 231.822006f, 1143.5f,
      231.742996f},
     {8.284719562128581, 0.017522452480890908, -9405.6684145897998, -0.017522452480890908, 8.284719562128581,
      -1810.080503608872}},
    {"fd1mb_sample.jpg#385",
     {1465.53296f, 214.701996f, 1471.66602f, 214.669006f, 1469.03796f, 218.076004f, 1466.03601f, 221.207993f,
      1470.85205f, 221.354996f},
     {6.0219263976101747, 0.140935967264777, -8818.6498170772138, -0.140935967264777, 6.0219263976101747,
      -1033.9091272675732}},
    {"dlib_voc_2008_001322.jpg#1",
     {371.582001f, 192.233002f, 404.569f, 179.358994f, 389.248993f, 202.475006f, 384.692993f, 224.882004f, 417.800995f,
      213.716003f},
     {0.95140982622017312, -0.35711609857071941, -246.10077658842414, 0.35711609857071941, 0.95140982622017312,
      -261.3444353849307}},
    {"fr_32bit.png#0",
     {244.763f, 370.742004f, 374.420013f, 380.966003f, 276.983002f, 434.824005f, 243.837006f, 516.586975f, 356.994995f,
      525.127014f},
     {0.26734975680955403, 0.019794239008616068, -32.839534481312185, -0.019794239008616068, 0.26734975680955403,
      -41.317030291445676}},
};

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

// A deterministic 37x29 RGB test card with detail at every pixel.
std::vector<uint8_t> testCard(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        rgb[(static_cast<size_t>(y) * width + x) * 3 + c] = (x * x * 3 + y * 17 + x * y + c * 71) & 255;
  return rgb;
}

}  // namespace

TEST(align_template_112_is_insightface_float32) {
  float t[5][2];
  arcfaceTemplate(112, t);
  CHECK_EQ(t[0][0], 38.2946f);
  CHECK_EQ(t[4][1], 92.2041f);
  CHECK_EQ(static_cast<double>(t[2][0]), 56.02519989013672);  // float32(56.0252), as align.json lists it
}

TEST(align_template_scales_like_estimate_norm) {
  float t112[5][2], t224[5][2], t128[5][2], t256[5][2], t896[5][2], t100[5][2];
  arcfaceTemplate(112, t112);
  arcfaceTemplate(224, t224);
  arcfaceTemplate(128, t128);
  arcfaceTemplate(256, t256);
  arcfaceTemplate(896, t896);  // a multiple of both: the 112 rule comes first
  arcfaceTemplate(100, t100);  // neither: scaled as size / 112
  for (int k = 0; k < 5; ++k) {
    CHECK_EQ(t224[k][0], t112[k][0] * 2.0f);
    CHECK_EQ(t224[k][1], t112[k][1] * 2.0f);
    CHECK_EQ(t128[k][0], t112[k][0] + 8.0f);
    CHECK_EQ(t128[k][1], t112[k][1]);
    CHECK_EQ(t256[k][0], t112[k][0] * 2.0f + 16.0f);
    CHECK_EQ(t256[k][1], t112[k][1] * 2.0f);
    CHECK_EQ(t896[k][0], t112[k][0] * 8.0f);
    CHECK_EQ(t100[k][1], t112[k][1] * static_cast<float>(100 / 112.0));
  }
}

TEST(align_similarity_equals_reference_matrices_bit_for_bit) {
  float dst[5][2];
  arcfaceTemplate(112, dst);
  for (const ReferenceFace& face : kReferenceFaces) {
    AffineMatrix m;
    CHECK(estimateSimilarity(face.landmarks, &dst[0][0], 5, &m));
    for (int k = 0; k < 6; ++k) {
      if (m.m[k] != face.matrix[k]) {
        std::ostringstream os;
        os.precision(17);
        os << face.name << " element " << k << ": " << m.m[k] << " vs reference " << face.matrix[k];
        harness::fail(__FILE__, __LINE__, os.str());
      }
    }
  }
}

TEST(align_similarity_maps_template_to_itself_scaled) {
  float t112[5][2];
  arcfaceTemplate(112, t112);
  const AlignTransform same = alignTransform(&t112[0][0], 112);
  const AlignTransform doubled = alignTransform(&t112[0][0], 224);
  CHECK_NEAR(same.matrix.m[0], 1.0, 1e-6);
  CHECK_NEAR(same.matrix.m[1], 0.0, 1e-6);
  CHECK_NEAR(same.matrix.m[2], 0.0, 1e-4);
  CHECK_NEAR(doubled.matrix.m[0], 2.0, 1e-6);
  CHECK_NEAR(doubled.matrix.m[5], 0.0, 1e-4);
  // A rotated, scaled, shifted copy of the template is recovered.
  const double angle = 0.3, scale = 1.7, tx = 210.5, ty = -33.25;
  float moved[10];
  for (int k = 0; k < 5; ++k) {
    const double x = t112[k][0], y = t112[k][1];
    moved[2 * k] = static_cast<float>(scale * (std::cos(angle) * x - std::sin(angle) * y) + tx);
    moved[2 * k + 1] = static_cast<float>(scale * (std::sin(angle) * x + std::cos(angle) * y) + ty);
  }
  const AlignTransform back = alignTransform(moved, 112);  // moved -> template: the inverse similarity
  CHECK_NEAR(back.inverse.m[0], scale * std::cos(angle), 1e-5);
  CHECK_NEAR(back.inverse.m[3], scale * std::sin(angle), 1e-5);
  CHECK_NEAR(back.inverse.m[2], tx, 1e-3);
  CHECK_NEAR(back.inverse.m[5], ty, 1e-3);
}

TEST(align_rejects_degenerate_landmarks_and_sizes) {
  float same[10];
  for (int k = 0; k < 5; ++k) {
    same[2 * k] = 100.0f;
    same[2 * k + 1] = 50.0f;
  }
  CHECK_THROWS(alignTransform(same, 112));
  float t[5][2];
  arcfaceTemplate(112, t);
  float withNan[10];
  std::memcpy(withNan, t, sizeof(withNan));
  withNan[3] = std::nanf("");
  CHECK_THROWS(alignTransform(withNan, 112));
  float withInf[10];
  std::memcpy(withInf, t, sizeof(withInf));
  withInf[8] = INFINITY;
  CHECK_THROWS(alignTransform(withInf, 112));
  CHECK_THROWS(alignTransform(&t[0][0], 15));
  CHECK_THROWS(alignTransform(&t[0][0], 1025));
  // Collinear landmarks still have a least-squares similarity (skimage's rank-1 branch): accepted.
  float line[10] = {0, 0, 10, 0, 20, 0, 30, 0, 40, 0};
  const AlignTransform fit = alignTransform(line, 112);
  CHECK(fit.matrix.m[0] * fit.matrix.m[4] - fit.matrix.m[1] * fit.matrix.m[3] > 0);
}

TEST(align_inverse_is_opencv_inverse) {
  const AffineMatrix m{{0.69767912672597421, 0.03282721418945235, -1051.1199634529528, -0.03282721418945235,
                        0.69767912672597421, -860.11294396823348}};
  const AffineMatrix inv = invertAffine(m);
  // inverse after forward is the identity.
  const double x = 1500.25, y = 1400.75;
  const double cx = m.m[0] * x + m.m[1] * y + m.m[2], cy = m.m[3] * x + m.m[4] * y + m.m[5];
  CHECK_NEAR(inv.m[0] * cx + inv.m[1] * cy + inv.m[2], x, 1e-9);
  CHECK_NEAR(inv.m[3] * cx + inv.m[4] * cy + inv.m[5], y, 1e-9);
  const AffineMatrix singular = invertAffine(AffineMatrix{{1, 2, 3, 2, 4, 6}});
  for (double v : singular.m) CHECK_EQ(v, 0.0);
}

TEST(align_warp_identity_copies_and_half_pixel_averages) {
  const int w = 9, h = 7;
  const std::vector<uint8_t> card = testCard(w, h);
  const PixelView view{card.data(), w, h, 3, w * 3};
  std::vector<uint8_t> out(card.size());
  warpAffineRgb(view, AffineMatrix{{1, 0, 0, 0, 1, 0}}, w, h, out.data());
  CHECK(out == card);
  // Half a pixel to the left: OpenCV's 15-bit weights give floor((a + b + 1) / 2); the last column meets the border.
  warpAffineRgb(view, invertAffine(AffineMatrix{{1, 0, -0.5, 0, 1, 0}}), w, h, out.data());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const int a = card[(y * w + x) * 3 + c], b = x + 1 < w ? card[(y * w + x + 1) * 3 + c] : 0;
        CHECK_EQ(static_cast<int>(out[(y * w + x) * 3 + c]), (a + b + 1) / 2);
      }
}

// Expected values from an independent NumPy implementation of OpenCV's warpAffine that reproduces all 511
// reference crops of align_photos exactly (rotation + scale, a border on two sides, a non-square output).
TEST(align_warp_matches_opencv_arithmetic_on_a_test_card) {
  const int w = 37, h = 29;
  const std::vector<uint8_t> card = testCard(w, h);
  const PixelView view{card.data(), w, h, 3, w * 3};
  const AffineMatrix m{{0.8137, -0.4211, 9.25, 0.4211, 0.8137, -3.5}};
  std::vector<uint8_t> out(24 * 20 * 3);
  warpAffineRgb(view, invertAffine(m), 24, 20, out.data());
  CHECK_EQ(fnv1a(out), 0xc37e704a45f4f35dull);
  auto at = [&](int y, int x, int c) { return static_cast<int>(out[(y * 24 + x) * 3 + c]); };
  CHECK_EQ(at(5, 7, 0), 192);
  CHECK_EQ(at(5, 7, 2), 78);
  CHECK_EQ(at(10, 12, 1), 137);
  CHECK_EQ(at(19, 23, 0), 145);
  CHECK_EQ(at(15, 3, 2), 87);
  CHECK_EQ(at(0, 0, 0), 0);  // border
}

TEST(align_warp_gray_and_rgba_sources_match_rgb) {
  const int w = 23, h = 19;
  std::vector<uint8_t> rgb(w * h * 3), rgba(w * h * 4), gray(w * h), grayRgb(w * h * 3);
  const std::vector<uint8_t> card = testCard(w, h);
  for (int i = 0; i < w * h; ++i) {
    for (int c = 0; c < 3; ++c) rgba[i * 4 + c] = card[i * 3 + c];
    rgba[i * 4 + 3] = static_cast<uint8_t>(i * 37);
    gray[i] = card[i * 3 + 1];
    for (int c = 0; c < 3; ++c) grayRgb[i * 3 + c] = gray[i];
  }
  const AffineMatrix inv = invertAffine(AffineMatrix{{1.3, 0.2, -2.0, -0.2, 1.3, 1.5}});
  std::vector<uint8_t> a(16 * 16 * 3), b(a.size());
  warpAffineRgb(PixelView{card.data(), w, h, 3, w * 3}, inv, 16, 16, a.data());
  warpAffineRgb(PixelView{rgba.data(), w, h, 4, w * 4}, inv, 16, 16, b.data());
  CHECK(a == b);
  warpAffineRgb(PixelView{grayRgb.data(), w, h, 3, w * 3}, inv, 16, 16, a.data());
  warpAffineRgb(PixelView{gray.data(), w, h, 1, w}, inv, 16, 16, b.data());
  CHECK(a == b);
  CHECK_THROWS(warpAffineRgb(PixelView{gray.data(), w, h, 2, w * 2}, inv, 16, 16, b.data()));
}

TEST(align_warp_far_outside_is_border_without_overflow) {
  const std::vector<uint8_t> card = testCard(8, 8);
  std::vector<uint8_t> out(16 * 16 * 3, 7);
  warpAffineRgb(PixelView{card.data(), 8, 8, 3, 24}, AffineMatrix{{1e6, 0, 1e12, 0, -1e6, -1e12}}, 16, 16, out.data());
  for (uint8_t v : out) CHECK_EQ(static_cast<int>(v), 0);
}

// All 511 reference faces, when test/align.test.ts has dumped the decoded photos and reference crops as raw files
// (RETINAFACE_ALIGN_DUMP: manifest.txt, one face a line: image file, width, height, channels, crop file, 10
// landmark numbers, the 6 reference matrix elements). Skipped when run on its own.
TEST(align_reference_crops_from_dump) {
  const char* dir = std::getenv("RETINAFACE_ALIGN_DUMP");
  if (dir == nullptr || *dir == '\0') throw harness::Skip{"RETINAFACE_ALIGN_DUMP not set (test/align.test.ts sets it)"};
  auto readFile = [&](const std::string& name) {
    std::ifstream in(std::string(dir) + "/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + name);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  std::ifstream manifest(std::string(dir) + "/manifest.txt");
  CHECK(manifest.good());
  std::map<std::string, std::vector<uint8_t>> images;
  int faces = 0, identical = 0;
  double worstMatrix = 0, worstMean = 0;
  int worstP99 = 0;
  std::string line;
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    std::string imageFile, cropFile;
    int width = 0, height = 0, channels = 0;
    double landmarks[10], reference[6];
    fields >> imageFile >> width >> height >> channels >> cropFile;
    for (double& v : landmarks) fields >> v;
    for (double& v : reference) fields >> v;
    if (!fields) continue;
    if (!images.count(imageFile)) images[imageFile] = readFile(imageFile);
    const std::vector<uint8_t>& pixels = images[imageFile];
    const std::vector<uint8_t> expected = readFile(cropFile);
    CHECK_EQ(pixels.size(), static_cast<size_t>(width) * height * channels);
    CHECK_EQ(expected.size(), static_cast<size_t>(112 * 112 * 3));
    float points[10];
    for (int k = 0; k < 10; ++k) points[k] = static_cast<float>(landmarks[k]);
    const AlignTransform transform = alignTransform(points, 112);
    for (int k = 0; k < 6; ++k) worstMatrix = std::max(worstMatrix, std::fabs(transform.matrix.m[k] - reference[k]));
    std::vector<uint8_t> crop(112 * 112 * 3);
    alignedCrop(PixelView{pixels.data(), width, height, channels, width * channels}, transform, 112, crop.data());
    int histogram[256] = {0};
    double sum = 0;
    for (size_t k = 0; k < crop.size() && k < expected.size(); ++k) {
      const int d = std::abs(crop[k] - expected[k]);
      ++histogram[d];
      sum += d;
    }
    int p99 = 0;
    for (long seen = 0; p99 < 255 && seen + histogram[p99] < 0.99 * crop.size(); ++p99) seen += histogram[p99];
    worstMean = std::max(worstMean, sum / crop.size());
    worstP99 = std::max(worstP99, p99);
    identical += histogram[0] == static_cast<int>(crop.size());
    ++faces;
  }
  std::printf("    %d faces: %d crops identical; worst matrix element diff %g, worst mean diff %g, worst p99 %d\n",
              faces, identical, worstMatrix, worstMean, worstP99);
  CHECK_EQ(faces, 511);
  CHECK(worstMatrix <= 1e-4);
  CHECK(worstMean <= 0.5);
  CHECK(worstP99 <= 2);
}

// Letterbox geometry: how an original image is scaled and placed (top-left) in the network input, and the way back.
#pragma once

namespace retinaface {

struct Letterbox {
  int sourceWidth = 0, sourceHeight = 0;    // original image
  int inputWidth = 0, inputHeight = 0;      // network input (canvas)
  int resizedWidth = 0, resizedHeight = 0;  // image inside the canvas, placed at (0, 0)
  double scale = 1.0;                       // resized / source; coordinates map back by dividing by it
};

// Scale the long side (relative to the canvas) to fit: s = min(inW / W, inH / H); the resized size is rounded
// half-to-even, as Python's round() does in the reference letterbox.
Letterbox computeLetterbox(int sourceWidth, int sourceHeight, int inputWidth, int inputHeight);

// Identity geometry for original-scale inference: the canvas is the image itself.
Letterbox identityLetterbox(int width, int height);

}  // namespace retinaface

#include "harness.h"

// Usage: retinaface_core_tests [substring]  (runs the cases whose name contains it)
int main(int argc, char** argv) { return harness::runAll(argc, argv); }

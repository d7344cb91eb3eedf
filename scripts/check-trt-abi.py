#!/usr/bin/env python3
"""Checks that a layer built against older TensorRT headers can call a newer library of the same major.

The public I* classes are inline wrappers calling apiv::V* virtual methods (NvInferImpl.h), so a layer compiled
against 10.0 calls vtable slots laid out by 10.0's headers. That is safe on 10.x only if every V* interface of the
old headers is a prefix (same methods, same order) of the new one's. Uses the stand-in generator's parser.

usage: check-trt-abi.py <old NvInferImpl.h> <new NvInferImpl.h>   (exit 1 and the differences when not)
"""
import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location("gen", os.path.join(os.path.dirname(__file__), "gen-trt-standin.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def interfaces(path):
    text = gen.strip_comments(open(path).read())
    return {name: [method for _, method in gen.pure_virtuals(body)]
            for name, body in gen.class_bodies(text, r"class\s+(V\w+)\s*:\s*public\s+VRoot\b")}


def main():
    old, new = interfaces(sys.argv[1]), interfaces(sys.argv[2])
    problems = []
    for name, methods in old.items():
        if name not in new:
            problems.append(f"{name} is gone")
        elif new[name][: len(methods)] != methods:
            slot = next((i for i, (a, b) in enumerate(zip(methods, new[name])) if a != b), len(new[name]))
            problems.append(f"{name}: slot {slot} is {methods[slot]} in the old headers, "
                            f"{new[name][slot] if slot < len(new[name]) else 'missing'} in the new")
    for problem in problems:
        print("check-trt-abi: " + problem)
    print(f"check-trt-abi: {len(old)} interfaces of the old headers, {len(problems)} not a prefix of the new ones")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

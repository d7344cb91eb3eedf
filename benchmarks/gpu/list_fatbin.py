#!/usr/bin/env python3
"""Lists the CUDA images embedded in an ELF file (shared library, executable or object), like
`cuobjdump --list-elf --list-ptx`, for machines without a cuobjdump that reads CUDA 13 fatbins.

Reads the .nv_fatbin section: a sequence of fatbins (one per CUDA translation unit), each a 16-byte header
(magic 0xBA55ED50, version, header size, payload size) followed by entries whose header starts with
kind (1 = PTX, 2 = ELF), version, header size, payload size, and holds the target architecture at byte 28.
Usage: list_fatbin.py FILE
"""
import os
import struct
import subprocess
import sys
import tempfile

MAGIC = 0xBA55ED50


def fatbin_section(path):
    out = subprocess.check_output(['readelf', '-S', '-W', path], text=True)
    for line in out.splitlines():
        if ' .nv_fatbin ' in line + ' ':
            fields = line.split(']', 1)[1].split()
            return int(fields[3], 16), int(fields[4], 16)
    return None


def kernel_names(elf_bytes):
    """Demangled names of the kernels (FUNC symbols) an embedded ELF defines; empty if readelf cannot read it."""
    with tempfile.NamedTemporaryFile(suffix='.cubin', delete=False) as f:
        f.write(elf_bytes)
    try:
        out = subprocess.run(['readelf', '-s', '-W', f.name], capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    # '$__internal_...' symbols are the compiler's math subroutines, not kernels.
    names = sorted({line.split()[-1] for line in out.splitlines()
                    if ' FUNC ' in line and not line.split()[-1].startswith('$')})
    if not names:
        return []
    demangled = subprocess.run(['c++filt'], input='\n'.join(names), capture_output=True, text=True).stdout
    # Template arguments make CUB's names very long: keep the start.
    return [n if len(n) <= 110 else n[:107] + '...' for n in demangled.splitlines()]


def main(path):
    section = fatbin_section(path)
    if section is None:
        print(f'{path}: no .nv_fatbin section (no CUDA code linked in)')
        return 1
    data = open(path, 'rb').read()
    offset, size = section
    pos, end, unit, elf_count, ptx_count = offset, offset + size, 0, 0, 0
    arch_listed = {}  # fatbin -> kernel names, printed under its first ELF
    while pos + 16 <= end:
        magic, _, header, payload = struct.unpack_from('<IHHQ', data, pos)
        if magic != MAGIC:
            pos += 8  # fatbins are 8-byte aligned
            continue
        unit += 1
        entry, stop = pos + header, pos + header + payload
        while entry < stop:
            kind, _, entry_header, entry_payload = struct.unpack_from('<HHIQ', data, entry)
            arch = struct.unpack_from('<I', data, entry + 28)[0]
            if kind == 2:
                elf_count += 1
                print(f'ELF file {elf_count:4d}: fatbin {unit} sm_{arch} ({entry_payload} bytes)')
                if arch_listed.get(unit) is None:
                    body = data[entry + entry_header:entry + entry_header + entry_payload]
                    arch_listed[unit] = kernel_names(body)
                    for name in arch_listed[unit]:
                        print(f'               kernel {name}')
            elif kind == 1:
                ptx_count += 1
                print(f'PTX file {ptx_count:4d}: fatbin {unit} compute_{arch} ({entry_payload} bytes, compressed)')
            entry += entry_header + entry_payload
        pos = stop
    print(f'{unit} fatbins, {elf_count} ELF images, {ptx_count} PTX images')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))

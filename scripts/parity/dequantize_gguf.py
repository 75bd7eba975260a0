"""Writes a float32 copy of a GGUF file: every tensor dequantized, all metadata kept.

This is the control experiment of the parity check (docs/parity.md). transformers loads a
quantized GGUF by dequantizing every tensor to float32 with the `gguf` package, the same
function used here, so this file holds exactly the weights lm-eval's HF backend computes with.
Running yardstick (llama.cpp) on it removes the one difference that quantized kernels make
(llama.cpp multiplies Q4_K/Q6_K weights with activations rounded to 8 bits) and leaves only
implementation differences (operation order, attention kernels, tokenizer).

Usage (with the parity venv's python):
    python scripts/parity/dequantize_gguf.py IN.gguf OUT-f32.gguf
"""

import sys
from pathlib import Path

import numpy as np
import gguf
from gguf.quants import dequantize


def main():
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    reader = gguf.GGUFReader(source)
    architecture = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(target, architecture)
    for field in reader.fields.values():
        # GGUF.* are the reader's virtual fields; the architecture is written by GGUFWriter.
        if field.name.startswith("GGUF.") or field.name == gguf.Keys.General.ARCHITECTURE:
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        value = field.contents()
        if field.name == gguf.Keys.General.FILE_TYPE:
            value = int(gguf.LlamaFileType.ALL_F32)
        writer.add_key_value(field.name, value, value_type, sub_type=sub_type)
    counts = {}
    for tensor in reader.tensors:
        data = dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
        expected = tuple(int(d) for d in reversed(tensor.shape))
        if data.shape != expected:
            raise SystemExit(f"{tensor.name}: dequantized shape {data.shape}, header says {expected}")
        writer.add_tensor(tensor.name, data, raw_dtype=gguf.GGMLQuantizationType.F32)
        counts[tensor.tensor_type.name] = counts.get(tensor.tensor_type.name, 0) + 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
    print(f"{target}: {len(reader.tensors)} tensors to F32 (were {counts}), {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()

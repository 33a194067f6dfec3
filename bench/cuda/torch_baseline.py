"""PyTorch baselines for bench/cuda.ts (run on the GPU machine).

Exports torchvision MobileNetV2 / MobileNetV3-small with seeded weights to ONNX (batch 1, 3x224x224) for edgec, and
times them in PyTorch eager (cuDNN, fp16) and torch.compile (fp16), batch 1; optionally times given ONNX files with
onnxruntime's CUDA execution provider when a GPU build is installed. Prints one JSON object on stdout.

usage: python torch_baseline.py OUT_DIR [--repeat N] [--onnx name=file.onnx:input=1x3x48x320 ...]
"""
import argparse
import json
import os
import statistics
import sys
import time


def cuda_median_ms(fn, repeat):
    import torch
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--onnx", action="append", default=[], help="name=file.onnx:input=DxDxD, timed with onnxruntime-gpu")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    import torch
    import torchvision

    torch.backends.cudnn.benchmark = True
    result = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "models": {}, "onnxruntime": {}}
    for name, ctor in [("mobilenet_v2", torchvision.models.mobilenet_v2), ("mobilenet_v3_small", torchvision.models.mobilenet_v3_small)]:
        torch.manual_seed(0)
        model = ctor(weights=None).eval()
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
        onnx_file = os.path.join(args.out_dir, f"{name}.onnx")
        torch.onnx.export(model, x, onnx_file, input_names=["x"], output_names=["y"], opset_version=17, dynamo=False)
        m16 = model.half().cuda()
        x16 = x.half().cuda()
        with torch.inference_mode():
            eager = cuda_median_ms(lambda: m16(x16), args.repeat)
            try:
                compiled = torch.compile(m16)
                compiled_ms = cuda_median_ms(lambda: compiled(x16), args.repeat)
            except Exception as e:  # torch.compile needs a working Triton; report why it is missing
                compiled_ms = None
                print(f"torch.compile unavailable: {e}", file=sys.stderr)
        result["models"][name] = {"onnx": onnx_file, "input": "x", "shape": [1, 3, 224, 224], "eager_fp16_ms": eager, "compile_fp16_ms": compiled_ms}
    try:
        import numpy as np
        import onnxruntime as ort
        if "CUDAExecutionProvider" in ort.get_available_providers():
            for spec in args.onnx:
                name, rest = spec.split("=", 1)
                file, inp = rest.split(":", 1)
                iname, dims = inp.split("=")
                sess = ort.InferenceSession(file, providers=["CUDAExecutionProvider"])
                feed = {iname: np.random.default_rng(1).standard_normal([int(d) for d in dims.split("x")]).astype(np.float32)}
                for _ in range(10):
                    sess.run(None, feed)
                ts = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    sess.run(None, feed)
                    ts.append((time.perf_counter() - t0) * 1e3)
                result["onnxruntime"][name] = statistics.median(ts)
    except ImportError:
        pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""What a UNet call costs by rows in Debian's torch: the Python side of dev.diffusion.bench.UnetBatchCost, for
comparing the two engines on the same TorchScript file. Times the calling thread's CPU with one intra-op thread (by
default), which other load on a shared machine barely touches; prints the median of --repeats (7) calls per row count
after one untimed.

    /usr/bin/python3 scripts/unet_cost.py [--model src/main/models/shapes] [--rows 1 2 4 8 16] [--graph-optimizer]
        [--freeze] [--threads 1] [--size PX] [--repeats 7]

--freeze runs torch.jit.freeze on the loaded module first (what an export could do); --threads above 1 times wall
clock instead, since the other threads' CPU would not be counted.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("GOMP_SPINCOUNT", "10000")  # before torch loads libgomp; see pytorch_loop.py

import argparse
import json
import statistics
import time

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="src/main/models/shapes")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--graph-optimizer", action="store_true", help="TorchScript's profiling executor on")
    parser.add_argument("--freeze", action="store_true", help="torch.jit.freeze the module first")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per row count")
    parser.add_argument("--size", type=int, help="image size in px (default: the model's own)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = time.thread_time if args.threads == 1 else time.perf_counter
    with open(os.path.join(args.model, "model_index.json")) as f:
        index = json.load(f)
    unet = torch.jit.load(os.path.join(args.model, "unet", "model.pt")).eval()
    if args.freeze:
        unet = torch.jit.freeze(unet)
    side = (args.size or index["sample_size"]) // index["vae_scale_factor"]
    generator = torch.Generator().manual_seed(1)

    def call(rows):
        inputs = (torch.randn(rows, index["latent_channels"], side, side, generator=generator),
                  torch.full((rows,), 500.0),
                  torch.randn(rows, index["max_text_length"], index["text_hidden_size"], generator=generator))
        start = clock()
        unet(*inputs)
        return (clock() - start) * 1000

    print(f"torch {torch.__version__}, {args.threads} thread(s), graph optimizer "
          f"{'on' if args.graph_optimizer else 'off'}, {'frozen' if args.freeze else 'not frozen'}; "
          f"{'CPU ms of the calling thread' if args.threads == 1 else 'wall ms'}")
    print("| rows | first call | median later call | median per row |")
    print("| --- | --- | --- | --- |")
    with torch.no_grad(), torch.jit.optimized_execution(args.graph_optimizer):
        call(1)  # library start-up, not a shape's cost
        for rows in args.rows:
            first = call(rows)
            median = statistics.median(call(rows) for _ in range(args.repeats))
            print(f"| {rows} | {first:.1f} | {median:.1f} | {median / rows:.2f} |")


if __name__ == "__main__":
    main()

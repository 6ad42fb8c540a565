"""gpu_peer.py — the GPU peers rvcidx's GPU k-means is measured against, in
PyTorch on the same GPU (run by the GPU kit's run.sh on the device):

  gemm:   the GPU's measured fp32 matrix-product rate (TF32 off: faiss's
          k-means uses plain fp32 cuBLAS), on the shapes one k-means
          iteration multiplies: (batch x D) by (D x nlist);
  kmeans: the k-means a user would write: per batch one fp32 matmul for the
          distances, argmin, then the centroid update (index_add_), the
          same N, nlist, D and iterations.

Data: seeded normal rows (the rate does not depend on the values).
Prints one JSON line. Usage: gpu_peer.py N NLIST D ITERATIONS
"""
import json
import sys
import time

import torch


def sync_time(fn, repeat):
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeat


def main():
    n, nlist, d, iters = (int(a) for a in sys.argv[1:5])
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(1234)
    x = torch.randn(n, d, device=dev, generator=g)
    c = x[torch.randperm(n, device=dev, generator=g)[:nlist]].clone()
    batch = 65536

    # GEMM rate: the distance products of one iteration, nothing else
    def products():
        for s in range(0, n, batch):
            torch.mm(x[s:s + batch], c.t())
    products()  # warm-up
    gemm_s = sync_time(products, 3)
    flops = 2.0 * n * nlist * d

    def iteration():
        nonlocal c
        c_norm = (c * c).sum(1)
        assign = torch.empty(n, dtype=torch.long, device=dev)
        for s in range(0, n, batch):
            xb = x[s:s + batch]
            dist = c_norm[None, :] - 2.0 * torch.mm(xb, c.t())  # ||x||^2 is constant per row
            assign[s:s + batch] = dist.argmin(1)
        sums = torch.zeros_like(c).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=nlist).clamp(min=1).to(x.dtype)
        c = sums / counts[:, None]
    iteration()  # warm-up
    kmeans_s = sync_time(iteration, iters)
    print(json.dumps({
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "n": n, "nlist": nlist, "d": d,
        "gemm_s_per_iteration": gemm_s, "gemm_tflops": flops / gemm_s / 1e12,
        "torch_kmeans_s_per_iteration": kmeans_s, "torch_kmeans_tflops": flops / kmeans_s / 1e12,
    }))


if __name__ == "__main__":
    main()

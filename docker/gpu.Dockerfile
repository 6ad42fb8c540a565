# rvcidx with the GPU backend: the same two stages as docker/cpu.Dockerfile,
# with NVIDIA's CUDA 13 repository for debian12 added (a Debian base, so
# scripts/build-faiss.sh finds Debian's faiss 1.7.3-2 source package as it
# does on the host). The builder has the CUDA toolkit; the runtime stage
# only the CUDA runtime and cuBLAS that faiss's GPU code loads.
# NOT BUILT HERE: NVIDIA's repository is not reachable from the machines
# this project is developed and tested on. It is kept step for step with
# docker/cpu.Dockerfile, which tests/docker/run.sh builds and runs.
#
#   docker build --network host -f docker/gpu.Dockerfile --build-arg CUDA_ARCH=90 -t rvcidx:gpu .
#   docker run --rm --gpus all rvcidx:gpu --version
#   apptainer build rvcidx-gpu.sif docker-daemon://rvcidx:gpu   # then apptainer exec --nv ...
ARG CUDA_REPO=https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64

FROM debian:bookworm AS cuda-base
ARG CUDA_REPO
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && curl -fsSLo /tmp/cuda-keyring.deb "${CUDA_REPO}/cuda-keyring_1.1-1_all.deb" \
 && dpkg -i /tmp/cuda-keyring.deb && rm /tmp/cuda-keyring.deb \
 && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

FROM cuda-base AS builder
LABEL org.opencontainers.image.title=rvcidx
ARG CUDA_ARCH=90
ARG CUDA_PACKAGE=cuda-toolkit-13-0
ENV RVCIDX_CACHE_DIR=/opt/rvcidx-cache PATH=/usr/local/cuda/bin:$PATH
WORKDIR /src/rvcidx
COPY scripts/install-deps.sh scripts/build-faiss.sh scripts/
COPY patches/ patches/
RUN apt-get update && apt-get install -y --no-install-recommends ${CUDA_PACKAGE} \
 && scripts/install-deps.sh build \
 && scripts/build-faiss.sh --simd avx2 --gpu --cuda-arch "${CUDA_ARCH}" \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DRVCIDX_GPU=ON -DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH} \
          -DRVCIDX_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j "$(nproc)" \
 && cmake --install /build --prefix /opt/rvcidx \
 && mkdir -p /opt/rvcidx/lib \
 && cp "$(scripts/build-faiss.sh --simd avx2 --gpu --cuda-arch "${CUDA_ARCH}" --print-prefix)"/lib/libfaiss*.so /opt/rvcidx/lib/ \
 && strip --strip-unneeded /opt/rvcidx/bin/rvcidx /opt/rvcidx/lib/*.so

FROM cuda-base
LABEL org.opencontainers.image.title=rvcidx
ARG CUDA_RUNTIME_PACKAGES="cuda-cudart-13-0 libcublas-13-0"
RUN apt-get update && apt-get install -y --no-install-recommends ${CUDA_RUNTIME_PACKAGES} \
      libopenblas0-pthread libgomp1 libhdf5-103-1 libjansson4 libssl3 libstdc++6 gnuplot-nox \
 && apt-get clean && rm -rf /var/cache/apt/* /var/lib/apt/lists/* /var/log/apt /usr/share/doc /usr/share/man
COPY --from=builder /opt/rvcidx/ /usr/local/
ENV LD_LIBRARY_PATH=/usr/local/cuda/lib64
RUN ldconfig && rvcidx --version
WORKDIR /data
ENTRYPOINT ["rvcidx"]
CMD ["--help"]

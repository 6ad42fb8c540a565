# rvcidx with the GPU backend: Debian bookworm plus NVIDIA's CUDA 13 toolkit
# from NVIDIA's debian12 repository (a Debian base, so scripts/build-faiss.sh
# finds Debian's faiss 1.7.3-2 source package as it does on the host).
# Untested here (no Docker engine on the development machines); the install
# logic lives in scripts/, which CI tests.
# Build: docker build -f docker/gpu.Dockerfile --build-arg CUDA_ARCH=90 -t rvcidx:gpu .
# Run:   docker run --gpus all rvcidx:gpu --version
FROM debian:bookworm
ARG CUDA_ARCH=90
ARG CUDA_PACKAGE=cuda-toolkit-13-0
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && curl -fsSLo /tmp/cuda-keyring.deb \
      https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-keyring_1.1-1_all.deb \
 && dpkg -i /tmp/cuda-keyring.deb && apt-get update \
 && apt-get install -y --no-install-recommends ${CUDA_PACKAGE} \
 && rm -rf /var/lib/apt/lists/* /tmp/cuda-keyring.deb
COPY . /src/rvcidx
WORKDIR /src/rvcidx
ENV RVCIDX_CACHE_DIR=/opt/rvcidx-cache PATH=/usr/local/cuda/bin:$PATH
RUN scripts/install-deps.sh build \
 && cmake -S . -B /build -DRVCIDX_GPU=ON -DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH} \
          -DRVCIDX_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j "$(nproc)" \
 && cmake --install /build --prefix /usr/local \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["rvcidx"]
CMD ["--help"]

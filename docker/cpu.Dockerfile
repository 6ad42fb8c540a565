# rvcidx, CPU build, on Debian bookworm: a builder stage compiles faiss 1.7.3
# and rvcidx through the same scripts CI runs; the runtime stage holds only
# the binary, librvcidx, faiss's two libraries and the Debian runtime libraries they
# load (no compiler, no -dev package). tests/docker/run.sh builds it from the
# checkout, runs it with --network none as a non-root user, and checks its
# index is byte-identical to the host build's.
#
#   docker build --network host -f docker/cpu.Dockerfile -t rvcidx:cpu .
#   docker run --rm --network none --user "$(id -u):$(id -g)" -v "$PWD/logs:/data" \
#       rvcidx:cpu build -o /data/out /data/mymodel
FROM debian:bookworm AS builder
LABEL org.opencontainers.image.title=rvcidx
ENV RVCIDX_CACHE_DIR=/opt/rvcidx-cache DEBIAN_FRONTEND=noninteractive
WORKDIR /src/rvcidx
# faiss first, from the two scripts and the patches alone: its layer
# survives edits to the rest of the tree. The deb-src line for faiss's source package is
# derived from the image's own Debian source by scripts/build-faiss.sh.
COPY scripts/install-deps.sh scripts/build-faiss.sh scripts/
COPY patches/ patches/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && scripts/install-deps.sh build \
 && scripts/build-faiss.sh --simd avx2 \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DRVCIDX_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j "$(nproc)" \
 && cmake --install /build --prefix /opt/rvcidx \
 && rm -rf /opt/rvcidx/include /opt/rvcidx/lib/cmake /opt/rvcidx/lib/pkgconfig \
 && cp "$(scripts/build-faiss.sh --simd avx2 --print-prefix)"/lib/libfaiss*.so /opt/rvcidx/lib/ \
 && strip --strip-unneeded /opt/rvcidx/bin/rvcidx /opt/rvcidx/lib/*.so

FROM debian:bookworm
LABEL org.opencontainers.image.title=rvcidx
# What `ldd rvcidx` and `ldd libfaiss.so` resolve to on bookworm; gnuplot
# draws report.svg (without it the build only warns).
RUN apt-get update && apt-get install -y --no-install-recommends \
      libopenblas0-pthread libgomp1 libhdf5-103-1 libjansson4 libssl3 libstdc++6 gnuplot-nox \
 && apt-get clean && rm -rf /var/cache/apt/* /var/lib/apt/lists/* /var/log/apt /usr/share/doc /usr/share/man
COPY --from=builder /opt/rvcidx/ /usr/local/
RUN ldconfig && rvcidx --version
# Any user: nothing here needs root or a home (docker run --user UID:GID).
WORKDIR /data
ENTRYPOINT ["rvcidx"]
CMD ["--help"]

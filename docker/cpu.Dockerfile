# rvcidx, CPU build, on Debian bookworm. Untested here (no Docker engine on the
# development machines): the install logic lives in scripts/, which CI tests.
FROM debian:bookworm
COPY . /src/rvcidx
WORKDIR /src/rvcidx
ENV RVCIDX_CACHE_DIR=/opt/rvcidx-cache
# The deb-src line for faiss's source package is derived from the image's own
# Debian source by scripts/build-faiss.sh.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && scripts/install-deps.sh build \
 && cmake -S . -B /build -DRVCIDX_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j "$(nproc)" \
 && cmake --install /build --prefix /usr/local \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["rvcidx"]
CMD ["--help"]

# Chronicle: build the release binary with Debian's Rust, then run it in a slim non-root image.
#
#   docker build -t chronicle .
#   docker run -d --name chronicle -p 8080:8080 -v chronicle-data:/data \
#     -e CHRONICLE_SITE__BASE_URL=https://news.example.org/ \
#     -e CHRONICLE_SMTP__HOST=smtp.example.org -e CHRONICLE_SMTP__PASSWORD=... chronicle
#
# Configuration: CHRONICLE_<SECTION>__<KEY> environment variables, and/or /data/config.toml in
# the volume (a missing file means "all defaults"). The SQLite file is /data/chronicle.db.
#
# Offline builds: when the build context holds a `vendor/` directory (from `cargo vendor`), the
# build uses it and never touches the network for crates (scripts/docker-check does this);
# a `.cargo/config.toml` in the context is honoured as well. Without `vendor/` crates are
# fetched from crates.io as usual.
#
# No `# syntax=` line and no BuildKit-only features: the file builds with the classic builder
# too, on engines that cannot reach an image registry for a frontend image.

# Both stages start from this image; scripts/docker-check makes it locally with debootstrap.
ARG DEBIAN_IMAGE=debian:trixie-slim

# --- the toolchain: trixie's rustc (1.85) is too old for our locked crates, trixie-backports
# ships a current one.
FROM ${DEBIAN_IMAGE} AS toolchain
ENV DEBIAN_FRONTEND=noninteractive
RUN echo "deb http://deb.debian.org/debian trixie-backports main" \
      > /etc/apt/sources.list.d/trixie-backports.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends -t trixie-backports rustc cargo \
 && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rustc --version && cargo --version
WORKDIR /src

# --- the dependencies, built against stub targets (one per `path =` in Cargo.toml), so this
# slow step is cached until the manifest, the lock file or the vendored crates change.
FROM toolchain AS deps
COPY Cargo.toml Cargo.lock /src/
# vendor/ and .cargo/ are optional: a wildcard that matches nothing copies nothing, and COPY
# only needs one source that exists (.dockerignore, removed again below).
COPY .dockerignore vendo[r] /src/vendor/
COPY .dockerignore .carg[o] /src/.cargo/
RUN rm -f vendor/.dockerignore .cargo/.dockerignore \
 && rmdir vendor .cargo 2>/dev/null || true
RUN if [ -d vendor ] && ! grep -qs 'vendored-sources' .cargo/config.toml; then \
      mkdir -p .cargo \
      && printf '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "vendor"\n' \
           >> .cargo/config.toml; \
    fi \
 && for f in $(sed -n 's/^path *= *"\(.*\.rs\)"$/\1/p' Cargo.toml); do \
      mkdir -p "$(dirname "$f")" && echo 'fn main() {}' > "$f"; \
    done \
 && offline=""; if [ -d vendor ]; then offline="--offline"; fi \
 && cargo build --release --locked $offline --bin chronicle \
 && rm -rf src

# --- Chronicle itself.
FROM deps AS build
COPY . /src/
# COPY keeps the context's modification times, older than the stubs': touch so cargo rebuilds.
RUN find src migrations templates -type f -exec touch {} + \
 && offline=""; if [ -d vendor ]; then offline="--offline"; fi \
 && cargo build --release --locked $offline --bin chronicle \
 && cp target/release/chronicle /chronicle

# --- the runtime image: the binary, CA certificates (HTTPS feeds, SMTP over TLS) and a user.
# No tzdata: chrono-tz carries the time-zone database inside the binary.
FROM ${DEBIAN_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin chronicle \
 && mkdir -p /data \
 && chown chronicle:chronicle /data
COPY --from=build /chronicle /usr/local/bin/chronicle
ENV CHRONICLE_DATABASE__URL=sqlite:///data/chronicle.db \
    CHRONICLE_WEB__BIND=0.0.0.0:8080
USER chronicle:chronicle
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# `serve` stops on SIGTERM, finishing in-flight work within serve.shutdown_secs (default 20):
# give it `docker stop -t 30`.
STOPSIGNAL SIGTERM
# The binary checks itself: no curl in the image. `healthcheck` GETs /healthz on web.bind.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["chronicle", "--config", "/data/config.toml", "healthcheck"]
ENTRYPOINT ["chronicle", "--config", "/data/config.toml"]
CMD ["serve"]

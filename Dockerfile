# syntax=docker/dockerfile:1
# Chronicle: build the release binary, then run it in a small non-root image.
#   docker build -t chronicle .
#   docker run -d -p 8080:8080 -v chronicle-data:/data \
#     -e CHRONICLE_SITE__BASE_URL=https://news.example.org/ \
#     -e CHRONICLE_SMTP__HOST=smtp.example.org -e CHRONICLE_SMTP__PASSWORD=... chronicle
# Use your own configuration with -v ./config.toml:/etc/chronicle/config.toml:ro

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin chronicle \
 && cp target/release/chronicle /chronicle

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin chronicle \
 && mkdir -p /data /etc/chronicle \
 && chown chronicle:chronicle /data
COPY --from=build /chronicle /usr/local/bin/chronicle
COPY config.toml /etc/chronicle/config.toml
ENV CHRONICLE_DATABASE__URL=sqlite:///data/chronicle.db \
    CHRONICLE_WEB__BIND=0.0.0.0:8080
USER chronicle
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["chronicle", "--config", "/etc/chronicle/config.toml", "check", "--health"]
ENTRYPOINT ["chronicle", "--config", "/etc/chronicle/config.toml"]
CMD ["serve"]

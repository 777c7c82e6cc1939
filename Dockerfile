# syntax=docker/dockerfile:1
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY src src
COPY migrations migrations
COPY openapi openapi
RUN cargo build --release --locked && strip target/release/zhiyuan

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/zhiyuan --create-home zhiyuan
COPY --from=build /src/target/release/zhiyuan /usr/local/bin/zhiyuan
USER zhiyuan
WORKDIR /var/lib/zhiyuan
ENV ZHIYUAN_BIND=0.0.0.0:8080 \
    ZHIYUAN_DATA_DIR=/var/lib/zhiyuan/data \
    DATABASE_URL=sqlite:///var/lib/zhiyuan/data/zhiyuan.db \
    ZHIYUAN_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/zhiyuan"]
CMD ["serve"]

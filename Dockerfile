# idp-server and idp-admin in a small image, run as a non-root user.
#
#   docker build -t idp:0.1.0 .
#
# Settings come from the environment at run time (docs/configuration.md); nothing secret
# is in the image. See docs/deployment.md, "Container image".

# The builder: the Rust toolchain on Debian 12. The image already has gcc, make and perl,
# which the compiled-in SQLite, libpq and OpenSSL (vendored) need.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p idp-server -p idp-admin \
 && install -D -m 0755 -t /out/usr/local/bin target/release/idp-server target/release/idp-admin \
 && install -d -m 0700 /out/data

# The runtime: glibc and libgcc only (the binaries need no libssl or libpq), no shell,
# user nonroot (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/usr/local/bin/ /usr/local/bin/
# For SQLite: the database and its key file live here (mount a volume). With PostgreSQL
# nothing is written to the file system.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
# SSL_CERT_FILE: the compiled-in OpenSSL looks for the system's CA certificates under
# /usr/local/ssl; this points it at the image's bundle (for sslrootcert=system).
ENV IDP_LISTEN=0.0.0.0:8080 \
    IDP_DATABASE_URL=sqlite:///data/idp.db \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/idp-server"]

# Sourced by the fuzz scripts: builds (once) the instrumented OpenSSL
# release INSTRUMENTED_RELEASE (default 4.0.3) and points openssl-sys at it.
# Sets `release`, `prefix` and `target_dir` (a cargo-fuzz target folder of
# its own, so instrumented and system-linked builds never mix).
release=${INSTRUMENTED_RELEASE:-4.0.3}
prefix=$(bash scripts/build-libssl.sh "$release" --instrumented)
OPENSSL_LIB_DIR=$prefix/lib
[ -d "$prefix/lib64" ] && OPENSSL_LIB_DIR=$prefix/lib64
export OPENSSL_DIR=$prefix OPENSSL_STATIC=1 OPENSSL_LIB_DIR OPENSSL_INCLUDE_DIR=$prefix/include
target_dir=fuzz/target-instrumented/$release

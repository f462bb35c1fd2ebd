#ifndef CUSTODY_COPENSSL_SHIM_H
#define CUSTODY_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/bio.h>

/* Macros Swift cannot import. */
static inline void custody_openssl_free(void *p) { OPENSSL_free(p); }
static inline long custody_bio_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline int custody_evp_md_ctx_size(const EVP_MD_CTX *ctx) { return EVP_MD_CTX_get_size(ctx); }
static inline long custody_ssl_set_mode_auto_retry(SSL_CTX *ctx) { return SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY); }
static inline long custody_ssl_set_min_tls12(SSL_CTX *ctx) { return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); }

/* TLS server settings (SSL_CTX_set_options and SSL_CTX_set_mode take macro flags). No renegotiation (a
 * client-driven CPU sink), no compression (CRIME), the server's cipher order, and a peer closing without
 * close_notify reads as an ordinary end of stream, like a TCP FIN. */
static inline uint64_t custody_ssl_ctx_set_server_options(SSL_CTX *ctx) {
    return SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
}
/* Non-blocking writes may complete partially and be retried from another buffer address. */
static inline long custody_ssl_ctx_set_mode_nonblocking(SSL_CTX *ctx) {
    return SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}
/* TLS client: SNI (SSL_set_tlsext_host_name is a macro). */
static inline long custody_ssl_set_sni(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
#endif

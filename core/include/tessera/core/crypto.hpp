// Small cryptographic building blocks over OpenSSL: randomness from the CSPRNG, base64 and
// base64url, SHA-256, and RS256 signatures. Everything else in core builds on these.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::core::crypto {

// `count` bytes from OpenSSL's CSPRNG.
std::string random_bytes(std::size_t count);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 alphabet, without padding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Raw 32-byte digest.
std::string sha256(std::string_view data);

// RSASSA-PKCS1-v1_5 with SHA-256 over `data` with a PEM private key (PKCS#8 or PKCS#1).
// Throws Error(invalid_argument) when the key cannot be read, naming no key material.
std::string sign_rs256(std::string_view pem_private_key, std::string_view data);
// Verifies such a signature with a PEM public key or certificate.
bool verify_rs256(std::string_view pem_public_key, std::string_view data, std::string_view signature);

}  // namespace tessera::core::crypto

// A certificate authority made at test time (OpenSSL), with a server certificate for
// 127.0.0.1 and localhost, and RSA key pairs for service accounts and private_key_jwt.
#pragma once

#include <filesystem>
#include <string>

namespace tessera::test {

struct KeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

KeyPair make_rsa_key();

struct TestCa {
  std::filesystem::path ca_cert;      // PEM: trust this
  std::filesystem::path server_cert;  // PEM: the server's chain
  std::filesystem::path server_key;   // PEM
};

// Writes the three files into `dir`.
TestCa make_test_ca(const std::filesystem::path& dir);

}  // namespace tessera::test

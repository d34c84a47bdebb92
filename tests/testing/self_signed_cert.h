#pragma once

// Makes a self-signed certificate and its key at test time (OpenSSL 3 API), so
// https tests need neither checked-in keys nor the openssl command.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <string>

namespace stepflow::testing {

struct TestCertificate {
  std::string dir;        // a fresh temporary directory holding both files
  std::string cert_path;  // PEM certificate: also the CA file that trusts it
  std::string key_path;   // PEM private key
};

// A P-256 key and a certificate valid for a day, self-signed, for the names in
// `subject_alt_names` ("IP:127.0.0.1,DNS:localhost"). False on any failure.
inline bool MakeSelfSignedCertificate(const std::string& subject_alt_names, TestCertificate* out) {
  char dir_template[] = "/tmp/stepflow-cert-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return false;
  out->dir = dir_template;
  out->cert_path = out->dir + "/cert.pem";
  out->key_path = out->dir + "/key.pem";

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return false;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("stepflow test"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, subject_alt_names},
                            std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return false;
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return false;

  FILE* f = std::fopen(out->cert_path.c_str(), "w");
  if (f == nullptr) return false;
  bool ok = PEM_write_X509(f, cert.get()) == 1;
  std::fclose(f);
  f = std::fopen(out->key_path.c_str(), "w");
  if (f == nullptr) return false;
  ok = ok && PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  return ok;
}

inline void RemoveTestCertificate(const TestCertificate& cert) {
  std::remove(cert.cert_path.c_str());
  std::remove(cert.key_path.c_str());
  std::remove(cert.dir.c_str());
}

}  // namespace stepflow::testing

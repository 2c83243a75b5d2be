// The node's certificate configuration, checked with OpenSSL before CAF starts. CAF's openssl
// module would otherwise use anonymous TLS (AECDH, no authentication) when no certificate is
// set, abort at start with a CA file alone, and terminate at the first incoming connection
// with a key that does not match its certificate (shared/cluster-design.md §1, §7). The
// certificate's CN must be the node id: CAF itself only checks "signed by the CA".
#pragma once

#include <string>

#include "caf/error.hpp"

namespace sagaforge::cluster {

struct tls_files {
  std::string certificate;
  std::string key;
  std::string cafile;
  std::string passphrase;
};

/// runtime.invalid_config naming the file and the cause, or nothing when the set is whole,
/// readable, matching, signed by the CA, not expired, and issued to `node_id`.
caf::error check_node_certificates(const tls_files& files, const std::string& node_id);

} // namespace sagaforge::cluster

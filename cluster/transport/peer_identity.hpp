// Who a peer is, proven: CAF's openssl module checks only that a peer's certificate is signed
// by the cluster CA, so any holder of any cluster certificate could claim any node id in the
// data plane's hello (shared/cluster-design.md §7). A peer_identity binds the claim: each side
// of a new connection signs a statement naming a fresh nonce of the other side, its own id and
// the other's id with its private key, and sends its certificate; the other side checks the
// certificate against the cluster CA, its CN against the claimed id, and the signature. The
// nonce makes a proof useless on another connection, the two ids and the role make it useless
// towards another node or reflected back, the verifier's process id makes a relayed proof fail
// unless the relay also forged its CAF node id (docs/cluster.md, "Authentication").
// Without TLS (in-process tests only) the identity is `none`: it proves nothing and accepts
// every claim, as the data plane did before.
#pragma once

#include <memory>
#include <string>

#include "caf/expected.hpp"

#include "cluster/transport/tls_check.hpp"

namespace sagaforge::cluster {

enum class hello_role { dialler, dialled };

/// What a side signs: the role it speaks in, the other side's nonce, its id, the other's id,
/// and the other side's process (CAF node id) as this side's connection sees it, so that a
/// proof relayed from another connection names the relaying process, not the verifier.
std::string hello_statement(hello_role role, const std::string& nonce, const std::string& from,
                            const std::string& to, const std::string& to_process);

class peer_identity {
public:
  struct proof {
    std::string certificate;  // PEM
    std::string signature;    // raw bytes
  };

  /// Loads the node's certificate, key (with the passphrase) and the cluster CA; the files
  /// were checked by check_node_certificates before, so an error here is unexpected.
  static caf::expected<std::shared_ptr<const peer_identity>> load(const tls_files& files,
                                                                  const std::string& node_id);
  /// No TLS: proves nothing, accepts any claim.
  static std::shared_ptr<const peer_identity> none(const std::string& node_id);

  ~peer_identity();
  peer_identity(const peer_identity&) = delete;
  peer_identity& operator=(const peer_identity&) = delete;

  bool enabled() const { return enabled_; }
  const std::string& node() const { return node_; }

  /// 32 random bytes, hex.
  static std::string make_nonce();

  /// This node's certificate and its signature over `statement` (empty when not enabled).
  proof prove(const std::string& statement) const;

  /// Empty when `p` proves that `claimed` signed `statement` (certificate signed by the
  /// cluster CA, valid now, CN = claimed); else why not. Any bytes are safe here.
  std::string verify(const std::string& claimed, const proof& p,
                     const std::string& statement) const;

private:
  struct keys;
  peer_identity() = default;

  bool enabled_ = false;
  std::string node_;
  std::string certificate_pem_;
  std::unique_ptr<keys> keys_;
};

using peer_identity_ptr = std::shared_ptr<const peer_identity>;

} // namespace sagaforge::cluster

// The process-wide fix for CAF 0.17's openssl session leaving errors in OpenSSL's per-thread
// error queue (one peer's abrupt close then dropped every other link: openssl_error_queue.cpp).
#pragma once

namespace sagaforge::cluster {

/// True when this process's TLS reads and writes go through the queue-clearing wrappers
/// (the executable links cluster/transport and exports them; cluster_member::join calls
/// this, which also keeps the wrappers' object in the link).
bool openssl_error_queue_guarded();

} // namespace sagaforge::cluster

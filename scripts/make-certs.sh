#!/usr/bin/env bash
# Makes a throwaway cluster CA and certificates for a local cluster (openssl CLI):
#   DIR/ca.pem, DIR/ca.key                 the cluster CA (10 days)
#   DIR/NODE.pem, DIR/NODE.key             one per node: CN = the node id (sagaforge-node
#                                          refuses a certificate issued to another id), IP SAN
#                                          127.0.0.1, client and server use (mutual TLS)
#   DIR/etcd.pem, DIR/etcd.key             etcd's server certificate (IP SAN 127.0.0.1)
# Usage: scripts/make-certs.sh DIR NODE [NODE...]
# Existing files are kept (re-running adds missing nodes only). For tests and local clusters
# only: the CA key sits unencrypted beside the certificates.
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 DIR NODE [NODE...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj "/CN=sagaforge local cluster CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
fi

issue() {  # name, extended key usage
  local name=$1 usage=$2
  [ -f "$dir/$name.pem" ] && return 0
  case "$name" in
    *[!A-Za-z0-9_.-]*) echo "make-certs: bad name '$name' (letters, digits, _ . - only)" >&2
                       exit 2 ;;
  esac
  local ext
  ext=$(mktemp)
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=%s\n' "$usage" >"$ext"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/$name.key" \
    -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 10 -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
}

issue etcd serverAuth,clientAuth
for node in "$@"; do
  issue "$node" serverAuth,clientAuth
done
echo "make-certs: CA and certificates for: $* in $dir"

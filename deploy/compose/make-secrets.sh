#!/usr/bin/env sh
# Create the keys and the database password for docker compose, once. Never commit the results.
# The files are made readable by the container's user (uid 10001) through a bind mount, so keep
# this directory private on the host; in Kubernetes use Secrets instead (deploy/k8s).
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
umask 022
[ -f secrets/subject.key ] || head -c 32 /dev/urandom > secrets/subject.key
[ -f secrets/pii.key ] || head -c 32 /dev/urandom > secrets/pii.key
if [ ! -f secrets/audit-signing.pem ]; then
  openssl genpkey -algorithm ed25519 -out secrets/audit-signing.pem
fi
if ! grep -q '^POSTGRES_PASSWORD=' .env 2>/dev/null; then
  echo "POSTGRES_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .env
fi
echo "secrets ready in $(pwd)/secrets and $(pwd)/.env"

#!/usr/bin/env bash
# Makes every secret the compose file needs, for a local rehearsal only (production keys come from the agencies' own
# CA and secret store). Needs openssl (3.x, for SM2) and keytool (any JDK/JRE). Usage: ./gen-certs.sh [out-dir]
#   <out>/ca.pem, ca.key                      one private CA for Kafka and gRPC TLS
#   <out>/kafka-N.keystore.p12, kafka.truststore.p12, *.creds, kafka_server_jaas.conf   the brokers (apache/kafka layout)
#   <out>/admin.keystore.p12, admin.properties  the topic-init job's client certificate (mTLS on the internal listener)
#   <out>/node-P.pem/.key                     each node's gRPC server certificate (TLS)
#   <out>/system-P.pem/.key, operator-console.pem/.key   client certificates with their role URI (docs/security.md)
#   <out>/sign-P.pem, directory/directory.json  each node's SM2 signing key and the province directory with the public keys
#   ./.env (or $ENV_FILE)                    passwords and keys the compose file reads (SCRAM, PostgreSQL, Redis)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/secrets}"
env_file="${ENV_FILE:-$here/.env}"
provinces=(15 51)
brokers=(kafka-1 kafka-2 kafka-3)
days=825

for tool in openssl keytool; do
  command -v "$tool" >/dev/null || { echo "gen-certs.sh needs $tool on PATH" >&2; exit 2; }
done
mkdir -p "$out/directory"
cd "$out"
rand() { openssl rand -hex 16; }

# One EC P-256 CA.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ca.key -out ca.pem -days $((days * 2)) \
  -subj "/O=gateway/CN=gateway compose CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# issue <name> <subject CN> <extendedKeyUsage> <subjectAltName>
issue() {
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$1.key" -out "$1.csr" -subj "/O=gateway/CN=$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days "$days" -extfile <(printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=$3" "subjectAltName=$4") 2>/dev/null
  rm -f "$1.csr"
}

# Brokers: PKCS#12 keystores with a password in a credentials file, as the apache/kafka image expects under /etc/kafka/secrets.
for b in "${brokers[@]}"; do
  issue "$b" "$b" "serverAuth,clientAuth" "DNS:$b,DNS:localhost"
  pass="$(rand)"
  openssl pkcs12 -export -in "$b.pem" -inkey "$b.key" -certfile ca.pem -name "$b" -out "$b.keystore.p12" -passout "pass:$pass"
  printf '%s' "$pass" > "$b.creds"
  rm -f "$b.key"
done
trust="$(rand)"
rm -f kafka.truststore.p12
keytool -importcert -noprompt -alias gateway-ca -file ca.pem -keystore kafka.truststore.p12 -storetype PKCS12 -storepass "$trust" >/dev/null 2>&1
printf '%s' "$trust" > kafka.truststore.creds
# The SASL listener's server side: SCRAM credentials live in the cluster metadata (created by topic-init).
cat > kafka_server_jaas.conf <<'JAAS'
KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS

# The topic-init job's admin client: mTLS on the brokers' internal SSL listener.
issue admin admin "clientAuth" "DNS:admin"
admin_pass="$(rand)"
openssl pkcs12 -export -in admin.pem -inkey admin.key -certfile ca.pem -name admin -out admin.keystore.p12 -passout "pass:$admin_pass"
rm -f admin.key admin.pem
cat > admin.properties <<PROPS
security.protocol=SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=/etc/kafka/secrets/admin.keystore.p12
ssl.keystore.password=$admin_pass
ssl.truststore.type=PKCS12
ssl.truststore.location=/etc/kafka/secrets/kafka.truststore.p12
ssl.truststore.password=$trust
PROPS

# Nodes: gRPC server certificates, province-system client certificates, SM2 signing keys.
entries=()
for p in "${provinces[@]}"; do
  issue "node-$p" "gateway node $p" "serverAuth" "DNS:node-$p,DNS:localhost,IP:127.0.0.1"
  issue "system-$p" "province system $p" "clientAuth" "URI:urn:gateway:role:system:$p"
  openssl genpkey -algorithm SM2 -out "sign-$p.pem"
  public="$(openssl pkey -in "sign-$p.pem" -pubout -outform DER | base64 | tr -d '\n')"
  entries+=("$(printf '    {\n      "code": "%s",\n      "topics": { "inbox": "gateway.inbox.%s", "dead_letter": "gateway.deadletter.%s" },\n      "keys": [ { "key_id": "%s-compose", "algorithm": "SM2-SM3", "public_key": "%s" } ],\n      "may_send": [ { "to": ["*"], "types": ["*"] } ]\n    }' "$p" "$p" "$p" "$p" "$public")")
done
issue operator-console "operator console" "clientAuth" "URI:urn:gateway:role:operator:console"
{
  printf '{\n  "provinces": [\n%s' "${entries[0]}"
  for e in "${entries[@]:1}"; do printf ',\n%s' "$e"; done
  printf '\n  ]\n}\n'
} > directory/directory.json
rm -f ca.srl

# Readable by the containers' own users (the node image runs as uid 1654, apache/kafka as 1000): a rehearsal on one
# machine. The CA key is not needed by any container.
chmod 0755 . directory
chmod 0644 ./*.pem ./*.key ./*.p12 ./*.creds ./*.conf ./*.properties directory/directory.json
chmod 0600 ca.key

# Passwords and keys for compose (read from .env beside compose.yaml).
{
  echo "# Written by gen-certs.sh; a rehearsal's secrets, never committed."
  echo "KAFKA_CLUSTER_ID=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=')"
  for p in "${provinces[@]}"; do
    echo "NODE${p}_KAFKA_PASSWORD=$(rand)"
    echo "NODE${p}_POSTGRES_PASSWORD=$(rand)"
    echo "NODE${p}_REDIS_RESPONSE_KEY=$(openssl rand -base64 32)"
  done
} > "$env_file"
echo "secrets in $out; passwords in $env_file"

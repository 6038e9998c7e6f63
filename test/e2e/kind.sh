#!/usr/bin/env bash
# End-to-end test of the Helm chart on a kind cluster.
#
# NOT RUN HERE: the development and CI machines of this project have no container engine, so
# kind cannot start a cluster on them and this script has never run there. It runs where kind,
# kubectl, helm and Docker (or Podman: KIND_EXPERIMENTAL_PROVIDER=podman) exist. What is checked
# offline instead: `npm run test:chart` (helm lint/template, kubeconform against Kubernetes
# schemas, the restricted Pod Security Standard, the values schema).
#
# Steps: create a 3-zone cluster (k8s/kind-config.yaml), build and `kind load` the image,
# `helm install --wait`, `helm test`, delete a broker pod and check its volume kept its data and
# it rejoined every ISR, `helm upgrade` (a rolling restart) under an acks=all producer with zero
# failed sends and no partition offline, scale brokers 3 -> 4 and reassign partitions onto the
# new broker, uninstall. KEEP_CLUSTER=1 keeps the cluster afterwards.
set -euo pipefail

cd "$(dirname "$0")/../.."
CLUSTER=${CLUSTER:-tributary-e2e}
NS=${NS:-tributary}
RELEASE=${RELEASE:-tributary}
IMAGE=${IMAGE:-tributary:e2e}
ENGINE=${ENGINE:-docker}

for tool in kind kubectl helm "$ENGINE"; do
  command -v "$tool" >/dev/null || { echo "kind.sh: $tool is not installed (this script needs kind, kubectl, helm and $ENGINE)"; exit 2; }
done

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*"; exit 1; }
cleanup() { [ "${KEEP_CLUSTER:-0}" = 1 ] || kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The CLI inside broker-0's container (the image holds it), talking to the bootstrap Service.
cli() {
  kubectl -n "$NS" exec "$RELEASE-broker-0" -c broker -- \
    node /app/docker/entrypoint.mjs tributary --bootstrap "$RELEASE-bootstrap:9092" "$@"
}
offline_partitions() { cli topics describe --json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const topics = JSON.parse(s).topics ?? JSON.parse(s);
    let n = 0;
    for (const t of [].concat(topics)) for (const p of t.partitions ?? []) if (p.leader < 0) n++;
    console.log(n);
  });'; }

step "create the kind cluster (3 workers in 3 zones)"
kind create cluster --name "$CLUSTER" --config k8s/kind-config.yaml --wait 120s

step "build and load the image"
"$ENGINE" build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

step "helm install --wait"
helm install "$RELEASE" charts/tributary --namespace "$NS" --create-namespace --wait --timeout 10m \
  --set image.repository="${IMAGE%%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never
zones=$(kubectl -n "$NS" get pods -l app.kubernetes.io/component=broker -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' |
  xargs -I{} kubectl get node {} -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}' | sort -u | wc -l)
[ "$zones" -eq 3 ] || fail "brokers are in $zones zones, want 3"

step "helm test"
helm test "$RELEASE" --namespace "$NS" --logs

step "delete a broker pod: its volume keeps the data and it rejoins every ISR"
cli topics create e2e-durable --partitions 3 --replication-factor 3
seq 1 1000 | cli produce e2e-durable --acks all
kubectl -n "$NS" exec "$RELEASE-broker-2" -c broker -- ls /var/lib/tributary/data > /tmp/kind-e2e-before.txt
kubectl -n "$NS" delete pod "$RELEASE-broker-2" --wait
kubectl -n "$NS" wait --for=condition=Ready "pod/$RELEASE-broker-2" --timeout=5m   # Ready = back in every ISR
kubectl -n "$NS" exec "$RELEASE-broker-2" -c broker -- ls /var/lib/tributary/data > /tmp/kind-e2e-after.txt
diff /tmp/kind-e2e-before.txt /tmp/kind-e2e-after.txt || fail "broker 2's data directory changed across the restart"
cli topics describe e2e-durable

step "helm upgrade (rolling restart) under an acks=all producer: zero failed sends, nothing offline"
cli topics create e2e-rolling --partitions 6 --replication-factor 3 --config min.insync.replicas=2
kubectl -n "$NS" run e2e-producer --restart=Never --image="$IMAGE" --image-pull-policy=Never \
  --overrides='{"spec":{"enableServiceLinks":false}}' -- \
  tributary --bootstrap "$RELEASE-bootstrap:9092" perf produce e2e-rolling --num-records 60000 --record-size 100 --throughput 200 --acks all
helm upgrade "$RELEASE" charts/tributary --namespace "$NS" --reuse-values --set-string broker.podAnnotations.restartedAt="$(date +%s)" &
upgrade=$!
while kill -0 "$upgrade" 2>/dev/null; do
  n=$(offline_partitions); [ "$n" -eq 0 ] || fail "$n partitions offline during the rolling restart"
  sleep 2
done
wait "$upgrade"
kubectl -n "$NS" rollout status "statefulset/$RELEASE-broker" --timeout=15m
kubectl -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded pod/e2e-producer --timeout=10m ||
  { kubectl -n "$NS" logs e2e-producer; fail "the producer failed during the rolling restart"; }
kubectl -n "$NS" logs e2e-producer | tail -3

step "scale brokers 3 -> 4 and reassign partitions onto the new broker"
helm upgrade "$RELEASE" charts/tributary --namespace "$NS" --reuse-values --set broker.replicas=4 --wait
if cli partitions reassign --help >/dev/null 2>&1; then
  cli partitions reassign --topics e2e-rolling --brokers 0,1,2,3 --generate --execute
  cli partitions reassign --topics e2e-rolling --verify
else
  echo "tributary partitions reassign is not available in this build (reliability issue): skipped"
fi

step "uninstall: everything goes but the broker and etcd claims"
helm uninstall "$RELEASE" --namespace "$NS" --wait
kubectl -n "$NS" get pvc
echo "kind e2e: passed"

"""A Tributary client in Python from the generated stubs alone: plain `Record`s, and one batch.

The conformance scenario (the same in clients/go and clients/java): metadata -> create topic ->
produce keyed records to each partition's leader, following NOT_LEADER_OR_FOLLOWER hints -> fetch
and verify -> list offsets -> commit and fetch group offsets.

Run (stubs generated into clients/python/gen, see docs/clients/python.md):
  python clients/python/conformance.py --bootstrap 127.0.0.1:9092 --topic py-orders --group py-group
Exits 0 when every step holds; prints one line per step.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "gen"))

import grpc  # noqa: E402
import record_batch as rb  # noqa: E402
from tributary.v1 import (  # noqa: E402
    broker_pb2, broker_pb2_grpc, common_pb2, controller_pb2, controller_pb2_grpc, errors_pb2,
    group_coordinator_pb2, group_coordinator_pb2_grpc)

# The connection settings of docs/protocol.md: 64 MiB messages, keepalive 30 s / 10 s also idle
# (the servers allow pings every 10 s or more), reconnect backoff 250 ms .. 10 s.
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", 64 << 20),
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 10_000),
]
NONE = errors_pb2.ERROR_CODE_NONE
NOT_LEADER = errors_pb2.ERROR_CODE_NOT_LEADER_OR_FOLLOWER
RECORDS_PER_PARTITION = 5


class Failure(Exception):
    pass


def step(name: str) -> None:
    print(f"ok   python: {name}", flush=True)


def error_code(err: grpc.RpcError) -> int | None:
    """The ErrorCode of a whole-request failure, from the `tributary-error-code` trailer."""
    for key, value in err.trailing_metadata() or ():
        if key == "tributary-error-code":
            return int(value)
    return None


class Cluster:
    def __init__(self, bootstrap: str) -> None:
        self.channels: dict[str, grpc.Channel] = {}
        self.bootstrap = bootstrap
        self.brokers: dict[int, str] = {}
        self.controller = ""
        self.refresh([])

    def channel(self, address: str) -> grpc.Channel:
        if address not in self.channels:
            self.channels[address] = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        return self.channels[address]

    def broker(self, broker_id: int) -> broker_pb2_grpc.BrokerServiceStub:
        return broker_pb2_grpc.BrokerServiceStub(self.channel(self.brokers[broker_id]))

    def refresh(self, topics: list[str]) -> broker_pb2.MetadataResponse:
        stub = broker_pb2_grpc.BrokerServiceStub(self.channel(self.bootstrap))
        md = stub.Metadata(broker_pb2.MetadataRequest(topics=topics), timeout=10)
        self.brokers = {b.broker_id: f"{b.host}:{b.port}" for b in md.brokers}
        self.controller = f"{md.controller.host}:{md.controller.port}"
        return md

    def close(self) -> None:
        for ch in self.channels.values():
            ch.close()


def partition_for(key: bytes, partitions: int) -> int:
    # Any stable function of the key will do; Kafka's clients use murmur2.
    return zlib.crc32(key) % partitions


def wait_for_leaders(cluster: Cluster, topic: str, partitions: int) -> dict[int, tuple[int, int]]:
    """partition -> (leader id, leader epoch), once every partition has a leader."""
    deadline = time.monotonic() + 30
    while True:
        md = cluster.refresh([topic])
        t = md.topics[0] if md.topics else None
        if t and t.error_code == NONE and len(t.partitions) == partitions and all(
                p.error_code == NONE and p.leader_id >= 0 for p in t.partitions):
            return {p.partition: (p.leader_id, p.leader_epoch) for p in t.partitions}
        if time.monotonic() > deadline:
            raise Failure(f"topic {topic} has no leader for every partition: {md}")
        time.sleep(0.1)


def produce(cluster: Cluster, broker_id: int, topic: str, partition: int,
            records: list[common_pb2.Record]) -> broker_pb2.ProducePartitionResponse:
    request = broker_pb2.ProduceRequest(acks=-1, timeout_ms=10_000, topics=[
        broker_pb2.ProduceTopicData(topic=topic, partitions=[broker_pb2.ProducePartitionData(
            partition=partition, records=common_pb2.RecordList(records=records))])])
    return cluster.broker(broker_id).Produce(request, timeout=15).topics[0].partitions[0]


def run(bootstrap: str, topic: str, group: str) -> None:
    cluster = Cluster(bootstrap)
    try:
        if len(cluster.brokers) < 2:
            raise Failure(f"need 2+ brokers to follow a leader hint, metadata lists {cluster.brokers}")
        step(f"metadata: {len(cluster.brokers)} brokers, controller {cluster.controller}")

        partitions = 3
        controller = controller_pb2_grpc.ControllerServiceStub(cluster.channel(cluster.controller))
        created = controller.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
            controller_pb2.CreatableTopic(name=topic, num_partitions=partitions, replication_factor=2)
        ]), timeout=15).topics[0]
        if created.error_code != NONE:
            raise Failure(f"create topic: {errors_pb2.ErrorCode.Name(created.error_code)} {created.error_message}")
        leaders = wait_for_leaders(cluster, topic, partitions)
        step(f"create topic {topic} ({created.topic_id}): leaders {leaders}")

        by_partition: dict[int, list[common_pb2.Record]] = {p: [] for p in range(partitions)}
        i = 0
        while min(len(v) for v in by_partition.values()) < RECORDS_PER_PARTITION:
            key = f"key-{i}".encode()
            p = partition_for(key, partitions)
            if len(by_partition[p]) < RECORDS_PER_PARTITION:
                by_partition[p].append(common_pb2.Record(
                    key=key, value=f"value-{i}".encode(),
                    headers=[common_pb2.RecordHeader(key="lang", value=b"python")]))
            i += 1

        hints_followed = 0
        for p, records in by_partition.items():
            # Send the first request to a broker that does not lead the partition on purpose:
            # it must answer NOT_LEADER_OR_FOLLOWER with a current_leader hint to follow.
            target = next(b for b in sorted(cluster.brokers) if b != leaders[p][0])
            for _attempt in range(5):
                result = produce(cluster, target, topic, p, records)
                if result.error_code == NONE:
                    if result.base_offset != 0:
                        raise Failure(f"partition {p}: base offset {result.base_offset}, expected 0")
                    break
                if result.error_code != NOT_LEADER:
                    raise Failure(f"produce {p}: {errors_pb2.ErrorCode.Name(result.error_code)}")
                hint = result.current_leader
                target = hint.leader_id if hint.leader_id >= 0 else leaders[p][0]
                hints_followed += 1
                if hint.leader_id < 0:
                    leaders = wait_for_leaders(cluster, topic, partitions)
            else:
                raise Failure(f"produce {p}: no leader after 5 attempts")
        if hints_followed < partitions:
            raise Failure(f"followed {hints_followed} NOT_LEADER hints, expected one per partition")
        step(f"produce {RECORDS_PER_PARTITION * partitions} keyed records, {hints_followed} leader hints followed")

        for p, records in by_partition.items():
            fetched = cluster.broker(leaders[p][0]).Fetch(broker_pb2.FetchRequest(
                max_wait_ms=1000, min_bytes=1, record_format=common_pb2.RECORD_FORMAT_RECORDS,
                topics=[broker_pb2.FetchTopic(topic=topic, partitions=[
                    broker_pb2.FetchPartition(partition=p, fetch_offset=0)])]), timeout=15)
            result = fetched.topics[0].partitions[0]
            if result.error_code != NONE:
                raise Failure(f"fetch {p}: {errors_pb2.ErrorCode.Name(result.error_code)}")
            got = [(r.offset, r.key, r.value, [(h.key, h.value) for h in r.headers]) for r in result.records]
            want = [(o, r.key, r.value, [("lang", b"python")]) for o, r in enumerate(records)]
            if got != want:
                raise Failure(f"fetch {p}: got {got}, want {want}")
            if result.high_watermark != len(records):
                raise Failure(f"fetch {p}: high watermark {result.high_watermark}")
        step("fetch: every record back in order with its key, value and headers")

        for p in range(partitions):
            listed = cluster.broker(leaders[p][0]).ListOffsets(broker_pb2.ListOffsetsRequest(topics=[
                broker_pb2.ListOffsetsTopic(topic=topic, partitions=[
                    broker_pb2.ListOffsetsPartition(partition=p, spec=broker_pb2.OFFSET_SPEC_EARLIEST),
                    broker_pb2.ListOffsetsPartition(partition=p, spec=broker_pb2.OFFSET_SPEC_LATEST)])]),
                timeout=10)
            offsets = [(r.error_code, r.offset) for r in listed.topics[0].partitions]
            if offsets != [(NONE, 0), (NONE, RECORDS_PER_PARTITION)]:
                raise Failure(f"list offsets {p}: {offsets}")
        step("list offsets: earliest 0, latest = records produced")

        any_coordinator = group_coordinator_pb2_grpc.GroupCoordinatorServiceStub(
            cluster.channel(_coordinator_address(cluster)))
        found = any_coordinator.FindCoordinator(
            group_coordinator_pb2.FindCoordinatorRequest(group_id=group), timeout=10).coordinator
        coordinator = group_coordinator_pb2_grpc.GroupCoordinatorServiceStub(
            cluster.channel(f"{found.host}:{found.port}"))
        # A consumer that uses assign() rather than a group session commits with generation -1.
        commit = coordinator.CommitOffsets(group_coordinator_pb2.CommitOffsetsRequest(
            group_id=group, member_id="", generation_id=-1, topics=[
                group_coordinator_pb2.CommitOffsetsTopic(topic=topic, partitions=[
                    group_coordinator_pb2.CommitOffsetsPartition(
                        partition=p, offset=RECORDS_PER_PARTITION - p, leader_epoch=leaders[p][1],
                        metadata="python") for p in range(partitions)])]), timeout=10)
        codes = [r.error_code for r in commit.topics[0].partitions]
        if codes != [NONE] * partitions:
            raise Failure(f"commit: {codes}")
        fetched = coordinator.FetchOffsets(group_coordinator_pb2.FetchOffsetsRequest(
            group_id=group, topics=[common_pb2.TopicPartitions(topic=topic, partitions=list(range(partitions)))]),
            timeout=10)
        got = sorted((r.partition, r.offset, r.leader_epoch, r.metadata) for r in fetched.topics[0].partitions)
        want = [(p, RECORDS_PER_PARTITION - p, leaders[p][1], "python") for p in range(partitions)]
        if got != want:
            raise Failure(f"fetch offsets: got {got}, want {want}")
        step("commit and fetch group offsets")

        # The batch path from Python too: one gzip RecordBatch v2 encoded by record_batch.py,
        # fetched back as stored batch bytes and decoded (CRC-32C checked).
        leader = leaders[0][0]
        now = int(time.time() * 1000)
        batch_records = [rb.Record(key=f"batch-{i}".encode(), value=f"gzip-{i}".encode(), timestamp=now + i,
                                   headers=[rb.Header("lang", b"python")]) for i in range(3)]
        request = broker_pb2.ProduceRequest(acks=-1, timeout_ms=10_000, topics=[
            broker_pb2.ProduceTopicData(topic=topic, partitions=[broker_pb2.ProducePartitionData(
                partition=0, record_batches=rb.encode(batch_records, attributes=1))])])
        result = cluster.broker(leader).Produce(request, timeout=15).topics[0].partitions[0]
        if result.error_code != NONE or result.base_offset != RECORDS_PER_PARTITION:
            raise Failure(f"produce a batch: {errors_pb2.ErrorCode.Name(result.error_code)} at {result.base_offset}")
        fetched = cluster.broker(leader).Fetch(broker_pb2.FetchRequest(
            max_wait_ms=1000, min_bytes=1, record_format=common_pb2.RECORD_FORMAT_BATCHES,
            topics=[broker_pb2.FetchTopic(topic=topic, partitions=[
                broker_pb2.FetchPartition(partition=0, fetch_offset=RECORDS_PER_PARTITION)])]), timeout=15)
        got = [(r.offset, r.key, r.value, r.timestamp) for r in _decode_all(fetched.topics[0].partitions[0].record_batches)
               if r.offset >= RECORDS_PER_PARTITION]  # a batch is never split: skip what precedes the offset
        want = [(RECORDS_PER_PARTITION + i, r.key, r.value, r.timestamp) for i, r in enumerate(batch_records)]
        if got != want:
            raise Failure(f"batch round trip: got {got}, want {want}")
        step("produce a gzip RecordBatch v2 encoded in Python, fetch it back as batches and decode it")
    finally:
        cluster.close()


def _decode_all(data: bytes) -> list[rb.Record]:
    """Splits concatenated batches (each 12 + batchLength bytes) and decodes them."""
    records = []
    while len(data) >= 12:
        size = 12 + int.from_bytes(data[8:12], "big", signed=True)
        if size > len(data):
            break  # cut at max_bytes: fetch again from the next offset
        records += rb.decode(data[:size]).records
        data = data[size:]
    return records


def _coordinator_address(cluster: Cluster) -> str:
    md = cluster.refresh([])
    if not md.coordinators:
        raise Failure("metadata lists no group coordinator")
    c = md.coordinators[0]
    return f"{c.host}:{c.port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="host:port of any broker")
    parser.add_argument("--topic", default="python-conformance")
    parser.add_argument("--group", default="python-conformance")
    args = parser.parse_args()
    try:
        run(args.bootstrap, args.topic, args.group)
    except (Failure, grpc.RpcError) as err:
        code = error_code(err) if isinstance(err, grpc.RpcError) else None
        print(f"FAIL python: {err}" + (f" (tributary-error-code {code})" if code is not None else ""))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

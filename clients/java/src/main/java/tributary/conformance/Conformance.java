package tributary.conformance;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import tributary.v1.Broker.*;
import tributary.v1.BrokerServiceGrpc;
import tributary.v1.BrokerServiceGrpc.BrokerServiceBlockingStub;
import tributary.v1.Common.*;
import tributary.v1.Common.Record;
import tributary.v1.Controller.*;
import tributary.v1.ControllerServiceGrpc;
import tributary.v1.Errors.ErrorCode;
import tributary.v1.GroupCoordinator.*;
import tributary.v1.GroupCoordinatorServiceGrpc;
import tributary.v1.GroupCoordinatorServiceGrpc.GroupCoordinatorServiceBlockingStub;

/**
 * A Tributary client in Java from the generated stubs alone, plain {@code Record} path. The
 * conformance scenario (the same in clients/python and clients/go): metadata, create topic,
 * produce keyed records to each partition's leader following NOT_LEADER_OR_FOLLOWER hints, fetch
 * and verify, list offsets, commit and fetch group offsets. Prints one line per step; exits 1 on
 * the first failure.
 */
public final class Conformance {
  private static final int PARTITIONS = 3;
  private static final int RECORDS_PER_PARTITION = 5;
  private static final Metadata.Key<String> ERROR_CODE_TRAILER =
      Metadata.Key.of("tributary-error-code", Metadata.ASCII_STRING_MARSHALLER);

  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private final String bootstrap;
  private Map<Integer, String> brokers = new TreeMap<>();
  private String controller = "";
  private List<String> coordinators = new ArrayList<>();

  private Conformance(String bootstrap) {
    this.bootstrap = bootstrap;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new HashMap<>(Map.of("--bootstrap", "127.0.0.1:9092", "--topic", "java-conformance", "--group", "java-conformance"));
    for (int i = 0; i + 1 < args.length; i += 2) flags.put(args[i], args[i + 1]);
    Conformance c = new Conformance(flags.get("--bootstrap"));
    try {
      c.run(flags.get("--topic"), flags.get("--group"));
    } catch (StatusRuntimeException e) {
      Metadata trailers = e.getTrailers();
      String code = trailers == null ? null : trailers.get(ERROR_CODE_TRAILER);
      System.out.println("FAIL java: " + e.getStatus() + (code == null ? "" : " (tributary-error-code " + code + ")"));
      System.exit(1);
    } catch (IllegalStateException e) {
      System.out.println("FAIL java: " + e.getMessage());
      System.exit(1);
    } finally {
      c.close();
    }
  }

  private static void step(String what) {
    System.out.println("ok   java: " + what);
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException(what);
  }

  /** One channel per address, with the settings of docs/protocol.md. */
  private ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a)
        .usePlaintext()
        .maxInboundMessageSize(64 << 20)
        .flowControlWindow(8 << 20)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .build());
  }

  private BrokerServiceBlockingStub broker(int id) {
    return BrokerServiceGrpc.newBlockingStub(channel(brokers.get(id))).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  private MetadataResponse refresh(List<String> topics) {
    MetadataResponse md = BrokerServiceGrpc.newBlockingStub(channel(bootstrap)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .metadata(MetadataRequest.newBuilder().addAllTopics(topics).build());
    brokers = new TreeMap<>();
    for (BrokerEndpoint b : md.getBrokersList()) brokers.put(b.getBrokerId(), b.getHost() + ":" + b.getPort());
    controller = md.getController().getHost() + ":" + md.getController().getPort();
    coordinators = new ArrayList<>();
    for (CoordinatorEndpoint co : md.getCoordinatorsList()) coordinators.add(co.getHost() + ":" + co.getPort());
    return md;
  }

  /** partition -> {leader id, leader epoch}, once every partition has a leader. */
  private Map<Integer, long[]> waitForLeaders(String topic) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      MetadataResponse md = refresh(List.of(topic));
      Map<Integer, long[]> leaders = new TreeMap<>();
      if (md.getTopicsCount() == 1 && md.getTopics(0).getErrorCode() == ErrorCode.ERROR_CODE_NONE) {
        for (PartitionMetadata p : md.getTopics(0).getPartitionsList()) {
          if (p.getErrorCode() == ErrorCode.ERROR_CODE_NONE && p.getLeaderId() >= 0) {
            leaders.put(p.getPartition(), new long[] {p.getLeaderId(), p.getLeaderEpoch()});
          }
        }
      }
      if (leaders.size() == PARTITIONS) return leaders;
      check(System.nanoTime() < deadline, "topic " + topic + " has no leader for every partition");
      Thread.sleep(100);
    }
  }

  private void run(String topic, String group) throws InterruptedException {
    refresh(List.of());
    check(brokers.size() >= 2, "need 2+ brokers to follow a leader hint, metadata lists " + brokers);
    step("metadata: " + brokers.size() + " brokers, controller " + controller);

    CreateTopicsResult created = ControllerServiceGrpc.newBlockingStub(channel(controller)).withDeadlineAfter(15, TimeUnit.SECONDS)
        .createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
            .setName(topic).setNumPartitions(PARTITIONS).setReplicationFactor(2)).build())
        .getTopics(0);
    check(created.getErrorCode() == ErrorCode.ERROR_CODE_NONE, "create topic: " + created.getErrorCode() + " " + created.getErrorMessage());
    Map<Integer, long[]> leaders = waitForLeaders(topic);
    step("create topic " + topic + " (" + created.getTopicId() + ")");

    Map<Integer, List<Record>> byPartition = new TreeMap<>();
    for (int p = 0; p < PARTITIONS; p++) byPartition.put(p, new ArrayList<>());
    for (int i = 0; byPartition.values().stream().anyMatch(l -> l.size() < RECORDS_PER_PARTITION); i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      CRC32 crc = new CRC32(); // any stable function of the key will do; Kafka's clients use murmur2
      crc.update(key);
      int p = (int) (crc.getValue() % PARTITIONS);
      if (byPartition.get(p).size() < RECORDS_PER_PARTITION) {
        byPartition.get(p).add(Record.newBuilder().setKey(ByteString.copyFrom(key))
            .setValue(ByteString.copyFromUtf8("value-" + i))
            .addHeaders(RecordHeader.newBuilder().setKey("lang").setValue(ByteString.copyFromUtf8("java")))
            .build());
      }
    }

    int hints = 0;
    for (var entry : byPartition.entrySet()) {
      int p = entry.getKey();
      int leader = (int) leaders.get(p)[0];
      // The first request goes to a broker that does not lead the partition, on purpose.
      int target = brokers.keySet().stream().filter(id -> id != leader).findFirst().orElseThrow();
      boolean done = false;
      for (int attempt = 0; attempt < 5 && !done; attempt++) {
        ProducePartitionResponse r = broker(target).produce(ProduceRequest.newBuilder().setAcks(-1).setTimeoutMs(10_000)
            .addTopics(ProduceTopicData.newBuilder().setTopic(topic).addPartitions(ProducePartitionData.newBuilder()
                .setPartition(p).setRecords(RecordList.newBuilder().addAllRecords(entry.getValue()))))
            .build()).getTopics(0).getPartitions(0);
        if (r.getErrorCode() == ErrorCode.ERROR_CODE_NONE) {
          check(r.getBaseOffset() == 0, "partition " + p + ": base offset " + r.getBaseOffset());
          done = true;
        } else if (r.getErrorCode() == ErrorCode.ERROR_CODE_NOT_LEADER_OR_FOLLOWER) {
          hints++;
          target = r.getCurrentLeader().getLeaderId() >= 0 ? r.getCurrentLeader().getLeaderId() : (int) waitForLeaders(topic).get(p)[0];
        } else {
          throw new IllegalStateException("produce " + p + ": " + r.getErrorCode() + " " + r.getErrorMessage());
        }
      }
      check(done, "produce " + p + ": no leader after 5 attempts");
    }
    check(hints >= PARTITIONS, "followed " + hints + " NOT_LEADER hints, expected one per partition");
    step("produce " + PARTITIONS * RECORDS_PER_PARTITION + " keyed records, " + hints + " leader hints followed");

    for (var entry : byPartition.entrySet()) {
      int p = entry.getKey();
      FetchPartitionResponse r = broker((int) leaders.get(p)[0]).fetch(FetchRequest.newBuilder().setMaxWaitMs(1000).setMinBytes(1)
          .setRecordFormat(RecordFormat.RECORD_FORMAT_RECORDS)
          .addTopics(FetchTopic.newBuilder().setTopic(topic).addPartitions(FetchPartition.newBuilder().setPartition(p).setFetchOffset(0)))
          .build()).getTopics(0).getPartitions(0);
      check(r.getErrorCode() == ErrorCode.ERROR_CODE_NONE, "fetch " + p + ": " + r.getErrorCode());
      List<Record> want = entry.getValue();
      check(r.getRecordsCount() == want.size(), "fetch " + p + ": " + r.getRecordsCount() + " records");
      for (int i = 0; i < want.size(); i++) {
        Record got = r.getRecords(i);
        check(got.getOffset() == i && got.getKey().equals(want.get(i).getKey()) && got.getValue().equals(want.get(i).getValue())
            && got.getHeadersList().equals(want.get(i).getHeadersList()), "fetch " + p + ": record " + i + " is " + got);
      }
      check(r.getHighWatermark() == want.size(), "fetch " + p + ": high watermark " + r.getHighWatermark());
    }
    step("fetch: every record back in order with its key, value and headers");

    for (int p = 0; p < PARTITIONS; p++) {
      List<ListOffsetsPartitionResponse> rs = broker((int) leaders.get(p)[0]).listOffsets(ListOffsetsRequest.newBuilder()
          .addTopics(ListOffsetsTopic.newBuilder().setTopic(topic)
              .addPartitions(ListOffsetsPartition.newBuilder().setPartition(p).setSpec(OffsetSpec.OFFSET_SPEC_EARLIEST))
              .addPartitions(ListOffsetsPartition.newBuilder().setPartition(p).setSpec(OffsetSpec.OFFSET_SPEC_LATEST)))
          .build()).getTopics(0).getPartitionsList();
      check(rs.get(0).getOffset() == 0 && rs.get(1).getOffset() == RECORDS_PER_PARTITION, "list offsets " + p + ": " + rs);
    }
    step("list offsets: earliest 0, latest = records produced");

    check(!coordinators.isEmpty(), "metadata lists no group coordinator");
    CoordinatorEndpoint owner = GroupCoordinatorServiceGrpc.newBlockingStub(channel(coordinators.get(0))).withDeadlineAfter(10, TimeUnit.SECONDS)
        .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(group).build()).getCoordinator();
    GroupCoordinatorServiceBlockingStub coordinator = GroupCoordinatorServiceGrpc.newBlockingStub(channel(owner.getHost() + ":" + owner.getPort()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    CommitOffsetsTopic.Builder commit = CommitOffsetsTopic.newBuilder().setTopic(topic);
    for (int p = 0; p < PARTITIONS; p++) {
      commit.addPartitions(CommitOffsetsPartition.newBuilder().setPartition(p).setOffset(RECORDS_PER_PARTITION - p)
          .setLeaderEpoch(leaders.get(p)[1]).setMetadata("java"));
    }
    // Without a group session: generation -1 and an empty member id.
    for (CommitOffsetsPartitionResponse r : coordinator.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group)
        .setGenerationId(-1).addTopics(commit).build()).getTopics(0).getPartitionsList()) {
      check(r.getErrorCode() == ErrorCode.ERROR_CODE_NONE, "commit " + r.getPartition() + ": " + r.getErrorCode());
    }
    for (FetchOffsetsPartitionResponse r : coordinator.fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group)
        .addTopics(TopicPartitions.newBuilder().setTopic(topic).addAllPartitions(List.of(0, 1, 2))).build()).getTopics(0).getPartitionsList()) {
      check(r.getOffset() == RECORDS_PER_PARTITION - r.getPartition() && r.getLeaderEpoch() == leaders.get(r.getPartition())[1]
          && r.getMetadata().equals("java"), "fetch offsets: " + r);
    }
    step("commit and fetch group offsets");
  }

  private void close() {
    for (ManagedChannel ch : channels.values()) ch.shutdownNow();
  }
}

// Command conformance is a Tributary client in Go from the generated stubs alone. It encodes
// RecordBatch v2 itself (package recordbatch) and speaks the consumer-group protocol.
//
//	conformance scenario --bootstrap 127.0.0.1:9092 --topic go-orders --group go-group
//	    metadata -> create topic -> produce keyed batches to each partition's leader, following
//	    NOT_LEADER_OR_FOLLOWER hints -> fetch and verify -> list offsets -> commit and fetch
//	    group offsets
//	conformance group --bootstrap 127.0.0.1:9092 --topic shared --group mixed --records 40
//	    joins the group over GroupSession, consumes and commits what it is assigned, and exits 0
//	    once it has been given every partition after having shared them (another member left)
//
// It prints one line per step and exits 1 on the first failure.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "tributary.local/clients/go/gen/tributary/v1"
	"tributary.local/clients/go/recordbatch"
)

const recordsPerPartition = 5

func step(format string, args ...any) {
	fmt.Printf("ok   go: "+format+"\n", args...)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: conformance scenario|group --bootstrap host:port [--topic T] [--group G]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	bootstrap := fs.String("bootstrap", "127.0.0.1:9092", "host:port of any broker")
	topic := fs.String("topic", "go-conformance", "topic")
	group := fs.String("group", "go-conformance", "consumer group")
	records := fs.Int("records", 0, "group: records the topic holds (to check everything was consumed)")
	timeout := fs.Duration("timeout", 90*time.Second, "group: give up after this long")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "scenario":
		err = scenario(*bootstrap, *topic, *group)
	case "group":
		err = groupMember(*bootstrap, *topic, *group, *records, *timeout)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Printf("FAIL go: %v\n", err)
		os.Exit(1)
	}
}

func partitionFor(key []byte, partitions int) int32 {
	return int32(crc32.ChecksumIEEE(key) % uint32(partitions)) // any stable function; Kafka uses murmur2
}

func scenario(bootstrap, topic, group string) error {
	c, err := newCluster(bootstrap)
	if err != nil {
		return err
	}
	defer c.close()
	if len(c.brokers) < 2 {
		return fmt.Errorf("need 2+ brokers to follow a leader hint; metadata lists %v", c.brokers)
	}
	step("metadata: %d brokers, controller %s", len(c.brokers), c.controller)

	const partitions = 3
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	controller := pb.NewControllerServiceClient(c.conn(c.controller))
	create := &pb.CreateTopicsRequest{Topics: []*pb.CreatableTopic{{Name: topic, NumPartitions: partitions, ReplicationFactor: 2}}}
	created, err := controller.CreateTopics(ctx, create)
	if err != nil {
		return describe(err)
	}
	if r := created.Topics[0]; r.ErrorCode != pb.ErrorCode_ERROR_CODE_NONE {
		return fmt.Errorf("create topic: %s %s", r.ErrorCode, r.ErrorMessage)
	}
	leaders, err := c.waitForLeaders(topic, partitions)
	if err != nil {
		return err
	}
	step("create topic %s (%s): leaders %v", topic, created.Topics[0].TopicId, leaders)

	// A second create of the same topic fails as a whole request: ALREADY_EXISTS, with the
	// ErrorCode in the tributary-error-code trailer (or, per item, in the result).
	var trailer metadata.MD
	again, err := controller.CreateTopics(ctx, create, grpc.Trailer(&trailer))
	if err == nil && again.Topics[0].ErrorCode != pb.ErrorCode_ERROR_CODE_TOPIC_ALREADY_EXISTS {
		return fmt.Errorf("creating %s twice answered %v", topic, again.Topics[0].ErrorCode)
	}
	if err != nil && errorCode(trailer) != pb.ErrorCode_ERROR_CODE_TOPIC_ALREADY_EXISTS {
		return fmt.Errorf("creating %s twice: %v, trailer code %v", topic, describe(err), errorCode(trailer))
	}
	step("create the topic again: TOPIC_ALREADY_EXISTS")

	byPartition := map[int32][]recordbatch.Record{}
	now := time.Now().UnixMilli()
	for i := 0; ; i++ {
		full := true
		for p := range int32(partitions) {
			full = full && len(byPartition[p]) >= recordsPerPartition
		}
		if full {
			break
		}
		key := []byte(fmt.Sprintf("key-%d", i))
		p := partitionFor(key, partitions)
		if len(byPartition[p]) < recordsPerPartition {
			byPartition[p] = append(byPartition[p], recordbatch.Record{
				Key: key, Value: []byte(fmt.Sprintf("value-%d", i)), Timestamp: now + int64(i),
				Headers: []recordbatch.Header{{Key: "lang", Value: []byte("go")}},
			})
		}
	}

	hints := 0
	for p := range int32(partitions) {
		o := recordbatch.DefaultOptions()
		o.Attributes = recordbatch.Zstd
		batch, err := recordbatch.Encode(byPartition[p], o)
		if err != nil {
			return err
		}
		// The first request goes to a broker that does not lead the partition, on purpose: it
		// must answer NOT_LEADER_OR_FOLLOWER with a current_leader hint.
		target := int32(-1)
		for id := range c.brokers {
			if id != leaders[p].id {
				target = id
				break
			}
		}
		done := false
		for attempt := 0; attempt < 5 && !done; attempt++ {
			res, err := c.broker(target).Produce(ctx, &pb.ProduceRequest{Acks: ptr(int32(-1)), TimeoutMs: 10_000, Topics: []*pb.ProduceTopicData{{
				Topic: topic, Partitions: []*pb.ProducePartitionData{{Partition: p, Data: &pb.ProducePartitionData_RecordBatches{RecordBatches: batch}}},
			}}})
			if err != nil {
				return describe(err)
			}
			r := res.Topics[0].Partitions[0]
			switch r.ErrorCode {
			case pb.ErrorCode_ERROR_CODE_NONE:
				if r.BaseOffset != 0 {
					return fmt.Errorf("partition %d: base offset %d, want 0", p, r.BaseOffset)
				}
				done = true
			case pb.ErrorCode_ERROR_CODE_NOT_LEADER_OR_FOLLOWER:
				hints++
				target = r.CurrentLeader.GetLeaderId()
				if target < 0 {
					if leaders, err = c.waitForLeaders(topic, partitions); err != nil {
						return err
					}
					target = leaders[p].id
				}
			default:
				return fmt.Errorf("produce %d: %s %s", p, r.ErrorCode, r.ErrorMessage)
			}
		}
		if !done {
			return fmt.Errorf("produce %d: no leader after 5 attempts", p)
		}
	}
	if hints < partitions {
		return fmt.Errorf("followed %d NOT_LEADER hints, want one per partition", hints)
	}
	step("produce %d keyed records as zstd RecordBatch v2, %d leader hints followed", partitions*recordsPerPartition, hints)

	for p := range int32(partitions) {
		res, err := c.broker(leaders[p].id).Fetch(ctx, &pb.FetchRequest{MaxWaitMs: 1000, MinBytes: 1, RecordFormat: pb.RecordFormat_RECORD_FORMAT_BATCHES,
			Topics: []*pb.FetchTopic{{Topic: topic, Partitions: []*pb.FetchPartition{{Partition: p, FetchOffset: 0, CurrentLeaderEpoch: ptr(leaders[p].epoch)}}}}})
		if err != nil {
			return describe(err)
		}
		r := res.Topics[0].Partitions[0]
		if r.ErrorCode != pb.ErrorCode_ERROR_CODE_NONE {
			return fmt.Errorf("fetch %d: %s", p, r.ErrorCode)
		}
		got, err := decodeAll(r.RecordBatches)
		if err != nil {
			return fmt.Errorf("fetch %d: %v", p, err)
		}
		want := byPartition[p]
		if len(got) != len(want) {
			return fmt.Errorf("fetch %d: %d records, want %d", p, len(got), len(want))
		}
		for i := range want {
			g := got[i]
			if g.Offset != int64(i) || !bytes.Equal(g.Key, want[i].Key) || !bytes.Equal(g.Value, want[i].Value) ||
				g.Timestamp != want[i].Timestamp || len(g.Headers) != 1 || string(g.Headers[0].Value) != "go" {
				return fmt.Errorf("fetch %d: record %d is %+v, want %+v", p, i, g, want[i])
			}
		}
		if r.HighWatermark != recordsPerPartition {
			return fmt.Errorf("fetch %d: high watermark %d", p, r.HighWatermark)
		}
	}
	step("fetch: decoded every batch (CRC-32C checked), records in order with key, value, timestamp, headers")

	for p := range int32(partitions) {
		res, err := c.broker(leaders[p].id).ListOffsets(ctx, &pb.ListOffsetsRequest{Topics: []*pb.ListOffsetsTopic{{Topic: topic, Partitions: []*pb.ListOffsetsPartition{
			{Partition: p, Spec: pb.OffsetSpec_OFFSET_SPEC_EARLIEST},
			{Partition: p, Spec: pb.OffsetSpec_OFFSET_SPEC_LATEST},
			{Partition: p, Spec: pb.OffsetSpec_OFFSET_SPEC_TIMESTAMP, TimestampMs: byPartition[p][2].Timestamp},
		}}}})
		if err != nil {
			return describe(err)
		}
		rs := res.Topics[0].Partitions
		if len(rs) != 3 || rs[0].Offset != 0 || rs[1].Offset != recordsPerPartition || rs[2].Offset != 2 {
			return fmt.Errorf("list offsets %d: %v", p, rs)
		}
	}
	step("list offsets: earliest 0, latest %d, by timestamp the third record", recordsPerPartition)

	coordinator, err := c.coordinatorFor(group)
	if err != nil {
		return err
	}
	commit := &pb.CommitOffsetsRequest{GroupId: group, MemberId: "", GenerationId: -1, Topics: []*pb.CommitOffsetsTopic{{Topic: topic}}}
	for p := range int32(partitions) {
		commit.Topics[0].Partitions = append(commit.Topics[0].Partitions, &pb.CommitOffsetsPartition{Partition: p, Offset: int64(recordsPerPartition - p), LeaderEpoch: ptr(leaders[p].epoch), Metadata: "go"})
	}
	committed, err := coordinator.CommitOffsets(ctx, commit)
	if err != nil {
		return describe(err)
	}
	for _, r := range committed.Topics[0].Partitions {
		if r.ErrorCode != pb.ErrorCode_ERROR_CODE_NONE {
			return fmt.Errorf("commit %d: %s", r.Partition, r.ErrorCode)
		}
	}
	fetched, err := coordinator.FetchOffsets(ctx, &pb.FetchOffsetsRequest{GroupId: group, Topics: []*pb.TopicPartitions{{Topic: topic, Partitions: []int32{0, 1, 2}}}})
	if err != nil {
		return describe(err)
	}
	for _, r := range fetched.Topics[0].Partitions {
		if r.Offset != int64(recordsPerPartition-r.Partition) || r.LeaderEpoch != leaders[r.Partition].epoch || r.Metadata != "go" {
			return fmt.Errorf("fetch offsets: %v", r)
		}
	}
	step("commit and fetch group offsets")
	return nil
}

// decodeAll splits concatenated batches (baseOffset int64, batchLength int32, ...) and decodes each.
func decodeAll(data []byte) ([]recordbatch.Record, error) {
	var out []recordbatch.Record
	for len(data) >= 12 {
		size := 12 + int(int32(uint32(data[8])<<24|uint32(data[9])<<16|uint32(data[10])<<8|uint32(data[11])))
		if size > len(data) {
			break // a batch cut at max_bytes: fetch again from the next offset
		}
		b, err := recordbatch.Decode(data[:size])
		if err != nil {
			return nil, err
		}
		out = append(out, b.Records...)
		data = data[size:]
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

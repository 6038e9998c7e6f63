package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "tributary.local/clients/go/gen/tributary/v1"
)

// member is one consumer-group member over GroupSession: it consumes what it is assigned from
// the committed offsets (earliest when none) to the high watermark and commits.
type member struct {
	c           *cluster
	coordinator pb.GroupCoordinatorServiceClient
	group       string
	topic       string
	memberID    string
	generation  int32
	consumed    map[int32]map[int64]bool // offsets consumed per partition over the whole run
}

func groupMember(bootstrap, topic, group string, records int, timeout time.Duration) error {
	c, err := newCluster(bootstrap)
	if err != nil {
		return err
	}
	defer c.close()
	md, err := c.refresh([]string{topic})
	if err != nil {
		return err
	}
	if len(md.Topics) != 1 || md.Topics[0].ErrorCode != pb.ErrorCode_ERROR_CODE_NONE {
		return fmt.Errorf("topic %s: %v", topic, md.Topics)
	}
	total := len(md.Topics[0].Partitions)
	coordinator, err := c.coordinatorFor(group)
	if err != nil {
		return err
	}
	m := &member{c: c, coordinator: coordinator, group: group, topic: topic, consumed: map[int32]map[int64]bool{}}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	stream, err := coordinator.GroupSession(ctx)
	if err != nil {
		return describe(err)
	}
	err = stream.Send(&pb.GroupSessionRequest{Kind: &pb.GroupSessionRequest_Join{Join: &pb.GroupSessionJoin{
		GroupId: group, ClientId: "go-conformance", Topics: []string{topic},
		Assignors: []string{"cooperative-sticky", "range"}, SessionTimeoutMs: 10_000,
	}}})
	if err != nil {
		return describe(err)
	}
	responses := make(chan *pb.GroupSessionResponse)
	failed := make(chan error, 1)
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				failed <- describe(err)
				return
			}
			responses <- r
		}
	}()

	heartbeat := time.NewTicker(time.Hour)
	defer heartbeat.Stop()
	var owned []int32
	shared := false // seen an assignment of fewer than all partitions (another member holds some)
	var takenOver []int32
	for {
		select {
		case err := <-failed:
			return fmt.Errorf("group session ended: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("no takeover within %v (owned %v, shared before: %v)", timeout, owned, shared)
		case <-heartbeat.C:
			if err := stream.Send(&pb.GroupSessionRequest{Kind: &pb.GroupSessionRequest_Heartbeat{Heartbeat: &pb.GroupSessionHeartbeat{GenerationId: m.generation}}}); err != nil {
				return describe(err)
			}
		case r := <-responses:
			switch k := r.Kind.(type) {
			case *pb.GroupSessionResponse_Joined:
				m.memberID, m.generation = k.Joined.MemberId, k.Joined.GenerationId
				heartbeat.Reset(time.Duration(max(k.Joined.HeartbeatIntervalMs, 100)) * time.Millisecond)
				step("joined group %s as %s (assignor %s)", group, m.memberID, k.Joined.Assignor)
			case *pb.GroupSessionResponse_Revoke:
				// Eager: everything; cooperative: only what moves. Offsets are committed after
				// every consume, so the release is immediate.
				if err := stream.Send(&pb.GroupSessionRequest{Kind: &pb.GroupSessionRequest_RevokeDone{RevokeDone: &pb.GroupSessionRevokeDone{
					GenerationId: k.Revoke.GenerationId, Partitions: k.Revoke.Partitions,
				}}}); err != nil {
					return describe(err)
				}
				step("revoked %v at generation %d", k.Revoke.Partitions, k.Revoke.GenerationId)
			case *pb.GroupSessionResponse_Assignment:
				previous := owned
				m.generation = k.Assignment.GenerationId
				owned = nil
				for _, tp := range k.Assignment.Partitions {
					if tp.Topic == topic {
						owned = append(owned, tp.Partitions...)
					}
				}
				slices.Sort(owned)
				step("assignment generation %d: partitions %v of %d", m.generation, owned, total)
				if shared && len(owned) == total {
					for _, p := range owned {
						if !slices.Contains(previous, p) {
							takenOver = append(takenOver, p)
						}
					}
				}
				if len(owned) < total {
					shared = true
				}
				if err := m.consume(ctx, owned); err != nil {
					return err
				}
				_ = stream.Send(&pb.GroupSessionRequest{Kind: &pb.GroupSessionRequest_PollProgress{PollProgress: &pb.GroupSessionPollProgress{}}})
				if len(takenOver) > 0 {
					return m.finish(ctx, stream, takenOver, records)
				}
			case *pb.GroupSessionResponse_HeartbeatAck:
			case *pb.GroupSessionResponse_Error:
				return fmt.Errorf("group session error %s: %s", k.Error.ErrorCode, k.Error.ErrorMessage)
			}
		}
	}
}

// consume reads every owned partition from its committed offset to the high watermark and
// commits the next offset at the current generation.
func (m *member) consume(ctx context.Context, partitions []int32) error {
	if len(partitions) == 0 {
		return nil
	}
	committed, err := m.coordinator.FetchOffsets(ctx, &pb.FetchOffsetsRequest{GroupId: m.group, Topics: []*pb.TopicPartitions{{Topic: m.topic, Partitions: partitions}}})
	if err != nil {
		return describe(err)
	}
	commit := &pb.CommitOffsetsRequest{GroupId: m.group, MemberId: m.memberID, GenerationId: m.generation, Topics: []*pb.CommitOffsetsTopic{{Topic: m.topic}}}
	for _, r := range committed.Topics[0].Partitions {
		position := max(r.Offset, 0) // -1: nothing committed, start at the earliest (0 here)
		md, err := m.c.refresh([]string{m.topic})
		if err != nil {
			return err
		}
		var leader int32 = -1
		for _, p := range md.Topics[0].Partitions {
			if p.Partition == r.Partition {
				leader = p.LeaderId
			}
		}
		if _, ok := m.c.brokers[leader]; !ok {
			return fmt.Errorf("partition %d has no live leader (%d)", r.Partition, leader)
		}
		for {
			res, err := m.c.broker(leader).Fetch(ctx, &pb.FetchRequest{MaxWaitMs: 100, MinBytes: 1, Topics: []*pb.FetchTopic{{Topic: m.topic, Partitions: []*pb.FetchPartition{{Partition: r.Partition, FetchOffset: position}}}}})
			if err != nil {
				return describe(err)
			}
			fr := res.Topics[0].Partitions[0]
			if fr.ErrorCode != pb.ErrorCode_ERROR_CODE_NONE {
				return fmt.Errorf("fetch %d: %s", r.Partition, fr.ErrorCode)
			}
			got, err := decodeAll(fr.RecordBatches)
			if err != nil {
				return err
			}
			for _, rec := range got {
				if rec.Offset >= position { // a batch may start before the offset asked for
					position = rec.Offset + 1
					if m.consumed[r.Partition] == nil {
						m.consumed[r.Partition] = map[int64]bool{}
					}
					m.consumed[r.Partition][rec.Offset] = true
				}
			}
			if position >= fr.HighWatermark {
				break
			}
		}
		commit.Topics[0].Partitions = append(commit.Topics[0].Partitions, &pb.CommitOffsetsPartition{Partition: r.Partition, Offset: position})
	}
	var trailer metadata.MD
	res, err := m.coordinator.CommitOffsets(ctx, commit, grpc.Trailer(&trailer))
	if code := errorCode(trailer); err != nil && (code == pb.ErrorCode_ERROR_CODE_REBALANCE_IN_PROGRESS || code == pb.ErrorCode_ERROR_CODE_ILLEGAL_GENERATION) {
		// A rebalance started after this assignment: the commit is refused, and the partitions
		// are read again from the committed offsets with the next assignment (at least once).
		step("commit at generation %d refused (%s): the next assignment carries it", m.generation, code)
		return nil
	}
	if err != nil {
		return describe(err)
	}
	for _, r := range res.Topics[0].Partitions {
		if r.ErrorCode != pb.ErrorCode_ERROR_CODE_NONE {
			return fmt.Errorf("commit %d: %s", r.Partition, r.ErrorCode)
		}
	}
	return nil
}

// finish checks the takeover consumed records, commits are at the high watermark, then leaves.
func (m *member) finish(ctx context.Context, stream interface {
	Send(*pb.GroupSessionRequest) error
	CloseSend() error
}, takenOver []int32, records int) error {
	fromTakenOver := 0
	for _, p := range takenOver {
		fromTakenOver += len(m.consumed[p])
	}
	sum := 0
	for _, offsets := range m.consumed {
		sum += len(offsets)
	}
	step("took over partitions %v: consumed %d records from them, %d in all, committed", takenOver, fromTakenOver, sum)
	if fromTakenOver == 0 {
		return fmt.Errorf("took over %v but consumed nothing from them", takenOver)
	}
	if records > 0 && sum != records {
		return fmt.Errorf("consumed %d records in all, want %d", sum, records)
	}
	if err := stream.Send(&pb.GroupSessionRequest{Kind: &pb.GroupSessionRequest_Leave{Leave: &pb.GroupSessionLeave{Reason: "conformance done"}}}); err != nil {
		return describe(err)
	}
	_ = stream.CloseSend()
	step("left the group")
	return nil
}
